"""``i-epoch``: screen at i epochs, then train the best k fully (Egele et al., 2023)."""

from __future__ import annotations

import pytest

from tunebench.strategies import available_strategies
from tunebench.strategies.base import BudgetView, Proposal, TrialResult, TrialStatus
from tunebench.strategies.i_epoch import IEpoch
from tunebench.strategies.testing import FIDELITY, check_strategy, drive, mlp_like_space


def test_registered_and_conforms_with_other_params() -> None:
    assert available_strategies()["i-epoch"] is IEpoch
    check_strategy(IEpoch, {"epochs": 2, "top_k": 2, "resume": False})


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_screens_the_budget_then_continues_the_best_k(direction: str) -> None:
    # 40 epochs, max 4: 3 promotions of 3 new epochs leave 31 one-epoch candidates.
    out = drive(IEpoch(), seed=3, budget_epochs=40, direction=direction)  # type: ignore[arg-type]
    screened = [p for p in out.proposals if p.target_epochs == 1]
    promoted = [p for p in out.proposals if p.target_epochs == 4]
    assert len(screened) == 31 and len(promoted) == 3
    assert out.epochs_used == 40  # the budget, spent exactly
    sign = 1 if direction == "maximize" else -1
    by_value = sorted(screened, key=lambda p: -sign * out.results[p.trial_id].values[0])
    assert [p.resume_from for p in promoted] == [p.trial_id for p in by_value[:3]]
    for p in promoted:  # the same config, continued: only its 3 new epochs were charged
        source = next(s for s in screened if s.trial_id == p.resume_from)
        assert p.config == source.config
        assert out.results[p.trial_id].status is TrialStatus.COMPLETE
        assert len(out.results[p.trial_id].values) == 3
        assert out.results[p.trial_id].start_epoch == 1


def test_without_resume_the_top_k_are_retrained_and_charged_in_full() -> None:
    out = drive(IEpoch(epochs=2, top_k=2, resume=False), seed=1, budget_epochs=40)
    promoted = [p for p in out.proposals if p.target_epochs == 4]
    # 40 - 2 * 4 = 32 epochs of screening at 2 epochs: 16 candidates.
    assert len(out.proposals) == 16 + 2
    assert all(p.resume_from is None for p in promoted)
    assert out.epochs_used == 40


def test_candidates_given_and_served_configs_are_promoted_as_served() -> None:
    out = drive(
        IEpoch(candidates=6, top_k=2), seed=2, budget_epochs=80, concurrency=3, serve_grid=True
    )
    assert [p.target_epochs for p in out.proposals].count(1) == 6
    assert [p.target_epochs for p in out.proposals].count(4) == 2
    assert out.ended == "exhausted"


def test_screening_at_full_length_promotes_nothing() -> None:
    out = drive(IEpoch(epochs=9), seed=0, budget_epochs=40)
    assert {p.target_epochs for p in out.proposals} == {4}
    assert len(out.proposals) == 10 and all(p.resume_from is None for p in out.proposals)


def test_only_candidates_in_the_top_k_so_far_keep_their_weights() -> None:
    strategy = IEpoch(top_k=2, candidates=5)
    strategy.setup(mlp_like_space(), FIDELITY, "maximize", seed=0)
    budget = BudgetView(0.0, 10.0, 40, 0.0, None)
    kept = []
    for value in (0.5, 0.4, 0.6, 0.3, 0.55):
        proposal = strategy.ask(budget)
        assert isinstance(proposal, Proposal) and proposal.target_epochs == 1
        strategy.report(proposal.trial_id, 1, value)
        kept.append(strategy.keep_weights(proposal.trial_id))
        strategy.tell(proposal.trial_id, TrialResult(TrialStatus.COMPLETE, (value,)))
    # 0.5 and 0.4 (top 2 so far), 0.6, not 0.3, and 0.55 (second to 0.6)
    assert kept == [True, True, True, False, True]
    promoted = [strategy.ask(budget), strategy.ask(budget)]
    assert [p.resume_from for p in promoted if isinstance(p, Proposal)] == [2, 4]
