from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tunebench.strategies.space import (
    Categorical,
    Condition,
    Float,
    Int,
    InvalidConfigError,
    SearchSpace,
)

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


# --- validate             -----------------------------------------------------------------------


def test_valid_config_passes(
    mlp_space: Callable[[], SearchSpace], valid_mlp_config: Callable[[], dict[str, Any]]
) -> None:
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
    change: dict[str, Any],
    param: str,
    fragment: str,
    mlp_space: Callable[[], SearchSpace],
    valid_mlp_config: Callable[[], dict[str, Any]],
) -> None:
    config = valid_mlp_config() | {"units_2": 8} | change
    with pytest.raises(InvalidConfigError) as info:
        mlp_space().validate(config)
    message = str(info.value)
    assert info.value.param == param
    assert f"'{param}'" in message and fragment in message and "allowed:" in message
    assert "\n" not in message


def test_missing_active_param_is_reported(
    mlp_space: Callable[[], SearchSpace], valid_mlp_config: Callable[[], dict[str, Any]]
) -> None:
    config = valid_mlp_config() | {"n_layers": 3, "units_2": 8}  # units_3 now active, missing
    with pytest.raises(InvalidConfigError, match=r"'units_3': missing.*n_layers=3"):
        mlp_space().validate(config)
    no_optimizer = {k: v for k, v in valid_mlp_config().items() if k != "optimizer"}
    with pytest.raises(InvalidConfigError, match="'optimizer': missing"):
        mlp_space().validate(no_optimizer)


def test_bad_value_message_says_what_is_allowed(
    mlp_space: Callable[[], SearchSpace], valid_mlp_config: Callable[[], dict[str, Any]]
) -> None:
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


def test_canonical_orders_keys_and_converts_numpy(mlp_space: Callable[[], SearchSpace]) -> None:
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


def test_three_level_chain_activation(chain_space: Callable[[], SearchSpace]) -> None:
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


def test_chain_validation(chain_space: Callable[[], SearchSpace]) -> None:
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


def test_container_protocol(mlp_space: Callable[[], SearchSpace]) -> None:
    space = mlp_space()
    assert len(space) == 7
    assert space.names[:2] == ("n_layers", "units_1")
    assert [p.name for p in space] == list(space.names)
    assert space.params[0] is space["n_layers"]
    assert "units_3" in space and "nope" not in space and 3 not in space
    with pytest.raises(KeyError, match="nope"):
        space["nope"]
    assert space == mlp_space() and hash(space) == hash(mlp_space())


# --- defaults                   ----------------------------------------------------------------


def test_space_defaults_only_active(
    mlp_space: Callable[[], SearchSpace], chain_space: Callable[[], SearchSpace]
) -> None:
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


# --- grid --------------------------------------------------------------------------------------


def test_grid_with_conditionals_counts_exactly(layers_space: Callable[[], SearchSpace]) -> None:
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


def test_grid_of_chain_and_mlp(
    mlp_space: Callable[[], SearchSpace], chain_space: Callable[[], SearchSpace]
) -> None:
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


def test_with_grid_matches_grid(
    mlp_space: Callable[[], SearchSpace],
    chain_space: Callable[[], SearchSpace],
    layers_space: Callable[[], SearchSpace],
) -> None:
    for space in (layers_space(), chain_space(), mlp_space()):
        gridded = space.with_grid()
        assert gridded.grid() == space.grid()
        assert gridded.grid_size() == space.grid_size()
        assert all(isinstance(p, Categorical) for p in gridded)
        assert gridded.with_grid() == gridded


def test_with_grid_defaults_and_conditions(mlp_space: Callable[[], SearchSpace]) -> None:
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


# --- identity ----------------------------------------------------------------------------------


def test_to_dict_is_json_and_fingerprint_stable(mlp_space: Callable[[], SearchSpace]) -> None:
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


def test_with_fixed_keeps_a_few_parameters_and_fixes_the_rest_at_their_defaults() -> None:
    from tunebench.strategies.space import Categorical, Condition, Float, Int, SearchSpace

    deep = Condition("layers", (2, 3))
    space = SearchSpace(
        [
            Int("layers", 1, 3, default=2),
            Int("width_2", 8, 64, default=16, condition=deep),
            Float("lr", 1e-4, 1e-1, log=True, default=1e-3),
            Categorical("act", ("relu", "tanh"), default="tanh"),
            Int("width_3", 8, 64, default=32, condition=Condition("act", ("relu",))),
        ],
        continuable=("lr",),
    )
    small = space.with_fixed(["layers", "lr"])
    # a fixed parameter is one choice, its default, and unconditional: it adds no distance
    assert small["width_2"] == Categorical("width_2", (16,))
    assert small["act"] == Categorical("act", ("tanh",))
    # a parameter its fixed parent can no longer activate is gone
    assert "width_3" not in small and small.names == ("layers", "width_2", "lr", "act")
    assert small["layers"] == space["layers"] and small["lr"] == space["lr"]
    assert small.continuable == ("lr",)
    assert small.defaults() == {"layers": 2, "width_2": 16, "lr": 1e-3, "act": "tanh"}
    assert small.fingerprint() != space.fingerprint()
    with pytest.raises(ValueError, match="unknown parameters depth; the space has layers"):
        space.with_fixed(["depth"])
