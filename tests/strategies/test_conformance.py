"""The conformance suite every registered strategy must pass.

It drives each strategy through the protocol without training: the value of a
config is a fixed smooth function of it, so the tests are fast and exact. What
is checked is the contract with the harness, not search quality.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from tunebench.datasets.stocks import mlp_space
from tunebench.strategies import (
    BudgetView,
    Decision,
    Exhausted,
    Fidelity,
    Proposal,
    Strategy,
    TrialResult,
    TrialStatus,
    Wait,
    available_strategies,
)

STRATEGIES = sorted(available_strategies())
FIDELITY = Fidelity(1, 4)


def fake_value(config: dict[str, Any], epoch: int) -> float:
    """Accuracy-like: better with lr near 1e-2 and more units, rising with epochs."""
    lr_term = -abs(math.log10(config["learning_rate"]) + 2.0)
    return 0.5 + 0.05 * lr_term + 0.001 * config["units_1"] + 0.01 * epoch


def drive(
    strategy: Strategy, seed: int, budget_epochs: int = 40, fail_every: int = 0
) -> list[tuple[int, dict[str, Any], int, int | None]]:
    """Run the protocol like the harness does; return (id, config, target, resume_from)."""
    space = mlp_space()
    strategy.setup(space, FIDELITY, "maximize", seed)
    used = 0
    seen: list[tuple[int, dict[str, Any], int, int | None]] = []
    epochs_of: dict[int, int] = {}
    while used < budget_epochs:
        view = BudgetView(
            used=used / FIDELITY.max_epochs,
            total=budget_epochs / FIDELITY.max_epochs,
            remaining_epochs=budget_epochs - used,
            seconds_used=0.0,
            seconds_total=None,
        )
        answer = strategy.ask(view)
        if isinstance(answer, Exhausted):
            break
        assert not isinstance(answer, Wait), "sequential harness: nothing in flight"
        assert isinstance(answer, Proposal)
        space.validate(answer.config)
        assert answer.trial_id not in epochs_of, "trial ids must be fresh"
        assert FIDELITY.min_epochs <= answer.target_epochs <= FIDELITY.max_epochs
        assert not any(k.startswith("tuner/") or k == "epochs" for k in answer.config)
        start = 0
        if answer.resume_from is not None:
            assert answer.resume_from in epochs_of
            start = epochs_of[answer.resume_from]
            assert answer.target_epochs > start
        config = space.canonical(answer.config)
        seen.append((answer.trial_id, config, answer.target_epochs, answer.resume_from))
        values: list[float] = []
        status = TrialStatus.COMPLETE
        failing = fail_every and len(seen) % fail_every == 0
        for epoch in range(start + 1, answer.target_epochs + 1):
            used += 1
            if failing:
                status = TrialStatus.FAILED
                break
            values.append(fake_value(config, epoch))
            decision = strategy.report(answer.trial_id, epoch, values[-1])
            assert isinstance(decision, Decision)
            if decision is Decision.STOP and epoch < answer.target_epochs:
                status = TrialStatus.STOPPED
                break
            if used >= budget_epochs:
                break
        epochs_of[answer.trial_id] = start + len(values)
        reason = "nan loss" if status is TrialStatus.FAILED else ""
        strategy.tell(answer.trial_id, TrialResult(status, tuple(values), start, reason))
    return seen


@pytest.mark.parametrize("name", STRATEGIES)
def test_proposals_follow_the_protocol(name: str) -> None:
    seen = drive(available_strategies()[name](), seed=0)
    assert seen, f"{name} proposed nothing"


@pytest.mark.parametrize("name", STRATEGIES)
def test_same_seed_same_proposals(name: str) -> None:
    cls = available_strategies()[name]
    assert drive(cls(), seed=7) == drive(cls(), seed=7)


@pytest.mark.parametrize("name", STRATEGIES)
def test_different_seed_different_proposals(name: str) -> None:
    cls = available_strategies()[name]
    assert drive(cls(), seed=1) != drive(cls(), seed=2)


@pytest.mark.parametrize("name", STRATEGIES)
def test_failed_trials_do_not_stop_the_strategy(name: str) -> None:
    seen = drive(available_strategies()[name](), seed=3, fail_every=2)
    assert len(seen) >= 4


@pytest.mark.parametrize("name", STRATEGIES)
def test_constructor_only_stores_params(name: str) -> None:
    cls = available_strategies()[name]
    strategy = cls()
    assert set(strategy.get_params()) == set(cls.param_names())
    assert cls.name == name


@pytest.mark.parametrize("name", STRATEGIES)
def test_no_budget_left_means_exhausted_or_nothing_trained(name: str) -> None:
    strategy = available_strategies()[name]()
    strategy.setup(mlp_space(), FIDELITY, "minimize", 0)
    view = BudgetView(used=10.0, total=10.0, remaining_epochs=0, seconds_used=0.0,
                      seconds_total=None)  # fmt: skip
    assert isinstance(strategy.ask(view), Exhausted)
