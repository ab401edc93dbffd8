from __future__ import annotations

import pytest

from tunebench.errors import TunebenchError
from tunebench.objectives import OBJECTIVES, ObjectiveError, check_objectives, minimised


def test_the_four_objectives_and_their_properties() -> None:
    assert list(OBJECTIVES) == ["metric", "params", "train_seconds", "flops"]
    assert {n for n, o in OBJECTIVES.items() if o.log_scale} == {"params", "flops"}
    assert {n for n, o in OBJECTIVES.items() if o.deterministic} == {"params", "flops"}
    assert OBJECTIVES["params"].adds_column == "python -m tunebench.objectives.add_params TABLE"
    assert all(o.unit and o.description and o.table_rule for o in OBJECTIVES.values())


def test_every_objective_is_minimised_but_a_maximised_metric() -> None:
    assert minimised(OBJECTIVES["metric"], "maximize") is False
    assert minimised(OBJECTIVES["metric"], "minimize") is True
    for name in ("params", "train_seconds", "flops"):
        assert minimised(OBJECTIVES[name], "maximize") is True


def test_a_valid_list_keeps_its_order() -> None:
    chosen = check_objectives(["params", "metric", "flops"])
    assert [o.name for o in chosen] == ["params", "metric", "flops"]


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["metric", "latency"], "unknown objective 'latency'; allowed: metric, params"),
        (["metric", 3], "unknown objective 3"),
        (["metric", "params", "metric"], "objective 'metric' listed twice (positions 0 and 2)"),
        (["metric"], "needs at least two objectives, got 1"),
        ([], "needs at least two objectives, got 0"),
    ],
)
def test_bad_lists_get_one_line(names: list[object], message: str) -> None:
    with pytest.raises(ObjectiveError) as info:
        check_objectives(names)
    text = str(info.value)
    assert message in text and "\n" not in text
    assert isinstance(info.value, TunebenchError) and info.value.exit_code == 2
