from __future__ import annotations

import doctest
import json
import os
import pickle
import subprocess
import sys
from typing import Any

import numpy as np
import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

import tunebench.strategies.space as space_module
from tunebench.strategies.space import (
    Categorical,
    Condition,
    Float,
    Int,
    InvalidConfigError,
    SearchSpace,
)


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


# --- construction ------------------------------------------------------------------------------


def test_duplicate_names_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate parameter name 'a'"):
        SearchSpace([Int("a", 1, 3), Float("a", 0.0, 1.0)])


def test_parent_defined_later_rejected() -> None:
    with pytest.raises(ValueError, match=r"'b'.*defined later"):
        SearchSpace([Int("a", 1, 3, condition=Condition("b", ("x",))), Categorical("b", ("x",))])


def test_unknown_parent_rejected() -> None:
    with pytest.raises(ValueError, match="'nope' does not exist"):
        SearchSpace([Int("a", 1, 3, condition=Condition("nope", (1,)))])


def test_float_parent_rejected() -> None:
    with pytest.raises(ValueError, match="Float"):
        SearchSpace([Float("f", 0.0, 1.0), Int("a", 1, 3, condition=Condition("f", (0.5,)))])


@pytest.mark.parametrize(
    ("parent", "values"),
    [
        (Int("p", 1, 3), (4,)),  # out of range
        (Int("p", 0, 10, step=5), (3,)),  # off the step
        (Int("p", 1, 3), ("2",)),  # wrong type
        (Categorical("p", ("a", "b")), ("c",)),
        (Categorical("p", (0, 1)), (True,)),  # type-strict: True is not 1
    ],
)
def test_bad_condition_values_rejected(parent: Int | Categorical, values: tuple[Any, ...]) -> None:
    with pytest.raises(ValueError, match="condition value"):
        SearchSpace([parent, Float("c", 0.0, 1.0, condition=Condition("p", values))])


def test_empty_space_and_non_param_rejected() -> None:
    with pytest.raises(ValueError, match="at least one"):
        SearchSpace([])
    with pytest.raises(TypeError):
        SearchSpace(["a"])


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: Int("a", 0, 10, log=True), "low > 0"),
        (lambda: Int("a", -1, 10, log=True), "low > 0"),
        (lambda: Float("f", 0.0, 1.0, log=True), "low > 0"),
        (lambda: Int("a", 5, 4), "low"),
        (lambda: Float("f", 1.0, 1.0), "low"),
        (lambda: Int("a", 1, 10, default=11), "default 11"),
        (lambda: Int("a", 0, 10, step=5, default=3), "default 3"),
        (lambda: Float("f", 0.0, 1.0, default=1.5), "default 1.5"),
        (lambda: Categorical("c", ("x", "y"), default="z"), "default 'z'"),
        (lambda: Int("a", 1, 10, step=0), "step"),
        (lambda: Int("a", 0, 10, step=3), "multiple of step"),
        (lambda: Int("a", 1, 16, log=True, step=2), "step == 1"),
        (lambda: Int("a", 1.5, 10), "must be an int"),
        (lambda: Int("a", True, 10), "must be an int"),
        (lambda: Float("f", 0.0, float("inf")), "finite"),
        (lambda: Int("a", 1, 10, grid=(1, 11)), "grid value 11"),
        (lambda: Int("a", 1, 10, grid=()), "grid must not be empty"),
        (lambda: Int("a", 1, 10, grid=(2, 2)), "unique"),
        (lambda: Float("f", 0.0, 1.0, grid=(0.5, 2.0)), "grid value 2.0"),
        (lambda: Categorical("c", ()), "must not be empty"),
        (lambda: Categorical("c", ("a", "a")), "unique"),
        (lambda: Categorical("c", ("a", 1)), "one type"),
        (lambda: Categorical("c", (None, "a")), "not a str, int, float or bool"),
        (lambda: Categorical("c", ([1], [2])), "not a str, int, float or bool"),
        (lambda: Int("", 1, 3), "non-empty string"),
        (lambda: Condition("p", ()), "must not be empty"),
        (lambda: Condition("p", (1, 1)), "unique"),
    ],
)
def test_param_validation(factory: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        factory()


def test_params_normalise_numpy_and_int_bounds() -> None:
    a = Int("a", np.int64(1), np.int32(9), default=np.int64(3))
    assert (type(a.low), type(a.high), type(a.default)) == (int, int, int)
    f = Float("f", 0, 1, default=1, grid=(0, 1))
    assert f == Float("f", 0.0, 1.0, default=1.0, grid=(0.0, 1.0))
    assert type(f.low) is float and all(type(v) is float for v in f.grid_values())
    c = Categorical("c", (np.str_("x"), np.str_("y")), default="y")
    assert c.choices == ("x", "y") and type(c.choices[0]) is str


# --- contains / validate -----------------------------------------------------------------------


def test_int_contains() -> None:
    p = Int("a", 0, 10, step=5)
    assert p.contains(0) and p.contains(5) and p.contains(np.int64(10))
    assert not p.contains(3)  # off the step
    assert not p.contains(15) and not p.contains(-5)
    assert not p.contains(5.0)  # float, even integral
    assert not p.contains(True)
    assert not p.contains(np.bool_(False))
    assert not p.contains("5")


def test_float_contains() -> None:
    p = Float("f", 1e-4, 1e-1, log=True)
    assert p.contains(1e-4) and p.contains(0.1) and p.contains(np.float32(0.01))
    assert Float("g", 0.0, 2.0).contains(1)  # ints accepted
    assert not p.contains(0.2) and not p.contains(0.0)
    assert not p.contains(float("nan"))
    assert not Float("g", 0.0, 2.0).contains(True)
    assert not p.contains("0.01")


def test_categorical_contains_is_type_strict() -> None:
    ints = Categorical("c", (0, 1, 2))
    assert ints.contains(1) and ints.contains(np.int64(2))
    assert not ints.contains(True)
    assert not ints.contains(1.0)
    bools = Categorical("b", (True, False))
    assert bools.contains(True) and bools.contains(np.bool_(False))
    assert not bools.contains(1)
    assert Categorical("s", ("adam", "sgd")).contains(np.str_("adam"))
    assert not Categorical("s", ("adam", "sgd")).contains("Adam")


def test_valid_config_passes() -> None:
    space = mlp_space()
    space.validate(valid_mlp_config() | {"units_2": 8})
    space.validate(space.defaults())


@pytest.mark.parametrize(
    ("change", "param", "fragment"),
    [
        ({"units_1": 256}, "units_1", "256"),  # out of range
        ({"units_1": 32.0}, "units_1", "32.0"),  # wrong type
        ({"learning_rate": 0.5}, "learning_rate", "0.5"),
        ({"learning_rate": "0.01"}, "learning_rate", "'0.01'"),
        ({"optimizer": "adamw"}, "optimizer", "'adamw'"),
        ({"batch_size": True}, "batch_size", "True"),
        ({"units_3": 16}, "units_3", "inactive"),  # extra inactive param
        ({"n_layers": 4}, "n_layers", "4"),
        ({"momentum": 0.9}, "momentum", "unknown"),
    ],
)
def test_invalid_config_error_names_param_and_value(
    change: dict[str, Any], param: str, fragment: str
) -> None:
    config = valid_mlp_config() | {"units_2": 8} | change
    with pytest.raises(InvalidConfigError) as info:
        mlp_space().validate(config)
    message = str(info.value)
    assert info.value.param == param
    assert f"'{param}'" in message and fragment in message and "allowed:" in message
    assert "\n" not in message


def test_missing_active_param_is_reported() -> None:
    config = valid_mlp_config() | {"n_layers": 3, "units_2": 8}  # units_3 now active, missing
    with pytest.raises(InvalidConfigError, match=r"'units_3': missing.*n_layers=3"):
        mlp_space().validate(config)
    no_optimizer = {k: v for k, v in valid_mlp_config().items() if k != "optimizer"}
    with pytest.raises(InvalidConfigError, match="'optimizer': missing"):
        mlp_space().validate(no_optimizer)


def test_bad_value_message_says_what_is_allowed() -> None:
    with pytest.raises(InvalidConfigError) as info:
        mlp_space().validate(valid_mlp_config() | {"units_2": 8, "units_1": 200})
    assert "an int in [4, 128]" in str(info.value)
    assert info.value.value == 200
    with pytest.raises(InvalidConfigError, match=r"one of \['adam', 'rmsprop', 'sgd'\]"):
        mlp_space().validate(valid_mlp_config() | {"units_2": 8, "optimizer": "x"})


def test_invalid_config_error_is_a_value_error_and_pickles() -> None:
    err = InvalidConfigError("a", 3, "an int in [0, 1]", "bad value 3 (int)")
    assert isinstance(err, ValueError)
    back = pickle.loads(pickle.dumps(err))
    assert str(back) == str(err) and back.param == "a" and back.value == 3


def test_canonical_orders_keys_and_converts_numpy() -> None:
    space = mlp_space()
    config = {
        "batch_size": np.int64(64),
        "learning_rate": np.float32(0.5) / np.float32(50),
        "optimizer": np.str_("sgd"),
        "units_1": np.int32(16),
        "n_layers": np.int64(1),
    }
    out = space.canonical(config)
    assert list(out) == ["n_layers", "units_1", "optimizer", "learning_rate", "batch_size"]
    assert [type(v) for v in out.values()] == [int, int, str, float, int]


def test_config_key_is_canonical() -> None:
    space = SearchSpace([Float("f", 0.0, 2.0), Categorical("c", ("a", "b")), Int("i", 1, 3)])
    key = space.config_key({"i": 2, "c": "a", "f": 1})
    assert key == space.config_key({"f": np.float64(1.0), "i": np.int64(2), "c": "a"})
    assert key == '{"c":"a","f":1.0,"i":2}'
    assert json.loads(key) == {"c": "a", "f": 1.0, "i": 2}
    assert key != space.config_key({"i": 2, "c": "b", "f": 1})
    with pytest.raises(InvalidConfigError):
        space.config_key({"i": 2, "c": "a"})


# --- activation --------------------------------------------------------------------------------


def test_three_level_chain_activation() -> None:
    space = chain_space()
    assert space.active_names({"model": "mlp"}) == ["model", "dropout"]
    assert space.active_names({"model": "cnn", "n_conv": 1}) == ["model", "n_conv", "dropout"]
    assert space.active_names({"model": "cnn", "n_conv": 2}) == [
        "model",
        "n_conv",
        "kernel",
        "dropout",
    ]
    # A stale n_conv value does not activate kernel once model deactivates n_conv.
    assert not space.is_active("n_conv", {"model": "mlp", "n_conv": 3})
    assert not space.is_active("kernel", {"model": "mlp", "n_conv": 3})
    assert space.is_active("kernel", {"model": "cnn", "n_conv": 3})
    # A missing parent value leaves the child inactive.
    assert not space.is_active("kernel", {"model": "cnn"})
    with pytest.raises(KeyError):
        space.is_active("nope", {})


def test_chain_validation() -> None:
    space = chain_space()
    space.validate({"model": "mlp", "dropout": 0.1})
    space.validate({"model": "cnn", "n_conv": 3, "kernel": 5, "dropout": 0.1})
    with pytest.raises(InvalidConfigError, match=r"'n_conv'.*inactive.*model='mlp'"):
        space.validate({"model": "mlp", "n_conv": 3, "kernel": 5, "dropout": 0.1})
    with pytest.raises(InvalidConfigError, match=r"'kernel'.*inactive.*'n_conv' is inactive"):
        space.validate({"model": "mlp", "kernel": 5, "dropout": 0.1})
    with pytest.raises(InvalidConfigError, match=r"'kernel'.*inactive.*n_conv=1"):
        space.validate({"model": "cnn", "n_conv": 1, "kernel": 5, "dropout": 0.1})
    with pytest.raises(InvalidConfigError, match="'kernel': missing"):
        space.validate({"model": "cnn", "n_conv": 2, "dropout": 0.1})


def test_condition_matching_is_type_strict() -> None:
    space = SearchSpace(
        [
            Categorical("flag", (True, False)),
            Int("n", 1, 2, condition=Condition("flag", (True,))),
        ]
    )
    assert space.is_active("n", {"flag": True})
    assert space.is_active("n", {"flag": np.bool_(True)})
    assert not space.is_active("n", {"flag": 1})


def test_container_protocol() -> None:
    space = mlp_space()
    assert len(space) == 7
    assert space.names[:2] == ("n_layers", "units_1")
    assert [p.name for p in space] == list(space.names)
    assert space.params[0] is space["n_layers"]
    assert "units_3" in space and "nope" not in space and 3 not in space
    with pytest.raises(KeyError, match="nope"):
        space["nope"]
    assert space == mlp_space() and hash(space) == hash(mlp_space())


# --- defaults and default grids ----------------------------------------------------------------


def test_default_values() -> None:
    assert Int("a", 1, 3).default_value() == 2
    assert Int("a", 0, 100, step=10).default_value() == 50
    assert Int("a", 0, 30, step=10).default_value() == 20  # midpoint 15 rounds up onto step
    assert Int("a", 4, 128, log=True).default_value() == 23  # sqrt(512) = 22.6
    assert Int("a", 4, 128, log=True, default=64).default_value() == 64
    assert Float("f", 0.0, 1.0).default_value() == 0.5
    assert Float("f", 1e-4, 1e-2, log=True).default_value() == pytest.approx(1e-3)
    assert Categorical("c", ("x", "y")).default_value() == "x"
    assert Categorical("c", ("x", "y"), default="y").default_value() == "y"


def test_space_defaults_only_active() -> None:
    space = mlp_space()
    assert space.defaults() == {
        "n_layers": 2,
        "units_1": 23,
        "units_2": 23,
        "optimizer": "adam",
        "learning_rate": pytest.approx(10**-2.5),
        "batch_size": 32,
    }
    chain = chain_space()
    assert chain.defaults() == {"model": "mlp", "dropout": 0.25}


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        (Int("a", 4, 128, log=True), (4, 8, 16, 32, 64, 128)),
        (Int("a", 3, 100, log=True), (3, 4, 8, 16, 32, 64, 100)),
        (Int("a", 5, 7, log=True), (5, 7)),
        (Int("a", 1, 3), (1, 2, 3)),
        (Int("a", 1, 5), (1, 2, 3, 4, 5)),
        (Int("a", 0, 100, step=5), (0, 25, 50, 75, 100)),
        (Int("a", 1, 10), (1, 3, 6, 8, 10)),
        (Int("a", 0, 12, step=4), (0, 4, 8, 12)),
        (Int("a", 7, 7), (7,)),
        (Int("a", 1, 100, grid=(50, 10)), (50, 10)),
        (Float("f", 1e-4, 1e-1, log=True), (1e-4, 1e-3, 1e-2, 1e-1)),
        (Float("f", 3e-4, 0.5, log=True), (3e-4, 1e-3, 1e-2, 1e-1, 0.5)),
        (Float("f", 0.2, 0.5, log=True), (0.2, 0.5)),
        (Float("f", 0.0, 1.0), (0.0, 0.25, 0.5, 0.75, 1.0)),
        (Float("f", -1.0, 1.0), (-1.0, -0.5, 0.0, 0.5, 1.0)),
        (Float("f", 0.0, 1.0, grid=(0.1, 0.9)), (0.1, 0.9)),
        (Categorical("c", ("b", "a")), ("b", "a")),
    ],
)
def test_default_grids(param: Int | Float | Categorical, expected: tuple[Any, ...]) -> None:
    values = param.grid_values()
    assert values == expected
    assert all(param.contains(v) for v in values)


# --- grid --------------------------------------------------------------------------------------


def test_grid_with_conditionals_counts_exactly() -> None:
    space = layers_space()
    grid = space.grid()
    assert len(grid) == 2 + 4 + 8 == space.grid_size()
    assert len({space.config_key(c) for c in grid}) == len(grid)  # no duplicates
    for config in grid:
        space.validate(config)
    by_depth = {n: [c for c in grid if c["n_layers"] == n] for n in (1, 2, 3)}
    assert [len(v) for v in by_depth.values()] == [2, 4, 8]
    assert all(set(c) == {"n_layers", "units_1"} for c in by_depth[1])
    assert grid[0] == {"n_layers": 1, "units_1": 16}
    assert grid[-1] == {"n_layers": 3, "units_1": 32, "units_2": 32, "units_3": 32}
    assert space.grid() == grid  # deterministic


def test_grid_of_chain_and_mlp() -> None:
    chain = chain_space()
    # model=mlp: 5 dropouts; model=cnn: n_conv=1 -> 5, n_conv=2|3 -> 2 kernels x 5 each.
    assert len(chain.grid()) == chain.grid_size() == 5 + 5 + 10 + 10
    for config in chain.grid():
        chain.validate(config)
    mlp = mlp_space()
    assert mlp.grid_size() == (6 + 6**2 + 6**3) * 3 * 4 * 4


def test_grid_skips_condition_values_outside_parent_grid() -> None:
    space = SearchSpace(
        [Int("n", 1, 10), Categorical("c", ("x", "y"), condition=Condition("n", (2,)))]
    )
    assert space["n"].grid_values() == (1, 3, 6, 8, 10)  # 2 is not a grid point
    assert space.grid() == [{"n": v} for v in (1, 3, 6, 8, 10)]
    assert space.grid_size() == 5
    reduced = space.with_grid()
    assert reduced.names == ("n",)  # c can never be active on the grid
    assert reduced.grid() == space.grid()


def test_with_grid_matches_grid() -> None:
    for space in (layers_space(), chain_space(), mlp_space()):
        gridded = space.with_grid()
        assert gridded.grid() == space.grid()
        assert gridded.grid_size() == space.grid_size()
        assert all(isinstance(p, Categorical) for p in gridded)
        assert gridded.with_grid() == gridded


def test_with_grid_defaults_and_conditions() -> None:
    gridded = mlp_space().with_grid()
    units_1 = gridded["units_1"]
    assert isinstance(units_1, Categorical)
    assert units_1.choices == (4, 8, 16, 32, 64, 128)
    assert units_1.default == 32  # 23 is nearer 32 than 16 on a log scale
    lr = gridded["learning_rate"]
    assert isinstance(lr, Categorical) and lr.choices == (1e-4, 1e-3, 1e-2, 1e-1)
    assert lr.default in (1e-3, 1e-2)
    assert gridded["n_layers"].default_value() == 2
    assert gridded["units_3"].condition == Condition("n_layers", (3,))
    gridded.validate(gridded.defaults())
    linear = SearchSpace([Int("a", 0, 100, step=5, default=35)]).with_grid()
    assert linear["a"].default_value() == 25  # nearest grid value, linear distance


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


def test_suggest_optuna_valid_conditional_and_reproducible() -> None:
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


def test_suggest_optuna_chain() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = chain_space()
    configs = _sample_optuna(space, seed=0, n=60)
    for config in configs:
        space.validate(config)
    assert any("kernel" in c for c in configs) and any(c["model"] == "mlp" for c in configs)


def test_to_optuna_distributions() -> None:
    dists = mlp_space().to_optuna()
    assert list(dists) == list(mlp_space().names)  # conditional ones included
    assert dists["units_3"] == IntDistribution(4, 128, log=True)
    assert dists["n_layers"] == IntDistribution(1, 3)
    assert dists["learning_rate"] == FloatDistribution(1e-4, 1e-1, log=True)
    assert dists["optimizer"] == CategoricalDistribution(("adam", "rmsprop", "sgd"))
    assert Int("a", 0, 10, step=5).to_optuna() == IntDistribution(0, 10, step=5)


def test_optuna_distributions_accept_grid_and_defaults() -> None:
    space = mlp_space()
    dists = space.to_optuna()
    for config in [space.defaults(), *space.grid()[:50]]:
        for name, value in config.items():
            assert dists[name]._contains(dists[name].to_internal_repr(value))


# --- keras-tuner -------------------------------------------------------------------------------


def test_to_keras_tuner_defaults_and_conditions() -> None:
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


def test_keras_tuner_random_sampling_maps_back() -> None:
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


def test_from_keras_tuner_missing_active_param() -> None:
    space = mlp_space()
    with pytest.raises(InvalidConfigError, match="'units_2': missing"):
        space.from_keras_tuner({k: v for k, v in valid_mlp_config().items() if k != "units_2"})


# --- identity ----------------------------------------------------------------------------------


def test_to_dict_is_json_and_fingerprint_stable() -> None:
    space = mlp_space()
    described = space.to_dict()
    assert json.loads(json.dumps(described)) == described
    assert described["params"][2]["condition"] == {"parent": "n_layers", "values": [2, 3]}
    assert space.fingerprint() == mlp_space().fingerprint()
    assert len(space.fingerprint()) == 64
    assert int(space.fingerprint(), 16) >= 0


def test_fingerprint_is_stable_across_processes() -> None:
    code = (
        "from tunebench.strategies.space import *\n"
        "print(SearchSpace([Int('a', 1, 3), Float('b', 0.0, 1.0, log=False)]).fingerprint())"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), PYTHONHASHSEED="123")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    here = SearchSpace([Int("a", 1, 3), Float("b", 0, 1)]).fingerprint()
    assert out.stdout.strip() == here


@pytest.mark.parametrize(
    "changed",
    [
        [Int("a", 1, 4), Float("b", 0.0, 1.0)],  # bound
        [Int("a", 1, 3), Float("b", 0.0, 2.0)],  # bound
        [Int("a", 1, 3, default=1), Float("b", 0.0, 1.0)],
        [Int("a", 1, 3, grid=(1, 3)), Float("b", 0.0, 1.0)],
        [Int("a", 1, 3), Float("b", 0.1, 1.0, log=True)],
        [Float("b", 0.0, 1.0), Int("a", 1, 3)],  # order
        [Int("a", 1, 3), Float("b", 0.0, 1.0, condition=Condition("a", (2,)))],
    ],
)
def test_fingerprint_changes(changed: list[Int | Float]) -> None:
    base = SearchSpace([Int("a", 1, 3), Float("b", 0.0, 1.0)])
    assert SearchSpace(changed).fingerprint() != base.fingerprint()


# --- module hygiene ----------------------------------------------------------------------------


def test_import_does_not_pull_tensorflow_or_keras() -> None:
    code = (
        "import sys\n"
        "import tunebench.strategies.space\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('tensorflow', 'keras', 'keras_tuner'))\n"
        "print(heavy)"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]"


def test_module_docstring_example() -> None:
    result = doctest.testmod(space_module, raise_on_error=False)
    assert result.attempted >= 3 and result.failed == 0
