"""Learning-curve tables: every grid config's recorded training, for replay.

A table is one Parquet file with one row per (config, repeat, epoch):

==============  =======  ===================================================
column          type     meaning
==============  =======  ===================================================
config_key      string   canonical JSON of the config (``SearchSpace.config_key``)
repeat          int32    training repeat (its own training seed), 0..R-1
epoch           int32    1-based epoch
value           float64  validation metric after the epoch (NaN if failed)
test_value      float64  test metric after the epoch (NaN if failed)
loss            float64  mean training loss of the epoch
seconds         float64  wall seconds of the epoch (validation included)
flops           float64  estimated training FLOPs of the epoch
setup_seconds   float64  model build time of this (config, repeat)
failed          string   why training failed at this epoch, "" if it did not
hp_<name>       mixed    each hyperparameter, for convenience (null if inactive)
==============  =======  ===================================================

The file's schema metadata (key ``tunebench``) holds JSON: problem, problem
params, the fingerprint of the problem's table space, the grid size, epochs,
repeats, subsample, metric, direction, data source, package versions, machine,
backend, threads. A table is refused when its space fingerprint does not match
the problem's current table space.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tunebench.errors import TunebenchError

__all__ = [
    "COLUMNS",
    "META_KEY",
    "Curve",
    "LearningCurveTable",
    "TableError",
    "read_table_meta",
    "table_space",
]

META_KEY = b"tunebench"
COLUMNS = (
    "config_key",
    "repeat",
    "epoch",
    "value",
    "test_value",
    "loss",
    "seconds",
    "flops",
    "setup_seconds",
    "failed",
)


_CURVE_COLUMNS = ("value", "test_value", "loss", "seconds", "flops")


class TableError(TunebenchError, ValueError):
    """A learning-curve table that cannot be used (missing, corrupt, mismatched)."""


#: Table metadata key: the SHA-256 of earlier versions of the file that held the same
#: curves (a column added without retraining rewrites the file, not its curves), so a
#: surrogate fitted on an earlier version still matches.
SAME_CURVES_KEY = "same_curves_as"


def read_table_meta(path: Path) -> dict[str, Any]:
    """A table's metadata, read from the file's footer only (cheap: no rows are read).

    Raises:
        TableError: Missing or unreadable file, no tunebench metadata, missing columns.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not path.is_file():
        raise TableError(
            f"{path}: learning-curve table not found (make it with tunebench tabulate)"
        )
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        raise TableError(f"{path}: not a readable Parquet table ({exc})") from None
    raw = (schema.metadata or {}).get(META_KEY)
    if raw is None:
        raise TableError(f"{path}: no tunebench metadata; not a table from tunebench tabulate")
    missing = [c for c in COLUMNS if c not in schema.names]
    if missing:
        raise TableError(f"{path}: missing columns {', '.join(missing)}")
    try:
        meta = json.loads(raw)
    except ValueError as exc:
        raise TableError(f"{path}: corrupt tunebench metadata ({exc})") from None
    if not isinstance(meta, dict):
        raise TableError(f"{path}: corrupt tunebench metadata (not a JSON object)")
    return meta


def table_space(problem: Any, meta: dict[str, Any]) -> Any:
    """The space a table covers: the problem's full space for a sampled table, else its grid.

    Args:
        problem: The :class:`~tunebench.datasets.Problem` the table is for.
        meta: The table's metadata (:func:`read_table_meta`).
    """
    return problem.space() if meta.get("kind") == "sampled" else problem.table_space()


@dataclass(frozen=True)
class Curve:
    """One recorded training of one config (one repeat), epoch by epoch."""

    value: np.ndarray
    test_value: np.ndarray
    loss: np.ndarray
    seconds: np.ndarray
    flops: np.ndarray
    failed: tuple[str, ...]
    setup_seconds: float

    @property
    def epochs(self) -> int:
        """Recorded epochs (fewer than the table's if training failed)."""
        return len(self.value)


class LearningCurveTable:
    """A loaded table: curves by (config key, repeat), plus its metadata.

    Args:
        path: The Parquet file.
        expected_fingerprint: Refuse the table unless its space fingerprint equals
            this (the problem's current table space).

    Raises:
        TableError: Missing, unreadable or corrupt file, missing metadata or
            columns, or a space fingerprint that does not match.
    """

    def __init__(self, path: Path, expected_fingerprint: str | None = None) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.path = path
        self.meta: dict[str, Any] = read_table_meta(path)
        try:
            table = pq.read_table(path, columns=list(COLUMNS))
        except (OSError, pa.ArrowException) as exc:
            raise TableError(f"{path}: not a readable Parquet table ({exc})") from None
        if expected_fingerprint is not None and self.meta.get("space_fingerprint") != (
            expected_fingerprint
        ):
            raise TableError(
                f"{path}: recorded for another search space of {self.meta.get('problem')!r} "
                f"(space hash {str(self.meta.get('space_fingerprint'))[:12]}, the problem's is "
                f"{expected_fingerprint[:12]}); re-record it with tunebench tabulate"
            )
        frame = table.to_pandas()
        frame = frame.sort_values(["config_key", "repeat", "epoch"], kind="stable")
        # Slice whole columns at the curve boundaries: a groupby per curve made loading a
        # large sampled table slow.
        keys = frame["config_key"].to_numpy(dtype=object)
        repeats = frame["repeat"].to_numpy(dtype=np.int64)
        epochs = frame["epoch"].to_numpy(dtype=np.int64)
        columns = {c: frame[c].to_numpy(np.float64) for c in _CURVE_COLUMNS}
        setup = frame["setup_seconds"].to_numpy(np.float64)
        failed = [str(f) for f in frame["failed"]]
        n = len(frame)
        starts = [0] + [
            i for i in range(1, n) if keys[i] != keys[i - 1] or repeats[i] != repeats[i - 1]
        ]
        self.curves: dict[tuple[str, int], Curve] = {}
        for lo, hi in zip(starts, [*starts[1:], n], strict=True):
            if not np.array_equal(epochs[lo:hi], np.arange(1, hi - lo + 1)):
                raise TableError(f"{path}: epochs of {keys[lo]} repeat {repeats[lo]} are not 1..n")
            self.curves[(str(keys[lo]), int(repeats[lo]))] = Curve(
                **{c: columns[c][lo:hi] for c in _CURVE_COLUMNS},
                failed=tuple(failed[lo:hi]),
                setup_seconds=float(setup[lo]),
            )
        try:
            self.repeats = int(self.meta["repeats"])
            self.epochs = int(self.meta["epochs"])
        except (KeyError, TypeError, ValueError) as exc:
            raise TableError(f"{path}: corrupt tunebench metadata ({exc!r})") from None
        self.config_keys = sorted({key for key, _ in self.curves})
        self._nearest: dict[str, Any] = {}

    @property
    def sampled(self) -> bool:
        """Whether the table holds configs sampled from the full space (not a grid)."""
        return self.meta.get("kind") == "sampled"

    def nearest_configs(self, space: Any) -> Any:
        """A :class:`~tunebench.curves.nearest.NearestConfig` over this table's configs (cached)."""
        from tunebench.curves.nearest import NearestConfig

        fingerprint = space.fingerprint()
        if fingerprint not in self._nearest:
            configs = [json.loads(key) for key in self.config_keys]
            self._nearest[fingerprint] = NearestConfig(space, self.config_keys, configs)
        return self._nearest[fingerprint]

    def curve(self, config_key: str, repeat: int) -> Curve:
        """The recorded curve of a config and repeat.

        Raises:
            TableError: The config is not on the table's grid.
        """
        try:
            return self.curves[(config_key, repeat % self.repeats)]
        except KeyError:
            raise TableError(
                f"{self.path}: config {config_key} is not on the table's grid "
                "(replay strategies must use the grid-shaped space)"
            ) from None
