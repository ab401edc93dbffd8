"""The dry run's estimate: runs per entry, what is done, and the live training time left."""

from __future__ import annotations

import pandas as pd
import pytest

from tunebench.curves.shipped import shipped_table
from tunebench.execution.estimate import estimate, format_estimate
from tunebench.runspec import RunSpec


def _spec(seed: int, mode: str = "live", label: str = "stocks-mlp@live", **kw: object) -> RunSpec:
    fields: dict[str, object] = {
        "matrix": "m",
        "problem": "stocks-mlp",
        "max_epochs": 10,
        "strategy": "random",
        "strategy_label": "random",
        "seed": seed,
        "full_evaluations": 4,
        "mode": mode,
        "problem_label": label,
        **kw,
    }
    return RunSpec(**fields)  # type: ignore[arg-type]


def test_live_time_is_the_budget_at_the_tables_recorded_seconds_per_epoch() -> None:
    table = pd.read_parquet(
        shipped_table("stocks-mlp", "sampled"), columns=["config_key", "repeat", "seconds"]
    )
    per_epoch = table["seconds"].sum() / len(table)
    runs = [_spec(k) for k in range(3)] + [
        _spec(k, mode="replay", label="stocks-mlp") for k in range(3)
    ]
    live, replay = estimate(runs, pending=runs[1:])  # seed 0 of the live entry is done
    assert (live.planned, live.pending, replay.pending) == (3, 2, 3)
    # 4 full evaluations + 1 retrain (retrain_repeats defaults to 1), 10 epochs, 2 runs
    retrains = runs[0].retrain_repeats
    assert live.train_seconds == pytest.approx(2 * (4 + retrains) * 10 * per_epoch)
    assert live.source == "recorded seconds of stocks-mlp.parquet"
    assert replay.train_seconds is None and replay.source == "simulated clock: no training"
    lines = format_estimate([live, replay], workers=2)
    assert lines[0].split()[:8] == [
        "stocks-mlp@live",
        "live",
        "3",
        "runs,",
        "1",
        "complete,",
        "2",
        "to",
    ]
    assert lines[-1].startswith("live training left: about ")


def test_a_seconds_budget_is_its_own_estimate() -> None:
    runs = [_spec(k, full_evaluations=None, seconds=90.0) for k in range(2)]
    (entry,) = estimate(runs, pending=runs)
    assert entry.train_seconds == 180.0 and entry.source == "the runs' seconds budgets"
    assert format_estimate([entry], workers=1)[-1] == "live training left: about 3 min on 1 worker"
