"""A run's objective vectors from its table, and its front (issue 39)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tunebench.matrix.plan import shipped_table
from tunebench.objectives import reference_from_table, table_points
from tunebench.objectives.run_points import run_objectives
from tunebench.strategies.base import Objectives

OBJ = ["metric", "train_seconds"]


@pytest.fixture(scope="module")
def table_path() -> Path:
    """stocks-mlp's shipped grid table (108 configs, 3 epochs used here)."""
    return shipped_table("stocks-mlp", "grid")


def test_scored_is_the_tables_point_and_observed_the_trials_own(table_path: Path) -> None:
    found = run_objectives(table_path, OBJ, 3)
    assert run_objectives(table_path, OBJ, 3) is found  # read once per process
    points = table_points(table_path, OBJ, 3)
    key = points.config_keys[0]
    assert found.scored(key) == tuple(points.values[0])
    assert found.observed(key, 0.25, 7.0) == (0.25, 7.0)
    assert found.scored("not a key") is None and found.observed("not a key", 0.1, 1) is None
    assert found.reference == reference_from_table(table_path, OBJ, 3)


def test_front_keeps_the_non_dominated_first_of_ties_and_scores_in_the_frame(
    table_path: Path,
) -> None:
    found = run_objectives(table_path, OBJ, 3)
    values = found.points.values
    best = int(np.argmax(values[:, 0]))  # the most accurate config is never dominated
    fast = int(np.argmin(values[:, 1]))
    trials = {7: values[best], 3: values[best], 5: values[fast], 9: values[fast] + [0, 1]}
    front = found.front(trials)
    assert front.trials == tuple(sorted({3, 5}))  # 7 ties 3; 9 is slower than 5
    assert front.hypervolume == pytest.approx(found.reference.hypervolume(values[[best, fast]]))
    assert front.regret == pytest.approx(found.reference.front_hypervolume - front.hypervolume)
    assert front.regret >= 0
    empty = found.front({})
    assert empty.trials == () and empty.hypervolume == 0.0
    assert empty.regret == found.reference.front_hypervolume


def test_objectives_need_two_names_one_direction_each() -> None:
    both = Objectives(("metric", "params"), (False, True))
    assert both.signed((0.9, 100.0)) == (-0.9, 100.0)
    with pytest.raises(ValueError, match="two names or more"):
        Objectives(("metric",), (False,))
    with pytest.raises(ValueError, match="one direction each"):
        Objectives(("metric", "params"), (False,))


def test_measured_vectors_take_costs_and_score_as_measured_or_expected(table_path: Path) -> None:
    from tunebench.objectives import MeasuredObjectives

    names = ["metric", "train_seconds", "flops"]
    frame = run_objectives(table_path, names, 3).reference
    costs = {"a": {"params": 10.0, "flops": 500.0}}
    live = MeasuredObjectives(frame, costs.get)
    assert live.names == tuple(names) and live.minimise == (False, True, True)
    observed = live.observed("a", 0.6, 2.5)
    assert observed == (0.6, 2.5, 500.0)
    assert live.scored("a", observed) == observed  # live: scored as measured
    assert live.observed("unknown", 0.6, 2.5) is None  # no model was built for it
    assert live.scored("a", None) is None
    # surrogate: the noise-free prediction where it has values, the costs as computed
    predicted = {"metric": 0.7, "train_seconds": 3.0}
    surrogate = MeasuredObjectives(frame, costs.get, lambda key: predicted)
    assert surrogate.scored("a", observed) == (0.7, 3.0, 500.0)
    # without a deterministic objective nothing is asked of costs
    plain = MeasuredObjectives(run_objectives(table_path, OBJ, 3).reference, {}.get)
    assert plain.observed("never built", 0.5, 1.0) == (0.5, 1.0)


def test_a_measured_point_beyond_the_tables_front_has_negative_regret(table_path: Path) -> None:
    from tunebench.objectives import MeasuredObjectives

    found = run_objectives(table_path, OBJ, 3)
    measured = MeasuredObjectives(found.reference, {}.get)
    values = found.points.values
    beyond = (float(values[:, 0].max()) + 0.05, float(values[:, 1].min()) / 2)
    front = measured.front({0: beyond})
    assert front.trials == (0,) and front.regret < 0
    assert front.hypervolume > found.reference.front_hypervolume
