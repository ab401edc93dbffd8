"""The secretary rule: observe the first 1/e of the candidates, keep the first that beats them."""

from __future__ import annotations

import math

import pytest

from tunebench.strategies import Secretary
from tunebench.strategies.testing import drive, fake_value, mlp_like_space

FULL = 4  # the kit's max_epochs


def test_keeps_the_first_candidate_that_beats_every_observed_one() -> None:
    space = mlp_like_space()
    strategy = Secretary(candidates=20)
    out = drive(strategy, space=space, budget_epochs=20 * FULL)
    values = [fake_value(space, p.config, FULL) for p in out.proposals]
    k = math.floor(20 / math.e)  # 7 observed
    assert all(p.target_epochs == FULL and p.resume_from is None for p in out.proposals)
    bar = max(values[:k])
    first = next(i for i in range(k, 20) if values[i] > bar)
    assert strategy.kept == out.proposals[first].trial_id
    assert len(out.proposals) == first + 1 and out.ended == "exhausted"


def test_minimize_keeps_the_first_lower_value() -> None:
    space = mlp_like_space()
    strategy = Secretary(candidates=12, observe=0.25)
    out = drive(strategy, space=space, budget_epochs=12 * FULL, direction="minimize")
    values = [1 - fake_value(space, p.config, FULL) for p in out.proposals]
    if strategy.kept is not None:
        i = [p.trial_id for p in out.proposals].index(strategy.kept)
        assert i >= 3 and values[i] < min(values[:3]) and len(out.proposals) == i + 1


def test_candidates_default_to_the_budgets_full_evaluations() -> None:
    strategy = Secretary(observe=0.5)
    out = drive(strategy, budget_epochs=10 * FULL)
    assert strategy._n == 10 and len(out.proposals) <= 10


def test_with_trials_in_flight_the_rule_keeps_proposal_order() -> None:
    space = mlp_like_space()
    compared = 0
    for seed in range(6):
        seq = Secretary(candidates=20)
        drive(seq, space=space, seed=seed, budget_epochs=30 * FULL)
        par = Secretary(candidates=20)
        drive(par, space=space, seed=seed, budget_epochs=30 * FULL, concurrency=4)
        assert par.kept == seq.kept  # the same candidates, the same rule, the same pick
        compared += seq.kept is not None
    assert compared >= 2


@pytest.mark.parametrize("params", [{"observe": 0.0}, {"observe": 1.0}, {"candidates": 0}])
def test_bad_params_are_refused_in_one_line(params: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="secretary"):
        Secretary(**params).check_params()  # type: ignore[arg-type]
