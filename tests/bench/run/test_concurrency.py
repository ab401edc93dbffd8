"""Several trials of a run in flight: simulated workers on the replay clock."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from tunebench.curves.table import LearningCurveTable
from tunebench.records.run_record import RunRecord
from tunebench.records.storage import read_trials
from tunebench.run.execute import ProtocolError, RunSpec, execute_run
from tunebench.strategies import (
    BudgetView,
    Exhausted,
    Proposal,
    RandomSearch,
    Strategy,
    TrialResult,
    Wait,
)


def spec(table: Path, concurrency: int, fe: int = 4, strategy: str = "random") -> RunSpec:
    return RunSpec(matrix="c", problem="tiny-stocks", max_epochs=3, strategy=strategy,
                   strategy_label=strategy, seed=1, full_evaluations=fe, mode="replay",
                   table=str(table), concurrency=concurrency)  # fmt: skip


def run(tmp: Path, table_path: Path, tiny: Any, strategy: Strategy, **kw: Any) -> RunRecord:
    table = LearningCurveTable(table_path, tiny().table_space().fingerprint())
    return execute_run(spec(table_path, **kw), tmp, tiny(), None, strategy, table=table)


def in_flight_profile(events: list[dict[str, Any]]) -> int:
    live: set[int] = set()
    most = 0
    for e in events:
        if e["event"] == "trial_start":
            live.add(e["trial"])
            most = max(most, len(live))
        elif e["event"] == "trial_end":
            live.discard(e["trial"])
    return most


def test_trials_interleave_on_simulated_workers_within_the_budget(
    tmp_path: Path, table_path: Path, tiny_stocks: Any
) -> None:
    record = run(tmp_path, table_path, tiny_stocks, RandomSearch(), concurrency=3)
    events = read_trials(tmp_path)
    assert in_flight_profile(events) == 3  # three trials trained at once
    epochs = [e for e in events if e["event"] == "epoch"]
    assert {e["worker"] for e in epochs} == {0, 1, 2}
    assert all(e["end"] - e["start"] == pytest.approx(e["cost"]["seconds"]) for e in epochs)
    assert [e["end"] for e in epochs] == sorted(e["end"] for e in epochs)  # completion order
    assert all(
        e["t"] == pytest.approx(e["end"], abs=1e-6) for e in epochs
    )  # t is the simulated clock
    # one worker never runs two epochs at once
    for w in (0, 1, 2):
        mine = [e for e in epochs if e["worker"] == w]
        assert all(b["start"] >= a["end"] - 1e-9 for a, b in itertools.pairwise(mine))
    assert record.ledger.epochs == 4 * 3  # the budget is spent exactly, never more
    assert record.spec.concurrency == 3
    # the same seed gives the same log, simulated clock included
    again = tmp_path / "again"
    run(again, table_path, tiny_stocks, RandomSearch(), concurrency=3)
    assert read_trials(again) == events


def test_concurrency_one_writes_the_sequential_log(
    tmp_path: Path, table_path: Path, tiny_stocks: Any
) -> None:
    record = run(tmp_path, table_path, tiny_stocks, RandomSearch(), concurrency=1)
    events = read_trials(tmp_path)
    assert in_flight_profile(events) == 1
    assert not any("worker" in e for e in events)
    assert "concurrency" not in record.spec.to_dict()


class PairThenWait(Strategy):
    """Proposes two trials, waits until both are told, then proposes two more."""

    name = "pair-then-wait"

    def __init__(self) -> None:
        self.pending: set[int] = set()
        self.waits = 0

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        if self._next_trial_id >= 4:
            return Exhausted("four done")
        if len(self.pending) == 2 or (self.pending and self._next_trial_id % 2 == 0):
            self.waits += 1
            return Wait()
        config = {"n_layers": 1, "units_1": 8, "optimizer": "adam", "learning_rate": 0.01,
                  "batch_size": 64}  # fmt: skip
        trial = self.new_trial_id()
        self.pending.add(trial)
        return Proposal(trial, config, 3)

    def tell(self, trial_id: int, result: TrialResult) -> None:
        self.pending.discard(trial_id)


def test_wait_with_trials_in_flight_is_honoured(
    tmp_path: Path, table_path: Path, tiny_stocks: Any
) -> None:
    strategy = PairThenWait()
    record = run(tmp_path, table_path, tiny_stocks, strategy, concurrency=3, fe=10)
    assert strategy.waits >= 2
    assert record.result.n_trials == 4
    assert in_flight_profile(read_trials(tmp_path)) == 2


class WaitsAtOnce(Strategy):
    name = "waits-at-once"

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        return Wait()

    def tell(self, trial_id: int, result: TrialResult) -> None:
        pass


@pytest.mark.parametrize("concurrency", [1, 2])
def test_wait_with_nothing_in_flight_is_a_named_protocol_error(
    tmp_path: Path, table_path: Path, tiny_stocks: Any, concurrency: int
) -> None:
    with pytest.raises(ProtocolError) as info:
        run(tmp_path, table_path, tiny_stocks, WaitsAtOnce(), concurrency=concurrency)
    message = str(info.value)
    assert "'waits-at-once' returned Wait with no trial in flight (0 trials ended" in message
    assert len(message.splitlines()) == 1
