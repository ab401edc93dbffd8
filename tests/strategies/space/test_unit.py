from __future__ import annotations

import pytest

from tunebench.strategies.space import Categorical, Float, Int
from tunebench.strategies.space.params import Param
from tunebench.strategies.space.unit import position, value_at


def test_position_is_linear_or_log_over_the_range_and_an_index_for_choices() -> None:
    assert position(Int("a", 0, 10), 5) == 0.5
    assert position(Float("lr", 1e-4, 1e-2, log=True), 1e-3) == pytest.approx(0.5)
    assert position(Categorical("c", ("x", "y", "z")), "z") == 1.0
    assert position(Categorical("c", ("x",)), "x") == 0.0


@pytest.mark.parametrize(
    "param",
    [Int("a", 1, 9), Int("u", 4, 128, log=True), Int("s", 0, 100, step=10),
     Float("f", 0.0, 0.5), Float("lr", 1e-4, 1e-1, log=True), Categorical("c", (3, 5, 7))],
)  # fmt: skip
def test_value_at_covers_the_range_and_matches_position_at_the_ends(param: Param) -> None:
    low, high = value_at(param, 0.0), value_at(param, 1.0)
    assert param.contains(low) and param.contains(high)
    assert position(param, low) == 0.0
    assert position(param, high) == pytest.approx(1.0)
    assert all(param.contains(value_at(param, i / 50)) for i in range(51))
