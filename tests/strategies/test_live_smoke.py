"""Every registered strategy runs one short live run on stocks-mlp through the real harness.

Real Keras models on a 200-row slice, 2 epochs, a budget of 3 full evaluations (6 epochs).
Checks the ledger never passes the cap and the trial log is honest: a resumed trial starts
where the trial it continues ended, and only new epochs are charged.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tunebench.datasets.problem import Splits
from tunebench.datasets.stocks import StocksMLP
from tunebench.records.storage import read_trials
from tunebench.run.execute import RunSpec, execute_run
from tunebench.strategies import available_strategies
from tunebench.strategies.optuna_samplers import torch_available

MAX_EPOCHS = 2
BUDGET = 3  # full evaluations

# Scaled down so that each strategy gets past its first phase within 6 epochs.
PARAMS: dict[str, dict[str, Any]] = {
    "tpe": {"n_startup_trials": 2},
    "gp": {"n_startup_trials": 2},
    "median-stop": {"n_startup_trials": 1},
    "evolutionary-pruning": {"population": 4, "survivors": 2},
    "evolutionary-mutation": {"population": 4, "survivors": 2},
}
# Multi-objective strategies run on multi-objective entries only, in replay so far (issue
# 39); tests/bench/run/test_multi_objective.py runs them.
CASES = [
    (name, PARAMS.get(name, {}))
    for name, cls in sorted(available_strategies().items())
    if not cls.multi_objective
]
CASES.append(("evolutionary-pruning", {"population": 4, "survivors": 2, "resume": False}))


@pytest.fixture(scope="module")
def data() -> tuple[StocksMLP, Splits]:
    problem = StocksMLP()
    return problem, problem.load(subsample=200)


def check_log(events: list[dict[str, Any]], resume_expected: bool | None) -> None:
    starts = {e["trial"]: e for e in events if e["event"] == "trial_start"}
    ends = {e["trial"]: e for e in events if e["event"] == "trial_end"}
    epochs = Counter(e["trial"] for e in events if e["event"] == "epoch")
    assert set(starts) == set(ends)
    resumed = 0
    for trial, start in starts.items():
        if start["resume_from"] is not None:
            resumed += 1
            assert start["start_epoch"] == ends[start["resume_from"]]["epochs"]
        else:
            assert start["start_epoch"] == 0
        # only the epochs trained in this trial are charged (a failed epoch is charged too)
        assert epochs[trial] == ends[trial]["epochs"] - start["start_epoch"] + (
            ends[trial]["status"] == "failed"
        )
    if resume_expected is not None:
        assert (resumed > 0) == resume_expected


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "params"),
    CASES,
    ids=[f"{n}{'-restart' if p.get('resume') is False else ''}" for n, p in CASES],
)
def test_live_run_on_stocks(tmp_path: Path, data: Any, name: str, params: dict[str, Any]) -> None:
    if name == "gp" and not torch_available():
        pytest.skip("needs torch")
    problem, splits = data
    spec = RunSpec(
        matrix="smoke", problem="stocks-mlp", max_epochs=MAX_EPOCHS, strategy=name,
        strategy_label=name, seed=0, full_evaluations=BUDGET, subsample=200,
        strategy_params=params,
    )  # fmt: skip
    strategy = available_strategies()[name](**params)
    strategy.check_params()
    record = execute_run(spec, tmp_path, problem, splits, strategy)
    assert record.status == "complete"
    assert record.ledger.epochs <= BUDGET * MAX_EPOCHS
    assert record.result.n_trials >= 1
    assert record.result.best_value is not None
    events = read_trials(tmp_path)
    charged = sum(1 for e in events if e["event"] == "epoch")
    assert charged == record.ledger.epochs
    check_log(events, {"evolutionary-pruning": params.get("resume", True)}.get(name))
    if name == "evolutionary-pruning":
        starts = [e for e in events if e["event"] == "trial_start"]
        targets = [s["target_epochs"] for s in starts]
        if params.get("resume") is False:
            # 4 members x 1 epoch, then the best 2 retrained from scratch, charged in full:
            # the first takes the last 2 epochs of the budget, so the second never starts
            assert targets == [1] * 4 + [2]
            assert record.ledger.epochs == 6
            assert [s["start_epoch"] for s in starts] == [0] * 5
        else:
            # 4 members x 1 epoch, then the best 2 continue to 2 epochs: 4 + 1 + 1
            assert targets == [1] * 4 + [2] * 2
            assert record.ledger.epochs == 6
            assert [s["start_epoch"] for s in starts[4:]] == [1, 1]
