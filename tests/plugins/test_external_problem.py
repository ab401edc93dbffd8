"""A problem from another installed package: listed, conforming, live, tabulated, replayed.

The example package in ``tunebench-example-problem/`` (docs/how-to/add-problem.md) is
installed with pip into a temporary folder and found through its entry point.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent / "tunebench-example-problem"
ROOT = Path(__file__).parents[2]
PAGE = ROOT / "docs" / "how-to" / "add-problem.md"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pip") is None, reason="needs pip to install the plug-in"
)


@pytest.fixture(scope="module")
def env(
    tmp_path_factory: pytest.TempPathFactory, install_plugin: Callable[..., dict[str, str]]
) -> dict[str, str]:
    """Environment whose interpreters see the installed plug-in."""
    work = tmp_path_factory.mktemp("problem-plugin")
    return install_plugin(PACKAGE, work, "tunebench_example_problem.py")


def matrix(folder: Path, mode: str, extra: str = "") -> Path:
    path = folder / f"{mode}.toml"
    path.write_text(textwrap.dedent(f"""\
        name = "{mode}"
        mode = "{mode}"
        seeds = 1
        [budget]
        full_evaluations = 2
        [[problems]]
        name = "example-spirals"
        max_epochs = 2
        """) + extra + '[[strategies]]\nname = "random"\n', encoding="utf-8")  # fmt: skip
    return path


def test_it_installs_is_listed_and_passes_the_kit(
    env: dict[str, str], tmp_path: Path, run_tunebench: Callable[..., str]
) -> None:
    out = run_tunebench(env, "list", "problems")
    assert "example-spirals" in out and "stocks-mlp" in out
    shutil.copy(PACKAGE / "test_example_problem.py", tmp_path / "test_example_problem.py")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "test_example_problem.py"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_it_runs_live_tabulates_and_replays(
    env: dict[str, str], tmp_path: Path, run_tunebench: Callable[..., str]
) -> None:
    results = tmp_path / "results"
    run_tunebench(env, "run", str(matrix(tmp_path, "live")), "--results", str(results), "-q")
    table = tmp_path / "spirals.parquet"
    run_tunebench(env, "tabulate", "example-spirals", "--sample", "4", "--repeats", "1",
                  "--epochs", "2", "--out", str(table), "-q")  # fmt: skip
    replay = matrix(tmp_path, "replay", f'table = "{table.name}"\n')
    run_tunebench(env, "run", str(replay), "--results", str(results), "-q")
    for name in ("live", "replay"):
        run = results / name / "example-spirals" / "random" / "seed=0" / "run.json"
        record = json.loads(run.read_text(encoding="utf-8"))
        assert record["status"] == "complete" and record["result"]["n_trials"] == 2
        assert record["provenance"]["mode"] == name
    assert record["provenance"]["data"]["dataset"] == "two-spirals"


def test_the_docs_include_the_example() -> None:
    """docs/how-to/add-problem.md shows these files by including them, never a copy."""
    page = PAGE.read_text(encoding="utf-8")
    for name in ("tunebench_example_problem.py", "pyproject.toml", "test_example_problem.py"):
        path = (PACKAGE / name).relative_to(ROOT).as_posix()
        assert f'--8<-- "{path}"' in page, f"{PAGE.name} does not include {path}"
