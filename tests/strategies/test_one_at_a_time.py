from __future__ import annotations

from typing import Any

import pytest

from tunebench.datasets.stocks import mlp_space
from tunebench.strategies import Fidelity, OneAtATime
from tunebench.strategies._common import complete_config
from tunebench.strategies.testing import drive, fake_value, finite_space

FULL = 10_000


def changed(a: dict[str, Any], b: dict[str, Any]) -> set[str]:
    return {k for k in set(a) | set(b) if a.get(k) != b.get(k)}


def test_starts_at_the_defaults_and_keeps_the_best_of_each_sweep() -> None:
    space = mlp_space()
    strategy = OneAtATime()
    out = drive(strategy, space=space, budget_epochs=FULL)
    assert out.ended == "exhausted"
    assert out.proposals[0].config == space.canonical(space.defaults())
    assert {p.target_epochs for p in out.proposals} == {4}
    trained = {space.config_key(p.config) for p in out.proposals}
    swept_configs: set[str] = set()
    current = out.proposals[0].config
    for name, kept in strategy.history:
        # the others fixed, this parameter at each grid value (new layers at defaults)
        candidates = [current] + [
            complete_config(space, {**current, name: v}) for v in space[name].grid_values()
        ]
        for c in candidates[1:]:
            extra = {"units_2", "units_3"} if name == "n_layers" else set()
            assert changed(c, current) <= {name} | extra
        keys = [space.config_key(c) for c in candidates]
        assert set(keys) <= trained
        swept_configs.update(keys)
        best = max(candidates, key=lambda c: fake_value(space, c, 4))
        assert kept == best
        current = kept
    assert swept_configs == trained  # nothing trained outside the sweeps


def test_newly_active_parameters_are_swept_later_in_the_pass() -> None:
    space = mlp_space()
    for seed in range(8):
        strategy = OneAtATime()
        drive(strategy, space=space, seed=seed, budget_epochs=FULL)
        swept = [name for name, _ in strategy.history]
        assert len(swept) == len(set(swept))  # one sweep per parameter per pass
        final = strategy.history[-1][1]
        assert set(space.active_names(final)) <= set(swept)


def test_never_trains_a_config_twice_even_over_two_passes() -> None:
    space = mlp_space()
    one = drive(OneAtATime(), space=space, seed=1, budget_epochs=FULL)
    two = drive(OneAtATime(passes=2), space=space, seed=1, budget_epochs=FULL)
    for out in (one, two):
        keys = [space.config_key(p.config) for p in out.proposals]
        assert len(keys) == len(set(keys))
    assert len(two.proposals) > len(one.proposals)
    assert two.proposals[: len(one.proposals)] == one.proposals
    assert two.ended == "exhausted"


def test_finite_space_sweeps() -> None:
    out = drive(OneAtATime(), space=finite_space(), budget_epochs=FULL)
    # defaults, 2 other activations (elu adds batchnorm), 1 other width; +1 batchnorm if elu won
    assert 4 <= len(out.proposals) <= 5 and out.ended == "exhausted"


def test_bad_passes_are_refused() -> None:
    with pytest.raises(ValueError, match=r"one-at-a-time: passes = 0 is not allowed"):
        OneAtATime(passes=0).check_params()
    with pytest.raises(ValueError, match="passes"):
        OneAtATime(passes=0).setup(finite_space(), Fidelity(1, 2), "maximize", 0)
