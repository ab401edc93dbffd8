from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from tunebench.strategies.space import Categorical, Condition, Float, Int, SearchSpace
from tunebench.strategies.space.sampling import sample_configs


def space() -> SearchSpace:
    return SearchSpace(
        [
            Int("n_layers", 1, 3),
            Int("units_1", 4, 128, log=True),
            Int("units_2", 4, 128, log=True, condition=Condition("n_layers", (2, 3))),
            Int("units_3", 4, 128, log=True, condition=Condition("n_layers", (3,))),
            Categorical("optimizer", ("adam", "rmsprop", "sgd")),
            Float("learning_rate", 1e-4, 1e-1, log=True),
            Float("dropout", 0.0, 0.5),
            Int("width", 10, 50, step=10),
        ]
    )


def test_sample_is_seeded_valid_distinct_and_a_prefix_of_larger_samples() -> None:
    sp = space()
    a = sample_configs(sp, 200, seed=3)
    assert a == sample_configs(sp, 200, seed=3)
    assert a != sample_configs(sp, 200, seed=4)
    assert sample_configs(sp, 50, seed=3) == a[:50]
    assert len({sp.config_key(c) for c in a}) == 200
    for config in a:
        sp.validate(config)  # exactly the active parameters, each in range
        assert ("units_3" in config) == (config["n_layers"] == 3)


def test_sample_covers_ranges_evenly_and_honours_log_scales() -> None:
    configs = sample_configs(space(), 512, seed=0)
    lr = np.log10([c["learning_rate"] for c in configs])
    # log-uniform: a quarter of the log range holds about a quarter of the points
    assert abs(np.mean(lr < -3.25) - 0.25) < 0.03
    dropout = np.array([c["dropout"] for c in configs])
    assert abs(np.mean(dropout < 0.25) - 0.5) < 0.03
    counts = Counter(c["optimizer"] for c in configs)
    assert max(counts.values()) - min(counts.values()) <= 3  # Sobol balance
    assert set(Counter(c["width"] for c in configs)) == {10, 20, 30, 40, 50}
    units = [c["units_1"] for c in configs]
    assert min(units) == 4 and max(units) == 128
    # log scale: as many widths below sqrt(4 * 128) ~ 22.6 as above it
    assert abs(np.mean(np.array(units) <= 22) - 0.5) < 0.06


def test_small_discrete_space_is_exhausted_with_a_clear_error() -> None:
    sp = SearchSpace([Categorical("a", (1, 2)), Categorical("b", ("x", "y", "z"))])
    assert len(sample_configs(sp, 6, seed=0)) == 6
    with pytest.raises(ValueError, match="fewer than 7 distinct configs"):
        sample_configs(sp, 7, seed=0)
    with pytest.raises(ValueError, match="at least 1"):
        sample_configs(sp, 0, seed=0)


def test_every_shipped_space_samples() -> None:
    from tunebench.datasets import available_problems

    for cls in available_problems().values():
        sp = cls().space()
        configs = sample_configs(sp, 64, seed=0)
        assert len({sp.config_key(c) for c in configs}) == 64
        for config in configs:
            sp.validate(config)


def test_a_fixed_parameter_takes_no_sobol_dimension() -> None:
    full = SearchSpace([Float("a", 0.0, 1.0), Categorical("c", ("x",)), Float("b", 0.0, 1.0)])
    free = SearchSpace([Float("a", 0.0, 1.0), Float("b", 0.0, 1.0)])
    # the fixed parameter is carried, but the varying ones are sampled as without it
    with_fixed = sample_configs(full, 64, seed=3)
    assert all(c["c"] == "x" for c in with_fixed)
    assert [{"a": c["a"], "b": c["b"]} for c in with_fixed] == sample_configs(free, 64, seed=3)
