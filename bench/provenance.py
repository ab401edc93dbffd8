"""Provenance of a run: package versions, Python, CPU, git commit, seeds.

Everything needed to tell whether two runs are comparable, recorded in every
``run.json``.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

__all__ = [
    "PACKAGES",
    "cpu_model",
    "git_commit",
    "package_versions",
    "provenance",
    "results_stamp",
]

PACKAGES = (
    "tunebench",
    "tensorflow",
    "tensorflow-cpu",
    "keras",
    "torch",
    "jax",
    "optuna",
    "keras-tuner",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "bokeh_sampledata",
)


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that can change results."""
    return dict(_versions())


@cache
def _versions() -> tuple[tuple[str, str], ...]:
    # Read once per process: parsing package metadata on every run was a large share of
    # a whole replayed run (seen with cProfile).
    found = []
    for name in PACKAGES:
        try:
            found.append((name, version(name)))
        except PackageNotFoundError:
            continue
    return tuple(found)


@cache
def cpu_model() -> str:
    """The CPU model name (``/proc/cpuinfo`` on Linux, else ``platform``)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git(args: list[str], cwd: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


@cache
def git_commit() -> dict[str, Any] | None:
    """Commit and dirty flag of the checkout tunebench runs from.

    Looks beside the installed code first (an editable install), then in the
    working directory (a checkout with tunebench installed into a virtualenv).
    """
    for where in (str(Path(__file__).resolve().parent), os.getcwd()):
        commit = _git(["rev-parse", "HEAD"], where)
        if commit:
            status = _git(["status", "--porcelain", "--untracked-files=no"], where)
            top = _git(["rev-parse", "--show-toplevel"], where)
            return {"commit": commit, "dirty": bool(status), "checkout": top}
    return None


def provenance(seeds: dict[str, int], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The provenance block of a ``run.json``.

    Args:
        seeds: The run seed and the streams derived from it.
        extra: More facts to record (backend, threads, data source, ...).
    """
    return {
        "packages": package_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "git": git_commit(),
        "seeds": seeds,
        **(extra or {}),
    }


def results_stamp(command: str) -> dict[str, Any]:
    """Where a results data file (``docs/results/data/*.json``) came from.

    Date, commit, tunebench version, machine and the command that produced it: what a
    reader needs to judge whether a number still holds, and what the docs' results pages
    print beside every generated table.

    Args:
        command: The command line that produced the data, as a reader would retype it.
    """
    git = git_commit()
    try:
        load = os.getloadavg()[0]
    except OSError:  # not on every platform
        load = None
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git["commit"][:12] + ("-dirty" if git["dirty"] else "") if git else "unknown",
        "version": dict(_versions()).get("tunebench", "unknown"),
        "machine": {
            "cpu": cpu_model(),
            "cores": os.cpu_count(),
            # A shared machine's load moves timings by tens of percent: say what it was.
            "load_average_1min": None if load is None else round(load, 2),
        },
        "command": command,
    }
