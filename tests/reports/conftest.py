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

import tunebench.backends.registry as backends_mod
import tunebench.datasets as datasets_mod
import tunebench.execution.task as task_mod
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
def report_registry(tiny_stocks: type, tiny_registry: dict[str, type]) -> dict[str, type]:
    """Problems: the registry plus tiny-stocks and a second name for the same grid."""
    second = type("TinyStocksB", (tiny_stocks,), {"name": "tiny-stocks-b"})
    return {**tiny_registry, "tiny-stocks-b": second}


@pytest.fixture(scope="session")
def run_matrix(
    report_registry: dict[str, type],
) -> Callable[[Matrix, Path, dict[str, type], Path], Path]:
    """``run(matrix, root, strategies, base_dir)``: execute a matrix of the tiny problems.

    Every run must complete; returns the matrix's results folder.
    """

    def run(matrix: Matrix, root: Path, strategies: dict[str, type], base_dir: Path) -> Path:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(backends_mod, "available_problems", lambda: report_registry)
            mp.setattr(task_mod, "available_strategies", lambda: strategies)
            runner = MatrixRunner(matrix, root, workers=1, base_dir=base_dir)
            statuses = [o.status for o in runner.execute(LineProgress(quiet=True))]
        assert statuses == ["complete"] * len(run_keys(matrix))
        return runner.root

    return run


@pytest.fixture(scope="session")
def render_report(report_registry: dict[str, type]) -> Callable[[Path, Path], Path]:
    """``render(results, out)``: build a report where the tiny problems are known."""

    def render(results: Path, out: Path) -> Path:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(datasets_mod, "available_problems", lambda: report_registry)
            return build_report(results, out)

    return render


@pytest.fixture(scope="session")
def replay_results(
    tmp_path_factory: pytest.TempPathFactory,
    table_path: Path,
    report_registry: dict[str, type],
    run_matrix: Callable[[Matrix, Path, dict[str, type], Path], Path],
) -> Path:
    """``results/rep``: 2 problems x 3+ strategies x 3 seeds, replayed (complete)."""
    registry, strategies = _strategies()
    text = (
        f'name = "rep"\nmode = "replay"\nseeds = {SEEDS}\n[budget]\nfull_evaluations = 2\n'
        "[final]\nretrain_repeats = 2\n"
    )
    for problem in ("tiny-stocks", "tiny-stocks-b"):
        text += f'[[problems]]\nname = "{problem}"\nmax_epochs = 3\ntable = "{table_path.name}"\n'
    matrix = parse_matrix(
        text + strategies, source="rep.toml", problems=report_registry, strategies=registry
    )
    return run_matrix(matrix, tmp_path_factory.mktemp("results"), registry, table_path.parent)


@pytest.fixture
def problems_registered(
    monkeypatch: pytest.MonkeyPatch, report_registry: dict[str, type]
) -> dict[str, type]:
    """Make the tiny problems known where the report looks search spaces up."""
    monkeypatch.setattr(datasets_mod, "available_problems", lambda: report_registry)
    return report_registry


@pytest.fixture(scope="session")
def report_dir(
    tmp_path_factory: pytest.TempPathFactory,
    replay_results: Path,
    render_report: Callable[[Path, Path], Path],
) -> Path:
    """The report of :func:`replay_results`, built once."""
    out = tmp_path_factory.mktemp("reports") / "rep"
    index = render_report(replay_results, out)
    assert index == out / "index.html"
    return out
