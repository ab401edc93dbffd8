"""Hypervolume in a frame fixed per problem: normalisation, reference point, true front.

The frame comes from the problem's table alone, never from the runs being scored, so a
score does not move when a strategy is added to a study (syne-tune, CARP-S and
JAHS-Bench-201 take the reference point from the worst values observed; YAHPO Gym fixes
it per problem, as this does):

- **Normalisation**, per objective: ``log10`` of the value for a log-scale objective
  (``params``, ``flops``), negated where it is maximised (so every normalised objective
  is minimised), then min-max over the table's points (:mod:`.table_points`): 0 is the
  table's best value, 1 its worst. An objective that is constant over the table keeps a
  span of 1, so it normalises to 0 everywhere.
- **Reference point**: :data:`REFERENCE` (1.1) in every normalised objective, just
  beyond the table's worst values, so the table's extreme points still add volume.
- **True front**: the table's non-dominated points; its hypervolume is the most any set
  of the table's configs can reach, so hypervolume regret (front minus set) is 0 at the
  front and never negative for a set of the table's own points.

Hypervolume itself is moocore's (a maintained C implementation; the tests cross-check
it against optuna's). A :class:`HypervolumeReference` is plain data: ``to_dict`` /
``from_dict`` round-trip it through JSON, so it can be recorded in a table's metadata
and in a run's provenance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from tunebench.objectives.catalog import OBJECTIVES, ObjectiveError
from tunebench.objectives.table_points import TablePoints, table_points

__all__ = [
    "REFERENCE",
    "SCHEME",
    "HypervolumeReference",
    "ObjectiveScale",
    "hypervolume",
    "reference_from_table",
    "true_front",
]

#: The reference point's coordinate in every normalised objective (the table spans 0..1).
REFERENCE = 1.1

#: Version of the normalisation and reference rules; a recorded reference with another
#: scheme is refused rather than silently compared with a new one.
SCHEME = 1


def hypervolume(points: ArrayLike, reference: ArrayLike) -> float:
    """Hypervolume dominated by ``points`` and bounded by ``reference``, all minimised.

    Points that do not strictly dominate the reference point add nothing; an empty set
    has hypervolume 0.

    Args:
        points: Shape ``(n, k)``, ``k >= 2`` objectives, every one minimised.
        reference: Shape ``(k,)``.

    Raises:
        ObjectiveError: Shapes that do not match, or values that are not finite.
    """
    import moocore

    ref = np.asarray(reference, dtype=np.float64)
    data = np.asarray(points, dtype=np.float64)
    if data.size == 0:
        return 0.0
    if ref.ndim != 1 or ref.size < 2 or data.ndim != 2 or data.shape[1] != ref.size:
        raise ObjectiveError(
            f"hypervolume needs points of shape (n, k) and a reference of shape (k,), k >= 2; "
            f"got {data.shape} and {ref.shape}"
        )
    if not (np.isfinite(data).all() and np.isfinite(ref).all()):
        raise ObjectiveError("hypervolume of values that are not finite")
    # moocore ignores points that do not dominate the reference; filtering first keeps
    # the behaviour explicit and independent of that detail.
    data = data[(data < ref).all(axis=1)]
    if len(data) == 0:
        return 0.0
    return float(moocore.hypervolume(data, ref=ref))


@dataclass(frozen=True)
class ObjectiveScale:
    """How one objective's raw value maps to ``[0, 1]`` over a table (0: the best).

    Attributes:
        objective: Its name.
        minimise: Whether smaller raw values are better.
        log_scale: Whether ``log10`` of the value is scaled.
        low: Smallest transformed value over the table (the best).
        high: Largest transformed value over the table (the worst).
    """

    objective: str
    minimise: bool
    log_scale: bool
    low: float
    high: float

    def transformed(self, raw: np.ndarray) -> np.ndarray:
        """``log10`` where log-scale, negated where maximised: smaller is better."""
        values = np.asarray(raw, dtype=np.float64)
        if self.log_scale:
            if (values <= 0).any():
                raise ObjectiveError(
                    f"objective {self.objective!r} is log-scaled and needs positive values"
                )
            values = np.log10(values)
        return values if self.minimise else -values

    def normalise(self, raw: np.ndarray) -> np.ndarray:
        """Raw values -> normalised (the table's best 0, its worst 1)."""
        span = self.high - self.low
        return (self.transformed(raw) - self.low) / (span if span > 0 else 1.0)


@dataclass(frozen=True)
class HypervolumeReference:
    """A problem's fixed frame for hypervolume: scales, reference point, true front.

    Attributes:
        objectives: Objective names, in the order of every point's coordinates.
        scales: One per objective.
        reference: The reference point in normalised units.
        max_epochs: The epoch the table's points were taken at.
        front_hypervolume: Hypervolume of the table's true Pareto front (the most any
            set of the table's configs reaches).
        front_size: Configs on the true front.
        configs: Configs with a point in the table.
        table: Which table the frame was computed from (problem and its params,
            subsample, kind and sample, space fingerprint, epochs, repeats), so a
            recorded frame can be checked against the table a run replays.
        scheme: :data:`SCHEME` when it was computed.
    """

    objectives: tuple[str, ...]
    scales: tuple[ObjectiveScale, ...]
    reference: tuple[float, ...]
    max_epochs: int
    front_hypervolume: float
    front_size: int
    configs: int
    table: Mapping[str, Any]
    scheme: int = SCHEME

    def normalise(self, values: ArrayLike) -> np.ndarray:
        """Raw objective vectors (shape ``(n, k)``) -> normalised, every objective minimised.

        Raises:
            ObjectiveError: Not ``k`` columns, or a log-scaled objective not positive.
        """
        data = np.asarray(values, dtype=np.float64)
        if data.size == 0:
            return np.zeros((0, len(self.scales)))
        if data.ndim != 2 or data.shape[1] != len(self.scales):
            raise ObjectiveError(
                f"points have shape {data.shape}; expected (n, {len(self.scales)}) for "
                f"objectives {', '.join(self.objectives)}"
            )
        return np.column_stack([s.normalise(data[:, i]) for i, s in enumerate(self.scales)])

    def hypervolume(self, values: ArrayLike) -> float:
        """Hypervolume of raw objective vectors in this frame."""
        return hypervolume(self.normalise(values), self.reference)

    def regret(self, values: ArrayLike) -> float:
        """Hypervolume regret of raw objective vectors: the true front's minus theirs.

        0 for the true front; never negative for configs of the table, scored on the
        table's values. A live measurement better than anything in the table can go
        below 0.
        """
        return self.front_hypervolume - self.hypervolume(values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able data that :meth:`from_dict` reads back."""
        return {
            "scheme": self.scheme,
            "objectives": list(self.objectives),
            "scales": [
                {
                    "objective": s.objective,
                    "minimise": s.minimise,
                    "log_scale": s.log_scale,
                    "low": s.low,
                    "high": s.high,
                }
                for s in self.scales
            ],
            "reference": list(self.reference),
            "max_epochs": self.max_epochs,
            "front_hypervolume": self.front_hypervolume,
            "front_size": self.front_size,
            "configs": self.configs,
            "table": dict(self.table),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HypervolumeReference:
        """Read back :meth:`to_dict`'s data.

        Raises:
            ObjectiveError: Another scheme, or data that is not a reference's, in one line.
        """
        if data.get("scheme") != SCHEME:
            raise ObjectiveError(
                f"hypervolume reference of scheme {data.get('scheme')!r}; this version "
                f"computes scheme {SCHEME}: recompute it from the table"
            )
        try:
            scales = tuple(
                ObjectiveScale(
                    str(s["objective"]),
                    bool(s["minimise"]),
                    bool(s["log_scale"]),
                    float(s["low"]),
                    float(s["high"]),
                )
                for s in data["scales"]
            )
            reference = cls(
                objectives=tuple(str(o) for o in data["objectives"]),
                scales=scales,
                reference=tuple(float(r) for r in data["reference"]),
                max_epochs=int(data["max_epochs"]),
                front_hypervolume=float(data["front_hypervolume"]),
                front_size=int(data["front_size"]),
                configs=int(data["configs"]),
                table=dict(data["table"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ObjectiveError(f"not a hypervolume reference: {exc!r}") from None
        names = tuple(s.objective for s in scales)
        if names != reference.objectives or len(reference.reference) != len(names):
            raise ObjectiveError("not a hypervolume reference: objectives, scales and point differ")
        if any(name not in OBJECTIVES for name in names):
            raise ObjectiveError(f"not a hypervolume reference: unknown objective in {names}")
        return reference


def _normalised(points: TablePoints, scales: Sequence[ObjectiveScale]) -> np.ndarray:
    return np.column_stack([s.normalise(points.values[:, i]) for i, s in enumerate(scales)])


def _scales(points: TablePoints) -> tuple[ObjectiveScale, ...]:
    scales = []
    for i, name in enumerate(points.objectives):
        draft = ObjectiveScale(name, points.minimise[i], OBJECTIVES[name].log_scale, 0.0, 1.0)
        transformed = draft.transformed(points.values[:, i])
        scales.append(
            ObjectiveScale(
                name,
                draft.minimise,
                draft.log_scale,
                float(transformed.min()),
                float(transformed.max()),
            )
        )
    return tuple(scales)


def true_front(points: TablePoints) -> TablePoints:
    """The table's Pareto front: its points that no other point dominates.

    Of points with identical vectors one is kept (the first config key in sorted order).
    """
    import moocore

    signed = np.column_stack(
        [v if m else -v for v, m in zip(points.values.T, points.minimise, strict=True)]
    )
    return points.subset(np.asarray(moocore.is_nondominated(signed), dtype=bool))


def reference_from_table(
    path: Path, objectives: Sequence[str], max_epochs: int | None = None
) -> HypervolumeReference:
    """The fixed hypervolume frame of the problem ``path`` was recorded for.

    Args:
        path: A learning-curve table.
        objectives: Objective names (at least two).
        max_epochs: The epoch points are taken at; default the table's epochs.

    Raises:
        ObjectiveError: A bad objectives list, a missing column (with the command that
            adds it), or no config with a point.
        TableError: The file is not a readable tunebench table.
    """
    points = table_points(path, objectives, max_epochs)
    scales = _scales(points)
    front = true_front(points)
    reference = (REFERENCE,) * len(scales)
    front_hv = hypervolume(_normalised(front, scales), reference)
    meta = points.meta
    if not math.isfinite(front_hv) or front_hv <= 0:
        raise ObjectiveError(f"{path}: the table's front has no hypervolume ({front_hv})")
    return HypervolumeReference(
        objectives=points.objectives,
        scales=scales,
        reference=reference,
        max_epochs=points.max_epochs,
        front_hypervolume=front_hv,
        front_size=len(front.config_keys),
        configs=len(points.config_keys),
        table={
            "problem": meta.get("problem"),
            "problem_params": meta.get("problem_params") or {},
            "subsample": meta.get("subsample"),
            "kind": meta.get("kind", "grid"),
            "sample": meta.get("sample"),
            "sample_seed": meta.get("sample_seed"),
            "space_fingerprint": meta.get("space_fingerprint"),
            "epochs": meta.get("epochs"),
            "repeats": meta.get("repeats"),
        },
    )
