from __future__ import annotations

import math

import pytest

from tunebench.curves.nearest import NearestConfig, median_gap
from tunebench.strategies.space import Categorical, Condition, Float, Int, SearchSpace
from tunebench.strategies.space.sampling import sample_configs

SPACE = SearchSpace(
    [
        Int("n_layers", 1, 2),
        Int("units_2", 4, 128, log=True, condition=Condition("n_layers", (2,))),
        Categorical("optimizer", ("adam", "sgd")),
        Float("learning_rate", 1e-4, 1e-1, log=True),
        Float("dropout", 0.0, 0.5),
    ]
)
RECORDED = [
    {"n_layers": 1, "optimizer": "adam", "learning_rate": 1e-3, "dropout": 0.0},
    {"n_layers": 2, "units_2": 8, "optimizer": "adam", "learning_rate": 1e-3, "dropout": 0.0},
    {"n_layers": 1, "optimizer": "sgd", "learning_rate": 1e-1, "dropout": 0.5},
]
KEYS = [SPACE.config_key(c) for c in RECORDED]


def test_exact_configs_are_served_themselves() -> None:
    nearest = NearestConfig(SPACE, KEYS, RECORDED)
    for key, config in zip(KEYS, RECORDED, strict=True):
        assert nearest.nearest(config) == (key, 0.0)


def test_distance_scales_log_ranges_and_counts_conditions_and_categories() -> None:
    nearest = NearestConfig(SPACE, KEYS, RECORDED)
    # learning rate 1e-2 is a third of the log range away from 1e-3
    key, distance = nearest.nearest({**RECORDED[0], "learning_rate": 1e-2})
    assert key == KEYS[0] and distance == pytest.approx(1 / 3)
    # an active units_2 that the first config lacks counts 1, so the 2-layer one is nearer
    key, distance = nearest.nearest({**RECORDED[1], "units_2": 128})
    assert key == KEYS[1]
    assert distance == pytest.approx((math.log(128) - math.log(8)) / (math.log(128) - math.log(4)))
    # a different optimizer alone counts 1
    key, distance = nearest.nearest({**RECORDED[2], "optimizer": "adam"})
    assert key == KEYS[2] and distance == pytest.approx(1.0)


def test_ties_go_to_the_first_key() -> None:
    # two recorded copies of one config: every query is exactly as far from both
    nearest = NearestConfig(SPACE, ["a", "b"], [RECORDED[0], RECORDED[0]])
    assert nearest.nearest({**RECORDED[0], "learning_rate": 1e-2})[0] == "a"


def test_excluded_configs_are_not_served_until_every_config_is() -> None:
    nearest = NearestConfig(SPACE, KEYS, RECORDED)
    config = RECORDED[0]
    assert nearest.nearest(config, exclude={KEYS[0]})[0] != KEYS[0]
    second = nearest.nearest(config, exclude={KEYS[0]})[0]
    third = nearest.nearest(config, exclude={KEYS[0], second})[0]
    assert {KEYS[0], second, third} == set(KEYS)
    assert nearest.nearest(config, exclude=set(KEYS)) == (KEYS[0], 0.0)  # all served: nearest


def test_median_gap_is_zero_where_every_config_is_recorded_and_grows_as_they_thin() -> None:
    space = SearchSpace([Categorical("a", ("x", "y")), Categorical("b", (1, 2, 3))])
    every = sample_configs(space, 6, 0)
    full = NearestConfig(space, [space.config_key(c) for c in every], every)
    assert median_gap(full, seed=1) == 0.0
    one = NearestConfig(space, [space.config_key(every[0])], every[:1])
    assert median_gap(one, seed=1) >= 1.0  # most random configs differ in a categorical
    dense_space = SearchSpace([Float("x", 0.0, 1.0), Float("y", 0.0, 1.0)])
    gaps = []
    for n in (4, 64):
        configs = sample_configs(dense_space, n, 0)
        table = NearestConfig(dense_space, [dense_space.config_key(c) for c in configs], configs)
        gaps.append(median_gap(table, seed=1))
    assert gaps[0] > gaps[1] > 0.0
