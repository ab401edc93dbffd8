"""A multi-objective run's objective vectors, from the table it replays, and its front.

:class:`RunObjectives` is what the run loop asks about objectives. Per trial that
reached ``max_epochs`` it gives two vectors, in the entry's objective order:

- :meth:`~RunObjectives.observed`: what the trial measured, as a live run would have:
  its own last validation value, the seconds its own epochs took (its resumed
  ancestors' included), and the config's deterministic values (``params``, ``flops``)
  from the table. This is what the strategy is told.
- :meth:`~RunObjectives.scored`: the config's table point (mean over the table's
  repeats, :func:`~tunebench.objectives.table_points`), what the run is scored on, as
  a single-objective run's score is the config's full-length value, so that no run can
  beat the table's true front.

:meth:`~RunObjectives.front` turns the scored points of a run into its result: the
non-dominated trials, their hypervolume and hypervolume regret in the problem's fixed
frame (:class:`~tunebench.objectives.HypervolumeReference`).

That is a replayed run. A live or surrogate run has no table mean for the configs it
evaluates: :class:`MeasuredObjectives` gives its vectors from what the run itself
measured (live: each trial's own model's ``params`` and ``flops``; surrogate: computed
by building the config's model) and scores them in the frame of the problem's table at
the same data settings, so the scores of every mode are comparable. Both are
:class:`ObjectiveVectors`, what :func:`tunebench.run.execute.run_on_backend` asks a
backend for.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tunebench.objectives.catalog import OBJECTIVES, ObjectiveError
from tunebench.objectives.hypervolume import HypervolumeReference, reference_from_table
from tunebench.objectives.table_points import TablePoints, table_points

__all__ = [
    "MeasuredObjectives",
    "ObjectiveVectors",
    "RunFront",
    "RunObjectives",
    "run_objectives",
    "table_frame",
]


@dataclass(frozen=True)
class RunFront:
    """A run's non-dominated set, scored in the problem's frame.

    Attributes:
        trials: The non-dominated trials' ids, ascending (of trials with identical
            points, the first).
        points: Their scored objective vectors, raw, in the entry's order.
        hypervolume: The set's hypervolume in the normalised frame.
        regret: The true front's hypervolume minus the set's (0 at the true front).
    """

    trials: tuple[int, ...]
    points: tuple[tuple[float, ...], ...]
    hypervolume: float
    regret: float


class ObjectiveVectors(ABC):
    """A multi-objective run's vectors (what the run loop asks) and its front.

    Subclasses say where a trial's vectors come from; the front is scored the same way
    for every mode: in :attr:`reference`, the problem's fixed frame.
    """

    reference: HypervolumeReference

    @property
    @abstractmethod
    def names(self) -> tuple[str, ...]:
        """Objective names, in vector order."""

    @property
    @abstractmethod
    def minimise(self) -> tuple[bool, ...]:
        """Per objective, whether smaller is better."""

    @abstractmethod
    def observed(
        self, config_key: str, last_value: float, seconds: float
    ) -> tuple[float, ...] | None:
        """What a trial of the config measured (``None``: no vector for it)."""

    @abstractmethod
    def scored(
        self, config_key: str, observed: tuple[float, ...] | None = None
    ) -> tuple[float, ...] | None:
        """The point the run is scored on for a trial of the config that measured ``observed``."""

    def front(self, trial_points: Mapping[int, Sequence[float]]) -> RunFront:
        """The run's non-dominated trials among ``trial_points`` (trial id -> scored point).

        An empty mapping gives an empty front of hypervolume 0. Regret is the frame's
        front hypervolume minus the set's: never negative for points of the frame's
        table, and negative where a measured point beats the table's front.
        """
        import moocore

        ids = sorted(trial_points)
        if not ids:
            return RunFront((), (), 0.0, self.reference.front_hypervolume)
        values = np.asarray([trial_points[i] for i in ids], dtype=np.float64)
        signed = np.column_stack(
            [v if m else -v for v, m in zip(values.T, self.minimise, strict=True)]
        )
        # keep_weakly=False: of identical points only the first (lowest trial id) stays
        keep = np.asarray(moocore.is_nondominated(signed, keep_weakly=False), dtype=bool)
        chosen = values[keep]
        hv = self.reference.hypervolume(chosen)
        return RunFront(
            trials=tuple(i for i, k in zip(ids, keep, strict=True) if k),
            points=tuple(tuple(float(v) for v in row) for row in chosen),
            hypervolume=hv,
            regret=self.reference.front_hypervolume - hv,
        )


@dataclass(frozen=True)
class RunObjectives(ObjectiveVectors):
    """The objective vectors of one replayed problem at one ``max_epochs``.

    Attributes:
        points: The table's per-config points (means over repeats).
        reference: The problem's fixed hypervolume frame, from the same points.
    """

    points: TablePoints
    reference: HypervolumeReference

    @property
    def names(self) -> tuple[str, ...]:
        """Objective names, in vector order."""
        return self.points.objectives

    @property
    def minimise(self) -> tuple[bool, ...]:
        """Per objective, whether smaller is better."""
        return self.points.minimise

    @functools.cached_property
    def _rows(self) -> Mapping[str, int]:
        return {key: i for i, key in enumerate(self.points.config_keys)}

    def scored(
        self, config_key: str, observed: tuple[float, ...] | None = None
    ) -> tuple[float, ...] | None:
        """The config's table point, or ``None`` where no repeat of it reached the end.

        ``observed`` is not used: a replayed trial is scored on its config's mean.
        """
        del observed
        row = self._rows.get(config_key)
        if row is None:
            return None
        return tuple(float(v) for v in self.points.values[row])

    def observed(
        self, config_key: str, last_value: float, seconds: float
    ) -> tuple[float, ...] | None:
        """What the trial measured: its metric and seconds, the config's fixed values.

        Args:
            config_key: The config the trial was evaluated as.
            last_value: Its validation value at ``max_epochs``.
            seconds: The seconds its epochs took, from epoch 1 (resumed ancestors'
                included).

        Returns:
            The vector, or ``None`` where the table has no point for the config (then
            it has no deterministic values to give either).
        """
        scored = self.scored(config_key)
        if scored is None:
            return None
        own = {"metric": float(last_value), "train_seconds": float(seconds)}
        return tuple(own.get(name, scored[i]) for i, name in enumerate(self.names))


@dataclass(frozen=True)
class MeasuredObjectives(ObjectiveVectors):
    """A live or surrogate run's vectors: measured by the run, scored in a table's frame.

    - :meth:`observed`: the trial's own last validation value (``metric``) and the
      seconds its epochs took (``train_seconds``), and its config's deterministic
      values (``params``, ``flops``) from ``costs``.
    - :meth:`scored`: ``expected``'s values for the config where it gives them (a
      surrogate's noise-free prediction), the observed vector for the rest; with no
      ``expected`` (live) the observed vector itself: a live trial is scored on what it
      measured, as a single-objective live run scores what it trained.

    The frame (``reference``) is the problem's table's at the same data settings, as a
    replayed run's, so every mode's scores share it. A measured point may beat the
    table's front (another training seed, a config the table lacks), so the
    hypervolume regret of a live or surrogate run can be negative; it is recorded as it
    is.

    Attributes:
        reference: The fixed frame (its objectives are the run's, in order).
        costs: A config key's deterministic values (``params``, ``flops``); ``None``
            where they are not known, and then the trial has no vector.
        expected: A config key's scored values of the objectives it gives (``metric``,
            ``train_seconds``), or ``None`` to score the observed vector.
    """

    reference: HypervolumeReference
    costs: Callable[[str], Mapping[str, float] | None]
    expected: Callable[[str], Mapping[str, float]] | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Objective names, in vector order (the frame's)."""
        return self.reference.objectives

    @property
    def minimise(self) -> tuple[bool, ...]:
        """Per objective, whether smaller is better (the frame's)."""
        return tuple(s.minimise for s in self.reference.scales)

    @functools.cached_property
    def _fixed(self) -> tuple[str, ...]:
        return tuple(n for n in self.names if OBJECTIVES[n].deterministic)

    def observed(
        self, config_key: str, last_value: float, seconds: float
    ) -> tuple[float, ...] | None:
        """The trial's metric and seconds, and its config's deterministic values.

        Args:
            config_key: The config the trial was evaluated as.
            last_value: Its validation value at the last epoch trained.
            seconds: The seconds its epochs took, from epoch 1 (resumed ancestors'
                included).

        Returns:
            The vector, or ``None`` where ``costs`` does not know the config.
        """
        values = {"metric": float(last_value), "train_seconds": float(seconds)}
        if self._fixed:
            costs = self.costs(config_key)
            if costs is None:
                return None
            values.update({n: float(costs[n]) for n in self._fixed})
        return tuple(values[n] for n in self.names)

    def scored(
        self, config_key: str, observed: tuple[float, ...] | None = None
    ) -> tuple[float, ...] | None:
        """``expected``'s values where it has them, else the ``observed`` vector.

        ``None`` when the trial observed nothing.
        """
        if observed is None:
            return None
        if self.expected is None:
            return observed
        known = self.expected(config_key)
        return tuple(float(known.get(n, v)) for n, v in zip(self.names, observed, strict=True))


def run_objectives(path: Path, objectives: Sequence[str], max_epochs: int) -> RunObjectives:
    """The objective vectors of the table at ``path`` (read once per process).

    Raises:
        ObjectiveError: A bad objectives list or a missing column (naming the command
            that adds it), or a table with no point.
        TableError: The file is not a readable tunebench table.
    """
    resolved = Path(path).resolve()
    try:
        stamp = resolved.stat().st_mtime_ns
    except OSError as exc:
        raise ObjectiveError(f"{path}: cannot read the table ({exc.strerror})") from None
    return _cached(resolved, stamp, tuple(objectives), max_epochs)


@functools.lru_cache(maxsize=8)
def _cached(path: Path, stamp: int, objectives: tuple[str, ...], max_epochs: int) -> RunObjectives:
    # ``stamp`` is in the key so that a table rewritten in place (add_params) is read anew.
    del stamp
    return RunObjectives(
        points=table_points(path, objectives, max_epochs),
        reference=reference_from_table(path, objectives, max_epochs),
    )


def table_frame(path: Path, objectives: Sequence[str], max_epochs: int) -> HypervolumeReference:
    """The fixed frame of the table at ``path`` (read once per process).

    Raises:
        ObjectiveError: As :func:`run_objectives`.
        TableError: The file is not a readable tunebench table.
    """
    return run_objectives(path, objectives, max_epochs).reference
