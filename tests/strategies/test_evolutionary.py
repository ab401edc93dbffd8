from __future__ import annotations

import math

import numpy as np
import pytest

from tunebench.strategies import (
    BudgetView,
    EvolutionaryMutation,
    EvolutionaryPruning,
    Fidelity,
    Proposal,
    TrialStatus,
    Wait,
)
from tunebench.strategies.evolutionary import _neighbour
from tunebench.strategies.space import Categorical, Float, Int
from tunebench.strategies.testing import drive, fake_value, finite_space, mlp_like_space

FULL = 10_000  # a budget that covers any plan here


def rounds(out_proposals: list) -> list[tuple[int, int]]:
    """(target_epochs, number of proposals) per run of equal targets, in order."""
    out: list[tuple[int, int]] = []
    for p in out_proposals:
        if out and out[-1][0] == p.target_epochs:
            out[-1] = (p.target_epochs, out[-1][1] + 1)
        else:
            out.append((p.target_epochs, 1))
    return out


def test_default_plan_drops_15_percent_per_round_down_to_10() -> None:
    strategy = EvolutionaryPruning()
    out = drive(strategy, budget_epochs=FULL, fidelity=Fidelity(1, 10))
    assert strategy.alive_history == [42, 35, 29, 24, 20, 17, 14, 11, 10]
    # 50 trained 1 epoch, 42 trained to 2, ... then the 10 survivors to max epochs
    assert rounds(out.proposals) == [
        (1, 50), (2, 42), (3, 35), (4, 29), (5, 24), (6, 20), (7, 17), (8, 14), (9, 11),
        (10, 10),
    ]  # fmt: skip
    assert out.ended == "exhausted"
    # resume: only new epochs are charged; each member one epoch per round
    assert out.epochs_used == 50 + 42 + 35 + 29 + 24 + 20 + 17 + 14 + 11 + 10


def test_survivors_continue_from_their_own_previous_trial() -> None:
    out = drive(EvolutionaryPruning(population=8, survivors=2), budget_epochs=FULL)
    by_id = {p.trial_id: p for p in out.proposals}
    resumed = [p for p in out.proposals if p.resume_from is not None]
    assert resumed
    for p in resumed:
        parent = by_id[p.resume_from]
        assert parent.config == p.config
        assert out.results[p.trial_id].start_epoch == out.results[parent.trial_id].epochs


def test_without_resume_every_round_retrains_and_pays_in_full() -> None:
    out = drive(EvolutionaryPruning(population=8, survivors=2, resume=False),
                budget_epochs=FULL)  # fmt: skip
    assert all(p.resume_from is None for p in out.proposals)
    assert all(out.results[p.trial_id].start_epoch == 0 for p in out.proposals)
    assert out.epochs_used == sum(p.target_epochs for p in out.proposals)
    # same plan, cheaper with resume
    resumed = drive(EvolutionaryPruning(population=8, survivors=2), budget_epochs=FULL)
    assert [(p.config, p.target_epochs) for p in resumed.proposals] == [
        (p.config, p.target_epochs) for p in out.proposals
    ]
    assert resumed.epochs_used < out.epochs_used


def test_the_worst_are_dropped_by_last_value() -> None:
    space = mlp_like_space()
    strategy = EvolutionaryPruning(population=20, survivors=5)
    out = drive(strategy, space=space, budget_epochs=FULL)
    first = [p for p in out.proposals if p.target_epochs == 1]
    second = {space.config_key(p.config) for p in out.proposals if p.target_epochs == 2}
    ranked = sorted(first, key=lambda p: -fake_value(space, p.config, 1))
    assert second == {space.config_key(p.config) for p in ranked[: 20 - math.ceil(0.15 * 20)]}


def test_failed_members_are_dropped_first() -> None:
    strategy = EvolutionaryPruning(population=20, survivors=5)
    # Trials 5, 10, 15, 20 get a failure: at their first epoch or their second, alternately,
    # so 2 of the 20 one-epoch trials of round 1 fail.
    out = drive(strategy, budget_epochs=FULL, fail_every=5)
    failed = {p.trial_id for p in out.proposals[:20]
              if out.results[p.trial_id].status is TrialStatus.FAILED}  # fmt: skip
    assert len(failed) == 2
    # ceil(0.15 * 20) = 3 to drop: the 2 failures go first, then the worst of the rest
    assert strategy.alive_history[0] == 17
    round_1 = {p.trial_id: p.config for p in out.proposals[:20]}
    continued = [p.resume_from for p in out.proposals[20:] if p.resume_from in round_1]
    assert continued and not failed & set(continued)
    finals = {t: out.results[t].values[-1] for t in round_1 if t not in failed}
    worst = min(finals, key=finals.__getitem__)
    assert worst not in continued and len(set(continued)) == 17


def test_size_penalty_favours_smaller_networks() -> None:
    space = mlp_like_space()
    plain = EvolutionaryPruning(population=30, survivors=5)
    small = EvolutionaryPruning(population=30, survivors=5, size_penalty=0.01)
    drive(plain, space=space, budget_epochs=FULL)
    drive(small, space=space, budget_epochs=FULL)
    size = plain.model_size
    kept = [sum(size(m.config) for m in s.members if m.alive) for s in (plain, small)]
    assert kept[1] < kept[0]
    assert size({"n_layers": 2, "units_1": 8, "units_2": 16, "optimizer": "sgd"}) == 24


def test_waits_for_the_round_when_trials_are_in_flight() -> None:
    strategy = EvolutionaryPruning(population=4, survivors=2)
    strategy.setup(mlp_like_space(), Fidelity(1, 4), "maximize", 0)
    view = BudgetView(0.0, 100.0, 400, 0.0, None)
    first = [strategy.ask(view) for _ in range(4)]
    assert all(isinstance(p, Proposal) for p in first)
    assert isinstance(strategy.ask(view), Wait)
    out = drive(EvolutionaryPruning(population=12, survivors=3), budget_epochs=FULL,
                concurrency=5)  # fmt: skip
    assert out.waits > 0 and out.ended == "exhausted"


def test_budget_cut_ends_wherever_the_harness_stops() -> None:
    out = drive(EvolutionaryPruning(), budget_epochs=30)
    assert out.ended == "budget" and out.epochs_used == 30 and len(out.proposals) == 30


def test_small_finite_space_shrinks_the_population() -> None:
    strategy = EvolutionaryPruning()
    out = drive(strategy, space=finite_space(), budget_epochs=FULL)
    assert len(strategy.members) == 8  # every config of the space, none twice
    assert rounds(out.proposals) == [(4, 8)]  # <= survivors: straight to max epochs


def test_mutation_refills_the_population_with_neighbours() -> None:
    space = mlp_like_space()
    strategy = EvolutionaryMutation(population=20, survivors=4)
    out = drive(strategy, space=space, budget_epochs=FULL, fidelity=Fidelity(1, 6))
    # rounds to 1..5 epochs, each pruned to 17; refills after the first four
    assert strategy.alive_history == [17] * 5
    assert len(strategy.members) == 20 + 4 * 3
    keys = [space.config_key(m.config) for m in strategy.members]
    assert len(set(keys)) == len(keys)
    children = strategy.members[20:]
    # mutants start from scratch and are charged in full
    for p in out.proposals:
        if any(p.config == c.config for c in children) and p.resume_from is None:
            assert out.results[p.trial_id].start_epoch == 0
    # each mutant differs from some survivor in one or two parameters (or new layers)
    parents = strategy.members[:20]
    for child in children:
        diffs = min(
            sum(child.config.get(k) != m.config.get(k) for k in set(child.config) | set(m.config))
            for m in parents + children
            if m is not child
        )
        assert 1 <= diffs <= 4
    assert out.ended == "exhausted"
    assert sum(m.alive for m in strategy.members) == 4


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"prune_fraction": 0.0},
            r"prune_fraction = 0\.0 is not allowed; allowed: a number in \(0, 1\)",
        ),
        ({"prune_fraction": 1.0}, r"prune_fraction = 1\.0"),
        ({"population": 5, "survivors": 10}, r"population = 5 is smaller than survivors = 10"),
        ({"survivors": 0}, r"survivors = 0 is not allowed; allowed: an int in \[1, inf\)"),
        ({"round_epochs": 0}, r"round_epochs = 0"),
        ({"resume": "no"}, r"resume = 'no' is not allowed; allowed: true or false"),
        ({"size_penalty": -1.0}, r"size_penalty = -1\.0"),
        ({"population": 2.5}, r"population = 2\.5"),
    ],
)
def test_bad_parameters_are_refused_before_anything_trains(params: dict, message: str) -> None:
    for cls in (EvolutionaryPruning, EvolutionaryMutation):
        strategy = cls(**params)
        with pytest.raises(ValueError, match=message):
            strategy.check_params()
        with pytest.raises(ValueError, match=message):  # setup checks too
            strategy.setup(mlp_like_space(), Fidelity(1, 4), "maximize", 0)


def test_neighbours_are_one_grid_step_away() -> None:
    rng = np.random.default_rng(0)
    units = Int("units", 4, 128, log=True)
    assert {_neighbour(units, 32, rng) for _ in range(20)} == {16, 64}
    assert {_neighbour(units, 23, rng) for _ in range(20)} == {16, 32}  # off-grid draw
    assert {_neighbour(units, 4, rng) for _ in range(5)} == {8}
    lr = Float("lr", 1e-4, 1e-1, log=True)
    assert {_neighbour(lr, 1e-2, rng) for _ in range(20)} == {1e-3, 1e-1}
    batch = Categorical("batch", (256, 32, 64, 128))  # numeric choices: in value order
    assert {_neighbour(batch, 64, rng) for _ in range(20)} == {32, 128}
    opt = Categorical("opt", ("adam", "rmsprop", "sgd"))
    assert {_neighbour(opt, "adam", rng) for _ in range(20)} == {"rmsprop", "sgd"}
