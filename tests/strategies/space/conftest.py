"""Example spaces shared by the search-space tests, as factories (a fresh object per call)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tunebench.strategies.space import Categorical, Condition, Float, Int, SearchSpace


def mlp_space() -> SearchSpace:
    return SearchSpace(
        [
            Int("n_layers", 1, 3),
            Int("units_1", 4, 128, log=True),
            Int("units_2", 4, 128, log=True, condition=Condition("n_layers", (2, 3))),
            Int("units_3", 4, 128, log=True, condition=Condition("n_layers", (3,))),
            Categorical("optimizer", ("adam", "rmsprop", "sgd")),
            Float("learning_rate", 1e-4, 1e-1, log=True),
            Categorical("batch_size", (32, 64, 128, 256)),
        ]
    )


def chain_space() -> SearchSpace:
    """Three-level chain: model -> n_conv -> kernel, plus an unconditional dropout."""
    return SearchSpace(
        [
            Categorical("model", ("mlp", "cnn")),
            Int("n_conv", 1, 3, condition=Condition("model", ("cnn",))),
            Categorical("kernel", (3, 5), condition=Condition("n_conv", (2, 3))),
            Float("dropout", 0.0, 0.5),
        ]
    )


def layers_space() -> SearchSpace:
    """n_layers in 1..3, units_k active when n_layers >= k, each with two grid values."""
    return SearchSpace(
        [
            Int("n_layers", 1, 3),
            Int("units_1", 8, 64, grid=(16, 32)),
            Int("units_2", 8, 64, grid=(16, 32), condition=Condition("n_layers", (2, 3))),
            Int("units_3", 8, 64, grid=(16, 32), condition=Condition("n_layers", (3,))),
        ]
    )


def valid_mlp_config() -> dict[str, Any]:
    return {
        "n_layers": 2,
        "units_1": 32,
        "units_2": 7,
        "optimizer": "adam",
        "learning_rate": 0.01,
        "batch_size": 64,
    }


@pytest.fixture(name="mlp_space")
def mlp_space_factory() -> Callable[[], SearchSpace]:
    """An MLP space: widths conditional on the depth, log ints and floats, categoricals."""
    return mlp_space


@pytest.fixture(name="chain_space")
def chain_space_factory() -> Callable[[], SearchSpace]:
    """A three-level chain of conditions plus an unconditional float."""
    return chain_space


@pytest.fixture(name="layers_space")
def layers_space_factory() -> Callable[[], SearchSpace]:
    """Widths active by depth, each with a two-value grid."""
    return layers_space


@pytest.fixture(name="valid_mlp_config")
def valid_mlp_config_factory() -> Callable[[], dict[str, Any]]:
    """A valid config of the MLP space, depth 2, once ``units_2`` is made a grid value."""
    return valid_mlp_config
