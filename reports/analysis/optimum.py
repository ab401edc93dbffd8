"""The optimum of a learning-curve table: the 0-point of regret on a tabular problem.

A replay run can only ever see values recorded in its table: each trial is served one
recorded (config, repeat) curve, and the harness's incumbent is a trial trained to
``max_epochs``. So the best value at epoch ``max_epochs`` over every recorded curve is
the best score any run on that table can possibly reach. Normalized regret measured
from it is >= 0 and exactly 0 only at the table's best; measured from "the best score
any run reached" instead, a matrix where every strategy misses the optimum would still
show one run at regret 0 and hide how far all of them are from it.

Validation and test are separate optima (the config with the best validation value need
not have the best test value): validation regret uses the first, test regret the second.
A run whose incumbent is no full evaluation (it trained no trial to ``max_epochs``, so a
shorter trial's value counts, as the harness does) can score beyond the optimum at
``max_epochs``; such a run shows a negative regret rather than a clipped one.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tunebench.curves.table import TableError, read_table_meta

__all__ = ["TableOptimum", "table_optimum"]

_READ = ("config_key", "repeat", "epoch", "value", "test_value", "failed")


@dataclass(frozen=True)
class TableOptimum:
    """The best recorded values of a table at one epoch.

    Attributes:
        path: The table file.
        direction: ``"maximize"`` or ``"minimize"``.
        max_epochs: The epoch the curves are read at (a run's full evaluation).
        val: Best validation value at ``max_epochs`` over every usable curve.
        test: Best test value at ``max_epochs`` over every usable curve.
        val_config: Config key of the curve holding ``val``.
        test_config: Config key of the curve holding ``test``.
        n_configs: Configs recorded in the table.
        n_repeats: Repeats per config the table was recorded with.
        n_curves: Curves recorded: one per (config, repeat).
        n_skipped: Curves left out: failed, shorter than ``max_epochs``, or NaN there.
    """

    path: Path
    direction: str
    max_epochs: int
    val: float
    test: float
    val_config: str
    test_config: str
    n_configs: int
    n_repeats: int
    n_curves: int
    n_skipped: int

    def describe(self, kind: str, metric: str) -> str:
        """The optimum in words, as the report names regret's 0-point.

        Args:
            kind: ``"validation"`` or ``"test"``.
            metric: The metric's name.
        """
        skipped = f"; {self.n_skipped} failed curves left out" if self.n_skipped else ""
        return (
            f"the table's optimum (best {kind} {metric} of {self.n_configs} recorded configs "
            f"x {self.n_repeats} repeats at epoch {self.max_epochs}, {self.path.name}{skipped})"
        )


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int, size: int) -> tuple[dict[str, Any], pd.DataFrame]:
    """A table's metadata and the columns the optimum needs, read once per file version.

    Keyed on the file's mtime and size too, so a re-recorded table is read again.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = read_table_meta(Path(path))  # refuses files that are not tunebench tables
    try:
        frame = pq.read_table(path, columns=list(_READ)).to_pandas()
    except (OSError, pa.ArrowException) as exc:
        raise TableError(f"{path}: not a readable Parquet table ({exc})") from None
    return meta, frame


def table_optimum(path: Path | str, direction: str, max_epochs: int) -> TableOptimum:
    """The best validation and test value at ``max_epochs`` over a table's curves.

    A curve is one recorded (config, repeat); its value at epoch ``max_epochs`` counts.
    Curves that failed at or before that epoch, stop short of it, or hold NaN there are
    left out (for test, a NaN test value alone leaves the curve out of the test optimum).
    The file is read once per path and version (cached).

    Args:
        path: The learning-curve table (Parquet, from ``tunebench tabulate``).
        direction: ``"maximize"`` or ``"minimize"`` (the problem's metric direction).
        max_epochs: Epochs of a full evaluation in the runs replaying the table.

    Returns:
        The optimum.

    Raises:
        TableError: The table is missing or unreadable, holds fewer than ``max_epochs``
            epochs, or no curve has a value at ``max_epochs``.
        ValueError: ``direction`` is neither ``"maximize"`` nor ``"minimize"``.
    """
    if direction not in ("maximize", "minimize"):
        raise ValueError(f"direction must be 'maximize' or 'minimize', got {direction!r}")
    path = Path(path)
    if not path.is_file():
        raise TableError(f"{path}: learning-curve table not found")
    stat = path.stat()
    meta, frame = _load(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    epochs = int(meta.get("epochs", frame["epoch"].max() if len(frame) else 0))
    if max_epochs < 1 or max_epochs > epochs:
        raise TableError(f"{path}: holds {epochs} epochs; max_epochs = {max_epochs}")
    key = ["config_key", "repeat"]
    upto = frame[frame["epoch"] <= max_epochs]
    # a curve that failed at any epoch up to max_epochs never gives a full evaluation
    failed = upto.assign(bad=upto["failed"].fillna("").astype(str) != "").groupby(key)["bad"].any()
    at = frame[frame["epoch"] == max_epochs].set_index(key)
    n_curves = int(frame.groupby(key).ngroups)
    ok = at[~failed.reindex(at.index, fill_value=True)]
    sign = 1.0 if direction == "maximize" else -1.0
    val, val_config = _best(ok["value"], sign)
    test, test_config = _best(ok["test_value"], sign)
    if math.isnan(val):
        raise TableError(f"{path}: no curve has a validation value at epoch {max_epochs}")
    return TableOptimum(
        path=path,
        direction=direction,
        max_epochs=max_epochs,
        val=val,
        test=test,
        val_config=val_config,
        test_config=test_config,
        n_configs=int(frame["config_key"].nunique()),
        n_repeats=int(meta.get("repeats", frame["repeat"].nunique())),
        n_curves=n_curves,
        n_skipped=n_curves - int(ok["value"].notna().sum()),
    )


def _best(values: pd.Series, sign: float) -> tuple[float, str]:
    """The best finite value of ``values`` (indexed by config key, repeat) and its config."""
    finite = values[np.isfinite(values.to_numpy(dtype=float))]
    if finite.empty:
        return math.nan, ""
    where = (sign * finite).idxmax()
    return float(finite[where]), str(where[0])
