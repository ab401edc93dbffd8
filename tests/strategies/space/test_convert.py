from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from tunebench.strategies.space import (
    Categorical,
    Condition,
    Float,
    Int,
    InvalidConfigError,
    SearchSpace,
)
from tunebench.strategies.space.convert import optuna_distribution, suggest_value

# --- Optuna ------------------------------------------------------------------------------------


def _sample_optuna(space: SearchSpace, seed: int, n: int) -> list[dict[str, Any]]:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    configs = []
    for _ in range(n):
        trial = study.ask()
        config = space.suggest_optuna(trial)
        assert trial.params == config  # inactive params never suggested
        configs.append(config)
        study.tell(trial, 0.0)
    return configs


def test_suggest_optuna_valid_conditional_and_reproducible(
    mlp_space: Callable[[], SearchSpace],
) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = mlp_space()
    configs = _sample_optuna(space, seed=7, n=60)
    for config in configs:
        space.validate(config)
        assert list(config) == space.active_names(config)
        assert ("units_3" in config) == (config["n_layers"] == 3)
        assert ("units_2" in config) == (config["n_layers"] >= 2)
        assert type(config["units_1"]) is int and type(config["learning_rate"]) is float
    assert {c["n_layers"] for c in configs} == {1, 2, 3}
    assert configs == _sample_optuna(space, seed=7, n=60)
    assert configs != _sample_optuna(space, seed=8, n=60)


def test_suggest_optuna_chain(chain_space: Callable[[], SearchSpace]) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = chain_space()
    configs = _sample_optuna(space, seed=0, n=60)
    for config in configs:
        space.validate(config)
    assert any("kernel" in c for c in configs) and any(c["model"] == "mlp" for c in configs)


def test_to_optuna_distributions(mlp_space: Callable[[], SearchSpace]) -> None:
    dists = mlp_space().to_optuna()
    assert list(dists) == list(mlp_space().names)  # conditional ones included
    assert dists["units_3"] == IntDistribution(4, 128, log=True)
    assert dists["n_layers"] == IntDistribution(1, 3)
    assert dists["learning_rate"] == FloatDistribution(1e-4, 1e-1, log=True)
    assert dists["optimizer"] == CategoricalDistribution(("adam", "rmsprop", "sgd"))
    assert Int("a", 0, 10, step=5).to_optuna() == IntDistribution(0, 10, step=5)


def test_optuna_distributions_accept_grid_and_defaults(
    mlp_space: Callable[[], SearchSpace],
) -> None:
    space = mlp_space()
    dists = space.to_optuna()
    for config in [space.defaults(), *space.grid()[:50]]:
        for name, value in config.items():
            assert dists[name]._contains(dists[name].to_internal_repr(value))


def test_parameter_converters_match_the_methods() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    params = [Int("i", 0, 10, step=5), Float("f", 1e-3, 1.0, log=True), Categorical("c", (1, 2))]
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()
    for param in params:
        assert optuna_distribution(param) == param.to_optuna()
        value = suggest_value(param, trial)
        assert param.contains(value) and value == param.suggest(trial)  # same name, same value
        assert type(value) is type(param.default_value())


# --- keras-tuner -------------------------------------------------------------------------------


def test_to_keras_tuner_defaults_and_conditions(chain_space: Callable[[], SearchSpace]) -> None:
    kt = pytest.importorskip("keras_tuner")
    space = chain_space()
    hp = space.to_keras_tuner()
    assert isinstance(hp, kt.HyperParameters)
    assert space.from_keras_tuner(hp.values) == space.defaults()
    assert not hp.is_active("n_conv") and not hp.is_active("kernel")
    hp.values["model"] = "cnn"
    hp.values["n_conv"] = 3
    assert hp.is_active("n_conv") and hp.is_active("kernel")
    hp.values["n_conv"] = 1
    assert hp.is_active("n_conv") and not hp.is_active("kernel")
    # Nested scopes: a stale n_conv value does not activate kernel once model is "mlp".
    hp.values["n_conv"] = 3
    hp.values["model"] = "mlp"
    assert not hp.is_active("n_conv") and not hp.is_active("kernel")
    assert space.from_keras_tuner(hp.values) == {"model": "mlp", "dropout": 0.25}


def test_to_keras_tuner_declares_exact_ranges() -> None:
    kt = pytest.importorskip("keras_tuner")
    space = SearchSpace(
        [
            Int("units", 4, 128, log=True),
            Int("width", 0, 100, step=25),
            Float("lr", 1e-4, 1e-1, log=True),
            Categorical("act", ("relu", "tanh"), default="tanh"),
        ]
    )
    hp = space.to_keras_tuner(kt.HyperParameters())
    by_name = {p.name: p for p in hp.space}
    units = by_name["units"]
    assert (units.min_value, units.max_value, units.step, units.sampling) == (4, 128, None, "log")
    assert set(units.values) <= set(range(4, 129))
    assert {units.prob_to_value(0.0), units.prob_to_value(0.999999)} == {4, 128}
    width = by_name["width"]
    assert list(width.values) == [0, 25, 50, 75, 100]
    lr = by_name["lr"]
    assert (lr.min_value, lr.max_value, lr.sampling) == (1e-4, 1e-1, "log")
    assert hp.values == {"units": 23, "width": 50, "lr": pytest.approx(10**-2.5), "act": "tanh"}


def test_keras_tuner_random_sampling_maps_back(mlp_space: Callable[[], SearchSpace]) -> None:
    kt = pytest.importorskip("keras_tuner")
    space = mlp_space()
    hp = space.to_keras_tuner()
    oracle = kt.oracles.RandomSearchOracle(
        objective=kt.Objective("score", "max"), max_trials=100, hyperparameters=hp, seed=3
    )
    seen_depths = set()
    for i in range(60):
        values = oracle.populate_space(str(i))["values"]
        config = space.from_keras_tuner({**values, "tuner/epochs": 3, "tuner/round": 0})
        space.validate(config)
        assert ("units_3" in config) == (config["n_layers"] == 3)
        assert set(config) == set(values)  # kt activates exactly what the space does
        seen_depths.add(config["n_layers"])
    assert seen_depths == {1, 2, 3}


def test_keras_tuner_bool_choice_round_trips() -> None:
    pytest.importorskip("keras_tuner")
    space = SearchSpace(
        [
            Categorical("batch_norm", (True, False)),
            Float("momentum", 0.5, 0.99, condition=Condition("batch_norm", (True,))),
        ]
    )
    hp = space.to_keras_tuner()
    assert space.from_keras_tuner(hp.values) == {"batch_norm": True, "momentum": 0.745}
    hp.values["batch_norm"] = 0  # how keras-tuner stores False
    assert not hp.is_active("momentum")
    assert space.from_keras_tuner(hp.values) == {"batch_norm": False}


def test_from_keras_tuner_missing_active_param(
    mlp_space: Callable[[], SearchSpace], valid_mlp_config: Callable[[], dict[str, Any]]
) -> None:
    space = mlp_space()
    with pytest.raises(InvalidConfigError, match="'units_2': missing"):
        space.from_keras_tuner({k: v for k, v in valid_mlp_config().items() if k != "units_2"})
