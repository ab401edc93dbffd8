"""What a run loop holds while a trial trains or is served: sessions, epochs, snapshots.

Every trial backend opens sessions with one interface (:class:`Trainer`, :class:`Session`):
live Keras training, k-fold, replayed tables, surrogates and the conformance kit's
synthetic curves. An epoch's result is an :class:`EpochOutcome`; an ended trial's state
is a :class:`Snapshot`, kept by a :class:`SnapshotStore` so a later trial can continue it.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

__all__ = ["EpochOutcome", "Session", "Snapshot", "SnapshotStore", "Trainer", "fit_by_steps"]


@dataclass(frozen=True)
class EpochOutcome:
    """One finished epoch, as measured by the trainer.

    Attributes:
        epoch: 1-based epoch number (total epochs these weights have seen).
        value: Validation metric after the epoch (NaN if it could not be computed).
        loss: Mean training loss over the epoch.
        seconds: Wall seconds of the epoch, validation included.
        flops: Estimated training FLOPs of the epoch.
        weights_finite: Whether every trainable weight is finite. Checked
            separately because Keras' clipped cross-entropy reports a finite
            loss (about 0.693) for a model whose weights went NaN.
    """

    epoch: int
    value: float
    loss: float
    seconds: float
    flops: float
    weights_finite: bool = True

    @property
    def finite(self) -> bool:
        """Whether the loss, the validation value and the weights are all finite."""
        return self.weights_finite and math.isfinite(self.loss) and math.isfinite(self.value)

    def why_not_finite(self) -> str:
        """What went non-finite, for the trial's failure reason."""
        if not self.weights_finite:
            return f"non-finite weights at epoch {self.epoch} (loss {self.loss:.4g})"
        if not math.isfinite(self.loss):
            return f"non-finite loss ({self.loss}) at epoch {self.epoch}"
        return f"non-finite validation value ({self.value}) at epoch {self.epoch}"


@dataclass
class Snapshot:
    """Weights and optimizer state of a trial after ``epochs`` epochs."""

    config_key: str
    epochs: int
    weights: list[np.ndarray]
    optimizer: list[np.ndarray]

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        return sum(a.nbytes for a in self.weights) + sum(a.nbytes for a in self.optimizer)


class SnapshotStore:
    """Snapshots by trial id, in memory up to ``memory_limit`` bytes, then on disk.

    Args:
        spill_dir: Where spilled snapshots go (the run's scratch folder).
        memory_limit: Bytes kept in memory before the oldest snapshots spill.
    """

    def __init__(self, spill_dir: Path, memory_limit: int = 512 * 2**20) -> None:
        self.spill_dir = spill_dir
        self.memory_limit = memory_limit
        self._memory: OrderedDict[int, Snapshot] = OrderedDict()
        self._spilled: dict[int, tuple[Path, str, int, int]] = {}

    def __contains__(self, trial_id: int) -> bool:
        return trial_id in self._memory or trial_id in self._spilled

    def put(self, trial_id: int, snap: Snapshot) -> None:
        """Keep a snapshot, spilling the oldest ones if memory is over the limit."""
        self._memory[trial_id] = snap
        while len(self._memory) > 1 and self._bytes() > self.memory_limit:
            old_id, _ = next(iter(self._memory.items()))
            self.spill(old_id)

    def spill(self, trial_id: int) -> Path:
        """Write one in-memory snapshot to disk and drop it from memory."""
        snap = self._memory.pop(trial_id)
        self.spill_dir.mkdir(parents=True, exist_ok=True)
        path = self.spill_dir / f"trial-{trial_id}.npz"
        arrays = {f"w{i}": a for i, a in enumerate(snap.weights)}
        arrays.update({f"o{i}": a for i, a in enumerate(snap.optimizer)})
        np.savez(path, **arrays)  # type: ignore[arg-type]
        self._spilled[trial_id] = (path, snap.config_key, snap.epochs, len(snap.weights))
        return path

    def get(self, trial_id: int) -> Snapshot:
        """Return a snapshot (loading it back from disk if it was spilled).

        Raises:
            KeyError: No snapshot was kept for this trial.
        """
        if trial_id in self._memory:
            return self._memory[trial_id]
        if trial_id not in self._spilled:
            raise KeyError(f"no weights kept for trial {trial_id}")
        path, key, epochs, n_weights = self._spilled[trial_id]
        with np.load(path) as data:
            n_opt = len(data.files) - n_weights
            weights = [data[f"w{i}"] for i in range(n_weights)]
            optimizer = [data[f"o{i}"] for i in range(n_opt)]
        return Snapshot(key, epochs, weights, optimizer)

    def discard(self, trial_id: int) -> None:
        """Forget a snapshot (and delete its file)."""
        self._memory.pop(trial_id, None)
        spilled = self._spilled.pop(trial_id, None)
        if spilled is not None:
            spilled[0].unlink(missing_ok=True)

    def clear(self) -> None:
        """Forget every snapshot."""
        for trial_id in list(self._spilled):
            self.discard(trial_id)
        self._memory.clear()

    def _bytes(self) -> int:
        return sum(s.nbytes for s in self._memory.values())


def fit_by_steps(
    session: Any, target_epochs: int, on_epoch: Callable[[EpochOutcome], bool]
) -> None:
    """``Session.fit`` for sessions that serve one epoch per ``step()`` (replay, synthetic)."""
    while session.epochs < target_epochs:
        if not on_epoch(session.step()):
            return


class Session(Protocol):
    """What the runner needs of one trial's training (live or replayed)."""

    start_epoch: int
    epochs: int
    setup_seconds: float
    #: (recorded config key, distance) when a simulated backend served the trial from
    #: another config than the one proposed; ``None`` when it was the proposed one.
    served: tuple[str, float] | None

    def fit(self, target_epochs: int, on_epoch: Callable[[EpochOutcome], bool]) -> None:
        """Train up to ``target_epochs``, calling ``on_epoch`` after every epoch."""

    def evaluate_test(self) -> float:
        """The metric on the test split."""
        ...  # pragma: no cover

    def full_length(self, max_epochs: int) -> tuple[float, float] | None:
        """The config's validation and test value at ``max_epochs``, at no charge.

        ``None`` where that is not known without training it (live), or it fails.
        """
        ...  # pragma: no cover

    def snapshot(self) -> Snapshot:
        """State to resume from."""
        ...  # pragma: no cover

    def close(self) -> None:
        """Release the model."""


class Trainer(Protocol):
    """Opens sessions: :class:`LiveTrainer` or ``tunebench.backends.replay.ReplayTrainer``."""

    def open(
        self,
        config: Mapping[str, Any],
        config_key: str,
        seed: int,
        resume: Snapshot | None = None,
    ) -> Session:
        """A session for ``config``, continuing ``resume`` if given."""
        ...  # pragma: no cover
