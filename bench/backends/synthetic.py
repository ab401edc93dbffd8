"""The synthetic trial backend: deterministic learning curves, nothing trained.

What the strategies' conformance kit (:mod:`tunebench.strategies.testing`, which
re-exports these names) drives the real run loop over: :func:`fake_value` curves that
rise with the epoch and prefer one position per parameter, injected failures (NaN loss),
simulated seconds per epoch so trials in flight interleave, serving from the space's grid
as a simulated mode serves recorded configs (:func:`grid_config`), and a multi-objective
problem (:class:`SyntheticObjectives`: the metric against :func:`fake_size`).
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from tunebench.backends.session import EpochOutcome, Snapshot, fit_by_steps
from tunebench.strategies.base import Direction
from tunebench.strategies.space import Float, Int, SearchSpace
from tunebench.strategies.space.unit import position

__all__ = [
    "SyntheticObjectives",
    "SyntheticSession",
    "SyntheticTrainer",
    "fake_size",
    "fake_value",
    "grid_config",
]


def fake_value(space: SearchSpace, config: Mapping[str, Any], epoch: int) -> float:
    """A deterministic, accuracy-like value of ``config`` after ``epoch`` epochs.

    Each active parameter has a preferred position in its range; the value rises with the
    epoch and the curves of different configs cross rarely, like real learning curves.
    """
    score = 0.0
    for i, param in enumerate(space):
        if param.name in config:
            target = (0.3 + 0.37 * i) % 1.0
            score -= (position(param, config[param.name]) - target) ** 2
    base = 0.5 + 0.3 * score / len(space)
    return base + 0.2 * (1.0 - 0.6**epoch)


class SyntheticSession:
    """One trial of the synthetic backend: values from the objective, nothing trained."""

    def __init__(
        self, trainer: SyntheticTrainer, config: Mapping[str, Any], key: str, start: int, n: int
    ) -> None:
        self._trainer = trainer
        self._config = dict(config)
        self._key = key
        self._fail_at: int | None = None
        every = trainer.fail_every
        if every and n % every == 0:
            # Alternate failures at the first new epoch and the one after (after a report).
            self._fail_at = start + 1 + (n // every) % 2
        self.start_epoch = start
        self.epochs = start
        self.setup_seconds = 0.0
        self.served: tuple[str, float] | None = None  # trained (or made) as proposed
        self._last = math.nan
        # A config's epochs take 1..1.5 simulated seconds, so trials in flight interleave.
        self._seconds = 1.0 + 0.5 * (zlib.crc32(key.encode()) % 1000) / 1000

    def step(self) -> EpochOutcome:
        """The next epoch's outcome (NaN loss where a failure is injected)."""
        self.epochs += 1
        if self.epochs == self._fail_at:
            return EpochOutcome(self.epochs, math.nan, math.nan, self._seconds, 1.0)
        self._last = self._trainer.value(self._config, self.epochs)
        return EpochOutcome(self.epochs, self._last, 1.0 - self._last, self._seconds, 1.0)

    def fit(self, target_epochs: int, on_epoch: Callable[[EpochOutcome], bool]) -> None:
        """Serve epochs up to ``target_epochs`` while ``on_epoch`` says go on."""
        fit_by_steps(self, target_epochs, on_epoch)

    def evaluate_test(self) -> float:
        """The last validation value (the kit has no test split)."""
        return self._last

    def full_length(self, max_epochs: int) -> tuple[float, float] | None:
        """The objective at ``max_epochs`` (the kit has no test split: the same value)."""
        value = self._trainer.value(self._config, max_epochs)
        return value, value

    def snapshot(self) -> Snapshot:
        """Weights to resume from: only the epoch count matters here."""
        return Snapshot(self._key, self.epochs, [], [])

    def close(self) -> None:
        """Nothing to release."""


class SyntheticTrainer:
    """The conformance kit's trial backend: the run loop over :func:`fake_value` curves.

    Args:
        space: The search space.
        direction: ``"maximize"`` serves the objective, ``"minimize"`` ``1 - objective``.
        objective: ``(space, config, epoch) -> value``.
        fail_every: Every ``fail_every``-th trial opened fails (NaN loss); 0 for none.
    """

    def __init__(
        self,
        space: SearchSpace,
        direction: Direction,
        objective: Callable[[SearchSpace, Mapping[str, Any], int], float] = fake_value,
        fail_every: int = 0,
        serve_grid: bool = False,
    ) -> None:
        self.space = space
        self.direction = direction
        self.objective = objective
        self.fail_every = fail_every
        self.serve_grid = serve_grid
        self.opened = 0

    def value(self, config: Mapping[str, Any], epoch: int) -> float:
        """The value the trial reports after ``epoch`` epochs."""
        v = self.objective(self.space, config, epoch)
        return v if self.direction == "maximize" else 1.0 - v

    def open(
        self,
        config: Mapping[str, Any],
        config_key: str,
        seed: int,
        resume: Snapshot | None = None,
    ) -> SyntheticSession:
        """A session for ``config``, continuing ``resume`` if given."""
        del seed  # the curves are deterministic
        self.opened += 1
        start = 0 if resume is None else resume.epochs
        if not self.serve_grid:
            return SyntheticSession(self, config, config_key, start, self.opened)
        served = grid_config(self.space, config)
        key = self.space.config_key(served)
        session = SyntheticSession(self, served, key, start, self.opened)
        session.served = (key, 0.0 if key == config_key else 1.0)
        return session


def fake_size(space: SearchSpace, config: Mapping[str, Any]) -> float:
    """A deterministic, parameter-count-like cost of ``config`` (minimised), at least 1000.

    It grows with every active parameter's position in its range, while
    :func:`fake_value` prefers positions across the whole range, so the two objectives
    trade off and the problem has a front of several configs.
    """
    total = sum(position(p, config[p.name]) for p in space if p.name in config)
    return 1000.0 * (1.0 + total)


class SyntheticObjectives:
    """The kit's multi-objective problem: ``metric`` against ``params``.

    ``metric`` is the trainer's value (:func:`fake_value`, in the run's direction), and
    ``params`` is :func:`fake_size`. A trial that reached ``max_epochs`` measures its own
    last value; it is scored on its config's value at ``max_epochs``.

    Args:
        trainer: The synthetic backend whose values are the metric.
        max_epochs: The fidelity's ``max_epochs``.
    """

    def __init__(self, trainer: SyntheticTrainer, max_epochs: int) -> None:
        self.trainer = trainer
        self.max_epochs = max_epochs
        self.names: tuple[str, ...] = ("metric", "params")
        self.minimise: tuple[bool, ...] = (trainer.direction == "minimize", True)

    def observed(
        self, config_key: str, last_value: float, seconds: float
    ) -> tuple[float, ...] | None:
        """The trial's last value and its config's size."""
        del seconds  # not an objective here
        return (float(last_value), fake_size(self.trainer.space, json.loads(config_key)))

    def scored(
        self, config_key: str, observed: tuple[float, ...] | None = None
    ) -> tuple[float, ...] | None:
        """The config's value at ``max_epochs`` and its size (``observed`` is not used)."""
        del observed
        config = json.loads(config_key)
        return (
            self.trainer.value(config, self.max_epochs),
            fake_size(self.trainer.space, config),
        )


def grid_config(space: SearchSpace, config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with every numeric parameter moved to its nearest grid value.

    What a simulated backend does when it serves a proposal from a recorded config: the
    kit's ``serve_grid`` backend serves these, as a table of the space's grid would.
    """
    out = dict(config)
    for param in space:
        if isinstance(param, (Int, Float)) and param.name in out:
            value = float(out[param.name])
            scale = math.log if param.log else float
            out[param.name] = min(
                param.grid_values(), key=lambda g: abs(scale(float(g)) - scale(value))
            )
    return space.canonical(out)
