"""The conformance kit catches each way a strategy can break the protocol."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from tunebench.strategies import (
    BudgetView,
    Exhausted,
    Fidelity,
    Proposal,
    Strategy,
    TrialResult,
    TrialStatus,
    Wait,
)
from tunebench.strategies.testing import (
    CHECKS,
    check_strategy,
    drive,
    fake_value,
    finite_space,
    mlp_like_space,
)


class GoodGrid(Strategy):
    """A correct minimal strategy: the seeded grid, then Exhausted."""

    name = "good-grid"

    def __init__(self) -> None:
        pass

    def setup(self, space: Any, fidelity: Fidelity, direction: Any, seed: int) -> None:
        super().setup(space, fidelity, direction, seed)
        self.todo = space.grid()
        np.random.default_rng(seed).shuffle(self.todo)

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        if not self.todo:
            return Exhausted()
        return Proposal(self.new_trial_id(), self.todo.pop(), self.fidelity.max_epochs)

    def tell(self, trial_id: int, result: TrialResult) -> None:
        pass


class Resumer(GoodGrid):
    """Trains each config 1 epoch, then continues it to max epochs from kept weights."""

    name = "resumer"

    def setup(self, space: Any, fidelity: Fidelity, direction: Any, seed: int) -> None:
        super().setup(space, fidelity, direction, seed)
        self.configs: dict[int, dict[str, Any]] = {}
        self.running: set[int] = set()
        self.ready: list[int] = []

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        if self.ready:
            trial = self.ready.pop()
            return Proposal(self.new_trial_id(), self.configs[trial], self.fidelity.max_epochs,
                            trial)  # fmt: skip
        if self.todo:
            tid = self.new_trial_id()
            self.configs[tid] = self.todo.pop()
            self.running.add(tid)
            return Proposal(tid, self.configs[tid], 1)
        return Wait() if self.running else Exhausted()

    def keep_weights(self, trial_id: int) -> bool:
        return trial_id in self.configs

    def tell(self, trial_id: int, result: TrialResult) -> None:
        if trial_id in self.running:
            self.running.discard(trial_id)
            if result.status is TrialStatus.COMPLETE:
                self.ready.append(trial_id)


def test_a_correct_strategy_passes_every_check() -> None:
    check_strategy(GoodGrid)
    check_strategy(Resumer)


def test_resumes_are_charged_only_new_epochs() -> None:
    out = drive(Resumer(), space=finite_space(), budget_epochs=1000)
    resumed = [p for p in out.proposals if p.resume_from is not None]
    assert len(resumed) == 8 and out.ended == "exhausted"
    assert all(out.results[p.trial_id].start_epoch == 1 for p in resumed)
    assert out.epochs_used == 8 * 4  # 1 epoch each, then 3 more each


class NoKeep(Resumer):
    name = "no-keep"

    def keep_weights(self, trial_id: int) -> bool:
        return False


class ResumeInFlight(GoodGrid):
    """Resumes the previous trial at once, before it has ended."""

    name = "resume-in-flight"

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        if self._next_trial_id % 2 == 1:
            prev = self._next_trial_id - 1
            return Proposal(self.new_trial_id(), self.last, self.fidelity.max_epochs, prev)
        if not self.todo:
            return Exhausted()
        self.last = self.todo.pop()
        return Proposal(self.new_trial_id(), self.last, 1)

    def keep_weights(self, trial_id: int) -> bool:
        return True


class WaitsForNothing(GoodGrid):
    name = "waits"

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        if self._next_trial_id == 3:
            return Wait("for nothing")
        return super().ask(budget)


class GlobalRandom(GoodGrid):
    """Shuffles with the global random module instead of the seed."""

    name = "global-random"

    def setup(self, space: Any, fidelity: Fidelity, direction: Any, seed: int) -> None:
        super().setup(space, fidelity, direction, seed)
        random.shuffle(self.todo)


class IgnoresSeed(GoodGrid):
    name = "ignores-seed"

    def setup(self, space: Any, fidelity: Fidelity, direction: Any, seed: int) -> None:
        super().setup(space, fidelity, direction, 0)


class NeverExhausts(GoodGrid):
    """Random sampling with replacement: on a finite space it never ends."""

    name = "never-exhausts"

    def setup(self, space: Any, fidelity: Fidelity, direction: Any, seed: int) -> None:
        super().setup(space, fidelity, direction, seed)
        self.rng = np.random.default_rng(seed)
        self.grid = space.grid()

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        config = self.grid[int(self.rng.integers(len(self.grid)))]
        return Proposal(self.new_trial_id(), config, self.fidelity.max_epochs)


class ComesBack(GoodGrid):
    """Says Exhausted once, then proposes again."""

    name = "comes-back"

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        if not self.todo:
            self.todo = self.space.grid()
            return Exhausted()
        return super().ask(budget)


class SmugglesEpochs(GoodGrid):
    name = "smuggler"

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        answer = super().ask(budget)
        if isinstance(answer, Proposal):
            config = {**answer.config, "tuner/epochs": 2}
            return Proposal(answer.trial_id, config, answer.target_epochs)
        return answer


class TooLong(GoodGrid):
    name = "too-long"

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        return Proposal(self.new_trial_id(), self.space.defaults(), self.fidelity.max_epochs + 1)


class ReusesIds(GoodGrid):
    name = "reuses-ids"

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        return Proposal(0, self.todo.pop(), self.fidelity.max_epochs)


class CrashesOnFailure(GoodGrid):
    name = "crashes-on-failure"

    def tell(self, trial_id: int, result: TrialResult) -> None:
        assert result.last_value is not None, "no value"


class Rescales(GoodGrid):
    name = "rescales"

    def __init__(self, k: int = 1) -> None:
        self.k = k * 2


@pytest.mark.parametrize(
    ("cls", "check", "message"),
    [
        (NoKeep, "follows_the_protocol", "were not kept"),
        (ResumeInFlight, "works_with_trials_in_flight", "has not ended"),
        (WaitsForNothing, "follows_the_protocol", "Wait with no trial in flight"),
        (GlobalRandom, "same_seed_same_proposals", "same seed gave different"),
        (IgnoresSeed, "different_seed_different_proposals", "seeds 1 and 2 gave the same"),
        (NeverExhausts, "finite_space_ends_exhausted", "never returned Exhausted"),
        (ComesBack, "finite_space_ends_exhausted", "must stay Exhausted"),
        (SmugglesEpochs, "follows_the_protocol", "carries the fidelity"),
        (TooLong, "follows_the_protocol", "allowed 1..4"),
        (ReusesIds, "follows_the_protocol", "reused trial id"),
        (CrashesOnFailure, "failed_trials_do_not_break_it", "no value"),
        (Rescales, "constructor_only_stores_params", "changed parameter 'k'"),
    ],
)
def test_each_violation_is_caught(cls: type[Strategy], check: str, message: str) -> None:
    params = {"k": 3} if cls is Rescales else None
    with pytest.raises(AssertionError, match=message):
        CHECKS[check](cls, params)
    with pytest.raises(AssertionError):
        check_strategy(cls, params)


def test_deterministic_strategies_may_skip_the_seed_check() -> None:
    cls = type("Fixed", (IgnoresSeed,), {"name": "fixed", "deterministic": True})
    CHECKS["different_seed_different_proposals"](cls, None)


def test_the_driver_cuts_at_the_cap_like_the_ledger() -> None:
    out = drive(GoodGrid(), budget_epochs=10)  # max_epochs 4: 4 + 4 + 2 (cut)
    assert out.ended == "budget" and out.epochs_used == 10
    statuses = [(r.status, r.reason, len(r.values)) for r in out.results.values()]
    assert statuses[-1] == (TrialStatus.STOPPED, "budget", 2)


def test_concurrent_trials_in_flight_are_cut_when_the_budget_ends() -> None:
    out = drive(GoodGrid(), budget_epochs=6, concurrency=3)
    assert out.epochs_used == 6
    # Three trials of 4 epochs on 3 workers share the 6 epochs, and all three are cut.
    assert (
        sorted((r.status, r.reason, len(r.values)) for r in out.results.values())
        == [(TrialStatus.STOPPED, "budget", 2)] * 3
    )


def test_failures_are_injected_like_nan_losses() -> None:
    out = drive(GoodGrid(), budget_epochs=40, fail_every=2)
    failed = [r for r in out.results.values() if r.status is TrialStatus.FAILED]
    positions = [n for n, p in enumerate(out.proposals, 1)
                 if out.results[p.trial_id].status is TrialStatus.FAILED]  # fmt: skip
    assert positions == list(range(2, len(out.proposals) + 1, 2))
    assert {len(r.values) for r in failed} == {0, 1}  # at the first or second epoch
    charged = sum(len(r.values) + (r.status is TrialStatus.FAILED) for r in out.results.values())
    assert charged == out.epochs_used == 40


def test_fake_value_is_deterministic_and_rises_with_epochs() -> None:
    space = mlp_like_space()
    config = space.defaults()
    assert fake_value(space, config, 1) == fake_value(space, config, 1)
    assert fake_value(space, config, 1) < fake_value(space, config, 2) < 1.0
    other = {**config, "optimizer": "sgd"}
    assert fake_value(space, config, 3) != fake_value(space, other, 3)
