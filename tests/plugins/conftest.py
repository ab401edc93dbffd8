"""The example plug-in packages are installed by the tests, never imported from here."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

collect_ignore = ["tunebench-example-strategy", "tunebench-example-problem"]


def install(package: Path, work: Path, module_file: str) -> dict[str, str]:
    """Build and install ``package`` into ``work/site`` with pip (``--target``, so the shared
    environment is untouched); an environment whose interpreters see it on PYTHONPATH."""
    source = work / "src"
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
    shutil.copytree(package, source)
    target = work / "site"
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
           "--target", str(target)]  # fmt: skip
    if importlib.util.find_spec("setuptools") is not None:
        cmd.append("--no-build-isolation")  # build offline with the setuptools at hand
    done = subprocess.run([*cmd, str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (target / module_file).exists()
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(
        [str(target), *filter(None, [environ.get("PYTHONPATH")])]
    )
    environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return environ


def tunebench(env: dict[str, str], *args: str, cwd: Path | None = None) -> str:
    """Run the ``tunebench`` CLI in a fresh interpreter of ``env``; its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "tunebench", *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="session")
def install_plugin() -> Callable[[Path, Path, str], dict[str, str]]:
    """``install_plugin(package, work, module_file)``: see :func:`install`."""
    return install


@pytest.fixture(scope="session")
def run_tunebench() -> Callable[..., str]:
    """``run_tunebench(env, *args, cwd=None)``: see :func:`tunebench`."""
    return tunebench
