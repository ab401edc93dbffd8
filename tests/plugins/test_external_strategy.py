"""A strategy from another installed package works in a matrix exactly like a built-in.

The tiny package in ``tunebench-example-strategy/`` is built and installed with pip into a
temporary folder (``--target``, so the shared environment is untouched), which is put on
``PYTHONPATH`` of fresh interpreters: its entry point is then discovered like any
installed package's.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent / "tunebench-example-strategy"
README = Path(__file__).parents[2] / "strategies" / "README.md"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pip") is None, reason="needs pip to install the plug-in"
)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment whose interpreters see the installed plug-in."""
    work = tmp_path_factory.mktemp("plugin")
    source = work / "src"
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
    shutil.copytree(PACKAGE, source)
    target = work / "site"
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
           "--target", str(target)]  # fmt: skip
    if importlib.util.find_spec("setuptools") is not None:
        cmd.append("--no-build-isolation")  # build offline with the setuptools at hand
    done = subprocess.run([*cmd, str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (target / "tunebench_example.py").exists()
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(
        [str(target), *filter(None, [environ.get("PYTHONPATH")])]
    )
    environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return environ


def tunebench(env: dict[str, str], *args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tunebench", *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_listed_next_to_the_built_ins(env: dict[str, str]) -> None:
    out = tunebench(env, "list", "strategies")
    names = [line.split()[0] for line in out.splitlines()]
    assert "example-random" in names and "random" in names
    assert "[warmup]" in out


def test_runs_in_a_matrix(env: dict[str, str], tmp_path: Path) -> None:
    matrix = tmp_path / "plugin.toml"
    matrix.write_text(
        textwrap.dedent(
            """\
            name = "plugin"
            mode = "live"
            seeds = 1
            [budget]
            full_evaluations = 2
            [[problems]]
            name = "stocks-mlp"
            max_epochs = 1
            subsample = 200
            [[strategies]]
            name = "example-random"
            params = { warmup = 1 }
            """
        ),
        encoding="utf-8",
    )
    results = tmp_path / "results"
    tunebench(env, "run", str(matrix), "--results", str(results), "--reports",
              str(tmp_path / "reports"), "-q")  # fmt: skip
    run_dir = results / "plugin" / "stocks-mlp" / "example-random[warmup=1]" / "seed=0"
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "complete"
    assert record["strategy_params"] == {"warmup": 1}
    assert record["ledger"]["epochs"] <= 2
    assert record["result"]["n_trials"] == 2


def test_its_own_conformance_test_passes(env: dict[str, str], tmp_path: Path) -> None:
    shutil.copy(PACKAGE / "test_example.py", tmp_path / "test_example.py")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_example.py"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_readme_shows_the_example_verbatim() -> None:
    readme = README.read_text(encoding="utf-8")
    for name in ("tunebench_example.py", "pyproject.toml", "test_example.py"):
        text = (PACKAGE / name).read_text(encoding="utf-8").strip()
        assert text in readme, f"strategies/README.md is out of date with {name}"
