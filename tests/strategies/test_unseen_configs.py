from __future__ import annotations

import numpy as np

from tunebench.strategies._common import UnseenConfigs, finite_configs
from tunebench.strategies.space import Categorical, Float, Int, SearchSpace
from tunebench.strategies.testing import finite_space


def test_draws_only_unseen_configs_and_the_same_ones_for_the_same_seed() -> None:
    space = finite_space()
    every = finite_configs(space)
    assert every is not None
    seen = {space.config_key(c) for c in every[:5]}
    unseen = UnseenConfigs(space)
    picks = [unseen.pick(np.random.default_rng(3), seen) for _ in range(2)]
    assert picks[0] == picks[1] and space.config_key(picks[0]) not in seen
    many = unseen.pick_many(np.random.default_rng(3), seen, 10)
    assert sorted(map(space.config_key, many)) == sorted(space.config_key(c) for c in every[5:])


def test_an_infinite_space_has_nothing_to_draw() -> None:
    space = SearchSpace([Int("a", 1, 3), Float("f", 0.0, 1.0), Categorical("c", ("x",))])
    assert UnseenConfigs(space).pick_many(np.random.default_rng(0), set(), 3) == []
