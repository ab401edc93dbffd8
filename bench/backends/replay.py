"""Replay: serve recorded learning curves instead of training.

:class:`ReplayTrainer` has the live trainer's interface (``open`` a session,
``fit`` it epoch by epoch, ``evaluate_test``, ``snapshot``, ``close``), so the
runner loop, the ledger and every strategy run unchanged. Each epoch's cost is
the recorded one, so the ledger and the run's clock advance by what the real
training took (a simulated clock). Which recorded repeat a config is served
from follows the run seed (the "replay" stream) and the config, so a resumed
trial continues the same curve.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from typing import Any

from tunebench.backends.live import EpochOutcome, Snapshot
from tunebench.curves.nearest import NearestConfig
from tunebench.curves.table import Curve, LearningCurveTable, TableError
from tunebench.seeding import seed_for

__all__ = ["ReplaySession", "ReplayTrainer"]


class ReplaySession:
    """One trial served from a recorded curve."""

    def __init__(
        self,
        curve: Curve,
        config_key: str,
        start_epoch: int,
        served: tuple[str, float] | None = None,
    ) -> None:
        self.curve = curve
        self.config_key = config_key
        #: (recorded config key, distance) when a sampled table served a proposal from
        #: its nearest recorded config; None for a grid table (exact lookup).
        self.served = served
        self.start_epoch = start_epoch
        self.epochs = start_epoch
        self.setup_seconds = curve.setup_seconds

    def step(self) -> EpochOutcome:
        """Serve the next recorded epoch (runs with several trials in flight step sessions).

        Raises:
            TableError: The table holds no further epoch of this config.
        """
        c = self.curve
        i = self.epochs
        if i >= c.epochs:
            raise TableError(
                f"the table holds {c.epochs} epochs of {self.config_key}; {i + 1} were asked"
            )
        self.epochs += 1
        return EpochOutcome(
            epoch=i + 1,
            value=float(c.value[i]),
            loss=float(c.loss[i]),
            seconds=float(c.seconds[i]),
            flops=float(c.flops[i]),
            weights_finite=not c.failed[i],
        )

    def fit(self, target_epochs: int, on_epoch: Callable[[EpochOutcome], bool]) -> None:
        """Serve recorded epochs up to ``target_epochs`` while ``on_epoch`` says go on."""
        c = self.curve
        while self.epochs < target_epochs:
            if self.epochs >= c.epochs:
                raise TableError(
                    f"the table holds {c.epochs} epochs of {self.config_key}; "
                    f"{target_epochs} were asked"
                )
            if not on_epoch(self.step()):
                return

    def evaluate_test(self) -> float:
        """The recorded test metric at the current epoch."""
        return float(self.curve.test_value[self.epochs - 1])

    def snapshot(self) -> Snapshot:
        """Nothing to copy: a resume only needs the epoch count."""
        return Snapshot(self.config_key, self.epochs, [], [])

    def close(self) -> None:
        """Nothing to release."""


class ReplayTrainer:
    """Serves one run's trials from a learning-curve table.

    Args:
        table: The loaded table.
        run_seed: The run seed; it picks the repeat served for each config.
    """

    def __init__(
        self, table: LearningCurveTable, run_seed: int, nearest: NearestConfig | None = None
    ) -> None:
        self.table = table
        self.run_seed = run_seed
        self.nearest = nearest

    def repeat_for(self, config_key: str) -> int:
        """Which recorded repeat this run serves for a config."""
        tag = zlib.crc32(config_key.encode("utf-8"))
        return seed_for(self.run_seed, "replay", tag) % self.table.repeats

    def open(
        self,
        config: Mapping[str, Any],
        config_key: str,
        seed: int,
        resume: Snapshot | None = None,
    ) -> ReplaySession:
        """A session on the recorded curve of ``config`` (continuing ``resume``).

        With a sampled table (``nearest`` set), the curve is the nearest recorded
        config's, and which repeat is served follows that config.
        """
        served = None
        key = config_key
        if self.nearest is not None:
            key, distance = self.nearest.nearest(config)
            served = (key, distance)
        curve = self.table.curve(key, self.repeat_for(key))
        start = 0 if resume is None else resume.epochs
        return ReplaySession(curve, key, start, served)
