"""A strategy from another installed package works in a matrix exactly like a built-in.

The tiny package in ``tunebench-example-strategy/`` is built and installed with pip into a
temporary folder (``--target``, so the shared environment is untouched), which is put on
``PYTHONPATH`` of fresh interpreters: its entry point is then discovered like any
installed package's.
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

PACKAGE = Path(__file__).parent / "tunebench-example-strategy"
ROOT = Path(__file__).parents[2]
PAGE = ROOT / "docs" / "how-to" / "add-strategy.md"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pip") is None, reason="needs pip to install the plug-in"
)


@pytest.fixture(scope="module")
def env(
    tmp_path_factory: pytest.TempPathFactory, install_plugin: Callable[..., dict[str, str]]
) -> dict[str, str]:
    """Environment whose interpreters see the installed plug-in."""
    return install_plugin(PACKAGE, tmp_path_factory.mktemp("plugin"), "tunebench_example.py")


def test_listed_next_to_the_built_ins(
    env: dict[str, str], run_tunebench: Callable[..., str]
) -> None:
    out = run_tunebench(env, "list", "strategies")
    names = [line.split()[0] for line in out.splitlines()]
    assert "example-random" in names and "random" in names
    assert "[warmup]" in out


def test_runs_in_a_matrix(
    env: dict[str, str], tmp_path: Path, run_tunebench: Callable[..., str]
) -> None:
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
    run_tunebench(env, "run", str(matrix), "--results", str(results), "--reports",
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


def test_the_docs_include_the_example() -> None:
    """docs/how-to/add-strategy.md shows these files by including them, never a copy."""
    page = PAGE.read_text(encoding="utf-8")
    for name in ("tunebench_example.py", "pyproject.toml", "test_example.py"):
        path = (PACKAGE / name).relative_to(ROOT).as_posix()
        assert f'--8<-- "{path}"' in page, f"{PAGE.name} does not include {path}"
