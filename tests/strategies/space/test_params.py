from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tunebench.strategies.space import Categorical, Condition, Float, Int


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


# --- contains ----------------------------------------------------------------------------------


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
