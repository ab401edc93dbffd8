from __future__ import annotations

import json

import numpy as np
import pytest
from optuna._hypervolume import compute_hypervolume

from tunebench.objectives import HypervolumeReference, ObjectiveError, ObjectiveScale, hypervolume
from tunebench.objectives.hypervolume import SCHEME


def test_known_volumes() -> None:
    assert hypervolume([[0.5, 0.5]], [1.0, 1.0]) == pytest.approx(0.25)
    # two boxes overlapping in [0.5,1]x[0.5,1]: 0.5 + 0.5 - 0.25
    assert hypervolume([[0.0, 0.5], [0.5, 0.0]], [1.0, 1.0]) == pytest.approx(0.75)
    assert hypervolume([[0.5, 0.5, 0.5]], [1.0, 1.0, 1.0]) == pytest.approx(0.125)
    # a dominated point and a point beyond the reference add nothing; no points, nothing
    assert hypervolume([[0.5, 0.5], [0.7, 0.7], [0.2, 1.5]], [1.0, 1.0]) == pytest.approx(0.25)
    assert hypervolume(np.zeros((0, 3)), [1.0, 1.0, 1.0]) == 0.0


@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize("seed", range(5))
def test_cross_check_against_optuna(k: int, seed: int) -> None:
    rng = np.random.default_rng(1000 * k + seed)
    n = int(rng.integers(1, 120))
    points = rng.uniform(0.0, 1.2, size=(n, k))
    points[rng.integers(0, n, size=n // 5)] = points[0]  # duplicates
    ref = np.full(k, 1.1)
    inside = points[(points < ref).all(axis=1)]
    expected = compute_hypervolume(inside, ref) if len(inside) else 0.0
    assert hypervolume(points, ref) == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_cross_check_on_a_front_shaped_set() -> None:
    # points on the unit simplex are all non-dominated: the hard case for both codes
    rng = np.random.default_rng(7)
    for k in (2, 3, 4):
        points = rng.dirichlet(np.ones(k), size=200)
        ref = np.full(k, 1.1)
        assert hypervolume(points, ref) == pytest.approx(
            compute_hypervolume(points, ref), rel=1e-10
        )


def test_bad_shapes_and_values_get_one_line() -> None:
    with pytest.raises(ObjectiveError, match=r"shape \(n, k\)"):
        hypervolume([[0.1, 0.2, 0.3]], [1.0, 1.0])
    with pytest.raises(ObjectiveError, match="not finite"):
        hypervolume([[0.1, np.nan]], [1.0, 1.0])


def _frame() -> HypervolumeReference:
    scales = (
        ObjectiveScale("metric", minimise=False, log_scale=False, low=-0.9, high=-0.5),
        ObjectiveScale("params", minimise=True, log_scale=True, low=2.0, high=5.0),
    )
    return HypervolumeReference(
        objectives=("metric", "params"),
        scales=scales,
        reference=(1.1, 1.1),
        max_epochs=3,
        front_hypervolume=1.0,
        front_size=2,
        configs=4,
        table={"problem": "p"},
    )


def test_normalisation_log_and_direction() -> None:
    frame = _frame()
    # accuracy 0.9 is the best (0), 0.5 the worst (1); 100 params best, 100,000 worst
    got = frame.normalise([[0.9, 100.0], [0.5, 1e5], [0.7, 1e3 * np.sqrt(10)]])
    assert got == pytest.approx(np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.5]]))
    with pytest.raises(ObjectiveError, match="log-scaled"):
        frame.normalise([[0.9, 0.0]])
    with pytest.raises(ObjectiveError, match=r"expected \(n, 2\)"):
        frame.normalise([[0.9]])


def test_a_constant_objective_normalises_to_zero() -> None:
    scale = ObjectiveScale("flops", minimise=True, log_scale=True, low=3.0, high=3.0)
    assert scale.normalise(np.array([1000.0])) == pytest.approx([0.0])


def test_round_trip_through_json() -> None:
    frame = _frame()
    again = HypervolumeReference.from_dict(json.loads(json.dumps(frame.to_dict())))
    assert again == frame
    assert again.to_dict()["scheme"] == SCHEME


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"scheme": 0}, "scheme 0"),
        ({"scales": [{"objective": "metric"}]}, "not a hypervolume reference"),
        ({"reference": [1.1]}, "objectives, scales and point differ"),
    ],
)
def test_bad_recorded_reference_is_refused(change: dict[str, object], message: str) -> None:
    data = {**_frame().to_dict(), **change}
    with pytest.raises(ObjectiveError, match=message):
        HypervolumeReference.from_dict(data)


def test_true_front_keeps_one_of_identical_points_and_respects_directions() -> None:
    from tunebench.objectives import TablePoints, true_front

    points = TablePoints(
        objectives=("metric", "params"),
        minimise=(False, True),  # accuracy up, parameters down
        config_keys=("a", "b", "c", "d", "e"),
        values=np.array([[0.9, 1e4], [0.9, 1e4], [0.8, 1e3], [0.7, 1e4], [0.95, 1e5]]),
        max_epochs=3,
        meta={},
        without_point=0,
    )
    front = true_front(points)
    # d is dominated by a (less accurate, as large); b is a's twin, kept once
    assert front.config_keys == ("a", "c", "e")
    np.testing.assert_array_equal(front.values, points.values[[0, 2, 4]])
