"""A small real results folder for the report tests: a replay matrix over a tabulated grid.

The learning-curve table is recorded live (``table_path`` in tests/conftest.py); the
matrix replays it on two problems (the same tiny stocks grid under two names) with
random search and the multi-fidelity/model-based strategies that are registered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pytest

import tunebench.datasets as datasets_mod
import tunebench.executor as executor_mod
from tunebench.executor import MatrixRunner
from tunebench.matrix import parse_matrix
from tunebench.progress import LineProgress
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
def replay_results(
    tmp_path_factory: pytest.TempPathFactory, table_path: Path, report_registry: dict[str, type]
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
    root = tmp_path_factory.mktemp("results")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(executor_mod, "available_problems", lambda: report_registry)
        mp.setattr(executor_mod, "available_strategies", lambda: registry)
        runner = MatrixRunner(matrix, root, workers=1, base_dir=table_path.parent)
        statuses = [o.status for o in runner.execute(LineProgress(quiet=True))]
    assert statuses == ["complete"] * len(statuses) and len(statuses) == matrix.n_runs
    return runner.root


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
    report_registry: dict[str, type],
) -> Path:
    """The report of :func:`replay_results`, built once."""
    out = tmp_path_factory.mktemp("reports") / "rep"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(datasets_mod, "available_problems", lambda: report_registry)
        index = build_report(replay_results, out)
    assert index == out / "index.html"
    return out
