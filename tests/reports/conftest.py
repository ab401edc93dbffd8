"""A small real results folder for the report tests: a replay matrix over a tabulated grid.

The learning-curve table is recorded live (``table_path`` in tests/conftest.py); the
matrix replays it on two problems (the same tiny stocks grid under two names) with
random search and the multi-fidelity/model-based strategies that are registered.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
import pytest

from tunebench.datasets import available_problems
from tunebench.execution.matrix_runner import MatrixRunner
from tunebench.execution.progress import LineProgress
from tunebench.matrix.load import parse_matrix
from tunebench.matrix.plan import run_keys
from tunebench.matrix.schema import Matrix
from tunebench.reports.report import build_report
from tunebench.strategies import RandomSearch, available_strategies

SEEDS = 3
PREFERRED = ("evolutionary-pruning", "hyperband", "tpe")


class TpeFallback(RandomSearch):
    """optuna TPE (2 random start-up trials); used only when ``tpe`` is not registered."""

    name = "tpe-fallback"

    def make_sampler(self, seed: int) -> Any:
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=2)


class QmcFallback(RandomSearch):
    """optuna quasi-Monte Carlo sampling; used only when fewer strategies are registered."""

    name = "qmc-fallback"

    def make_sampler(self, seed: int) -> Any:
        return optuna.samplers.QMCSampler(seed=seed, scramble=True)


def _strategies() -> tuple[dict[str, type], str]:
    """The registry to use and the matrix's [[strategies]] entries."""
    registry: dict[str, type] = dict(available_strategies())
    names = ["random"] + [n for n in PREFERRED if n in registry]
    for fallback in (TpeFallback, QmcFallback):
        if len(names) >= 3:
            break
        registry[fallback.name] = fallback
        names.append(fallback.name)
    text = ""
    for name in names:
        text += f'[[strategies]]\nname = "{name}"\n'
        if name == "evolutionary-pruning":
            text += "params = { population = 4, survivors = 1 }\n"
    return registry, text


@pytest.fixture(scope="session")
def run_matrix() -> Callable[[Matrix, Path, dict[str, type], Path], Path]:
    """``run(matrix, root, strategies, base_dir)``: execute a matrix of the tiny problems.

    The matrix names the tiny problems' file in its entries (``module``) and was parsed
    with ``strategies``, which the runner is given. Every run must complete; returns the
    matrix's results folder.
    """

    def run(matrix: Matrix, root: Path, strategies: dict[str, type], base_dir: Path) -> Path:
        runner = MatrixRunner(matrix, root, workers=1, base_dir=base_dir, strategies=strategies)
        statuses = [o.status for o in runner.execute(LineProgress(quiet=True))]
        assert statuses == ["complete"] * len(run_keys(matrix))
        return runner.root

    return run


@pytest.fixture(scope="session")
def replay_results(
    tmp_path_factory: pytest.TempPathFactory,
    table_path: Path,
    tiny_module: str,
    run_matrix: Callable[[Matrix, Path, dict[str, type], Path], Path],
) -> Path:
    """``results/rep``: 2 problems x 3+ strategies x 3 seeds, replayed (complete)."""
    registry, strategies = _strategies()
    text = (
        f'name = "rep"\nmode = "replay"\nseeds = {SEEDS}\n[budget]\nfull_evaluations = 2\n'
        "[final]\nretrain_repeats = 2\n"
    )
    for problem in ("tiny-stocks", "tiny-stocks-b"):
        text += (
            f'[[problems]]\nname = "{problem}"\nmodule = "{tiny_module}"\nmax_epochs = 3\n'
            f'table = "{table_path.name}"\n'
        )
    matrix = parse_matrix(
        text + strategies, source="rep.toml", problems=available_problems(), strategies=registry
    )
    return run_matrix(matrix, tmp_path_factory.mktemp("results"), registry, table_path.parent)


@pytest.fixture(scope="session")
def report_dir(
    tmp_path_factory: pytest.TempPathFactory,
    replay_results: Path,
) -> Path:
    """The report of :func:`replay_results`, built once."""
    out = tmp_path_factory.mktemp("reports") / "rep"
    index = build_report(replay_results, out)
    assert index == out / "index.html"
    return out


#: A tiny multi-objective replay matrix: mo-smoke's problem (the shipped stocks-mlp grid
#: table, accuracy against training seconds) with three of its strategies, one of them
#: multi-fidelity (moasha ends trials short, so some trials have no vector), and a budget
#: past the leaderboard's 20-evaluation checkpoint.
MO_MATRIX = """
name = "mo-tiny"
mode = "replay"
seeds = 3

[budget]
full_evaluations = 22

[[problems]]
name = "stocks-mlp"
table = "grid"
max_epochs = 10
objectives = ["metric", "train_seconds"]

[[strategies]]
name = "mo-random"

[[strategies]]
name = "nsga2"

[[strategies]]
name = "moasha"
"""


@pytest.fixture(scope="session")
def mo_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``results/mo-tiny``: :data:`MO_MATRIX` run once (replay, seconds)."""
    from typer.testing import CliRunner

    from tunebench.cli.commands import app

    root = tmp_path_factory.mktemp("mo")
    matrix = root / "mo-tiny.toml"
    matrix.write_text(MO_MATRIX, encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(matrix), "--results", str(root), "-q"])
    assert result.exit_code == 0, result.stderr
    return root / "mo-tiny"


@pytest.fixture(scope="session")
def mo_report(tmp_path_factory: pytest.TempPathFactory, mo_results: Path) -> Path:
    """The report of :func:`mo_results`, built once."""
    out = tmp_path_factory.mktemp("mo-reports") / "mo-tiny"
    build_report(mo_results, out)
    return out
