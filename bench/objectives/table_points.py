"""A table's configs as points in objective space: one per config, at ``max_epochs``.

A config's point is the mean, over its repeats that reached ``max_epochs`` without
failing, of each objective's per-repeat value (:data:`~tunebench.objectives.OBJECTIVES`
says how a table provides each one). A config with no such repeat has no point: a
training that failed is no solution. Means over repeats, rather than one repeat, make
the table's Pareto front a property of the configs, not of one training seed; a run is
then scored on the same means of the configs it evaluated (as the single-objective score
looks up a config's full-length value), so its points can never beat the table's front.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tunebench.curves.table import read_table_meta
from tunebench.objectives.catalog import (
    TRAINING_PER_FORWARD,
    Objective,
    ObjectiveError,
    check_objectives,
    minimised,
)

__all__ = ["TablePoints", "require_columns", "table_points"]


@dataclass(frozen=True)
class TablePoints:
    """Per-config objective values of one table at one ``max_epochs``.

    Attributes:
        objectives: Objective names, one per column of ``values``.
        minimise: Per objective, whether smaller is better (the metric: the problem's
            direction).
        config_keys: The configs with a point, sorted.
        values: Raw values, shape ``(len(config_keys), len(objectives))``.
        max_epochs: The epoch the points are taken at.
        meta: The table's metadata.
        without_point: Configs of the table left out: none of their repeats reached
            ``max_epochs`` without failing.
    """

    objectives: tuple[str, ...]
    minimise: tuple[bool, ...]
    config_keys: tuple[str, ...]
    values: np.ndarray
    max_epochs: int
    meta: dict[str, Any]
    without_point: int

    def subset(self, mask: np.ndarray) -> TablePoints:
        """The points where ``mask`` is true (same objectives and table)."""
        keys = tuple(k for k, keep in zip(self.config_keys, mask, strict=True) if keep)
        return TablePoints(
            self.objectives,
            self.minimise,
            keys,
            self.values[mask],
            self.max_epochs,
            self.meta,
            self.without_point,
        )


def require_columns(path: Path, objectives: Sequence[Objective]) -> None:
    """Refuse a table that lacks a column one of ``objectives`` needs, in one line.

    Raises:
        ObjectiveError: Naming the column, the objective and the command that adds it.
        TableError: The file is not a readable tunebench table.
    """
    import pyarrow.parquet as pq

    read_table_meta(path)
    names = set(pq.read_schema(path).names)
    for objective in objectives:
        if objective.column not in names:
            how = (
                f"; add it with {objective.adds_column.replace('TABLE', str(path))}"
                if objective.adds_column
                else ""
            )
            raise ObjectiveError(
                f"{path}: no {objective.column!r} column, which objective "
                f"{objective.name!r} needs{how}"
            )


def table_points(
    path: Path, objectives: Sequence[str], max_epochs: int | None = None
) -> TablePoints:
    """Each config's objective vector at ``max_epochs``, mean over its complete repeats.

    Args:
        path: A learning-curve table (:mod:`tunebench.curves.table`).
        objectives: Objective names (validated by
            :func:`~tunebench.objectives.check_objectives`).
        max_epochs: The epoch to take points at; default the table's epochs.

    Raises:
        ObjectiveError: A bad objectives list, a missing column, a ``max_epochs`` the
            table does not hold, or a table where no config has a point.
        TableError: The file is not a readable tunebench table.
    """
    import pandas as pd

    chosen = check_objectives(objectives)
    meta = read_table_meta(path)
    require_columns(path, chosen)
    epochs = int(meta["epochs"])
    at = epochs if max_epochs is None else max_epochs
    if not 1 <= at <= epochs:
        raise ObjectiveError(f"{path}: max_epochs {at} is outside the table's 1..{epochs}")
    columns = ["config_key", "repeat", "epoch", "failed", "value"]
    columns += sorted({o.column for o in chosen} - set(columns))
    frame = pd.read_parquet(path, columns=columns)
    frame = frame[frame["epoch"] <= at]
    # A null reason counts as no failure, as the empty string tabulate writes does.
    frame = frame.assign(_failed=frame["failed"].fillna("").astype(str) != "")
    units = frame.groupby(["config_key", "repeat"], sort=True)
    last = units["epoch"].max()
    failed = units["_failed"].any()
    final = frame[frame["epoch"] == at].set_index(["config_key", "repeat"])
    complete = (last == at) & ~failed
    complete &= final["value"].reindex(last.index).notna()
    per_unit: dict[str, Any] = {}
    for objective in chosen:
        per_unit[objective.name] = _unit_values(objective, frame, units, final, meta, path)
    unit_frame = pd.DataFrame(per_unit)[complete]
    means = unit_frame.groupby(level="config_key", sort=True).mean()
    all_configs = frame["config_key"].nunique()
    if means.empty:
        raise ObjectiveError(
            f"{path}: no config reached epoch {at} without failing; the table has no points"
        )
    direction = str(meta.get("direction", "maximize"))
    return TablePoints(
        objectives=tuple(o.name for o in chosen),
        minimise=tuple(minimised(o, direction) for o in chosen),
        config_keys=tuple(str(k) for k in means.index),
        values=means[[o.name for o in chosen]].to_numpy(np.float64),
        max_epochs=at,
        meta=meta,
        without_point=int(all_configs - len(means)),
    )


def _unit_values(
    objective: Objective,
    frame: Any,
    units: Any,
    final: Any,
    meta: dict[str, Any],
    path: Path,
) -> Any:
    """One objective's value per (config, repeat), indexed like ``units``."""
    index = units["epoch"].max().index
    if objective.name == "metric":
        return final["value"].reindex(index)
    if objective.name == "train_seconds":
        return units["seconds"].sum()
    if objective.name == "flops":
        train_rows = int((meta.get("split_sizes") or {}).get("train", 0))
        if train_rows <= 0:
            raise ObjectiveError(f"{path}: no training split size in the metadata for 'flops'")
        first = frame[frame["epoch"] == 1].set_index(["config_key", "repeat"])["flops"]
        return first.reindex(index) / (TRAINING_PER_FORWARD * train_rows)
    if objective.name == "params":
        return units["params"].first().astype(np.float64)
    raise ObjectiveError(f"objective {objective.name!r} has no table rule")  # pragma: no cover
