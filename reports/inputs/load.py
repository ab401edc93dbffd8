"""Load a results folder for reporting: the three collected tables, the plan, what is missing.

The report is built only from stored records (``run.json``, ``trials.jsonl``), through
the tables of :mod:`tunebench.reports.inputs.collect`. When ``results/<matrix>/tables/`` holds
Parquet tables newer than every run record they are read as they are; otherwise the
records are collected again in memory (nothing is written into the results folder).
Where the report needs more than the tables hold (a surrogate's fitted fidelity), a run's
own record is read through :func:`tunebench.records.run_record.read_run_record`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tunebench.backends.registry import backend_class
from tunebench.curves.shipped import recorded_path
from tunebench.errors import TunebenchError
from tunebench.matrix.plan import table_backend
from tunebench.records.layout import run_folders, run_key
from tunebench.records.run_record import FailedRun, RunRecord, read_run_record
from tunebench.records.storage import RUN_FILE, TRIALS_FILE
from tunebench.reports.inputs.collect import TABLES, collect, record_warnings

__all__ = [
    "NoResultsError",
    "ProblemInfo",
    "ReportData",
    "ReportError",
    "first_run_record",
    "load_results",
]

MATRIX_FILE = "matrix.json"  # written by tunebench.execution.matrix_runner.MatrixRunner
# Columns of the runs table added after its first release: stored tables without them
# were collected by an older version and are collected again.
_NEWER_RUN_COLUMNS = ("table", "score_value", "data_settings", "integrity", "problem_module")
# What a multi-objective matrix's runs table holds besides (collected since issue 39).
_FRONT_RUN_COLUMNS = ("hypervolume_regret", "hypervolume_frame")


class ReportError(TunebenchError, RuntimeError):
    """A results folder cannot be reported on (the message is one line)."""


class NoResultsError(ReportError, FileNotFoundError):
    """The results folder is missing or holds no run record."""


@dataclass(frozen=True)
class ProblemInfo:
    """What the report needs to know about one problem of the matrix.

    Attributes:
        name: The problem's label in the results: its folder name (``name`` or
            ``name@mode``).
        registered: The registered problem name.
        metric: Keras metric name (the validation score is ``val_<metric>``).
        direction: ``"maximize"`` or ``"minimize"``.
        max_epochs: Epochs of one full evaluation.
        mode: ``"live"``, ``"replay"`` or ``"surrogate"`` (wall-clock is simulated in the
            last two, :attr:`simulated`).
        params: Problem options from the matrix.
        concurrency: Trials of a run in flight at once (1 when the results predate it).
        table: The learning-curve table when every complete run of the problem replayed
            that one table (then its optimum is regret's 0-point); ``None`` for live
            problems and for runs that used different tables.
        backend: The Keras backend behind the curves: the one live runs trained on, the
            one a replay table was recorded with; ``None`` when unknown or mixed.
        seeds: The seeds the matrix plans for the entry (those of its run folders when
            the results hold no ``matrix.json``).
        budget: The runs' budget, ``(full evaluations, seconds)`` (``None`` where not
            capped that way); ``None`` when the complete runs differ.
        data: The data settings every complete run records alike (see
            :data:`~tunebench.reports.inputs.collect.DATA_SETTING_KEYS`): key -> value; a
            key whose value is unrecorded or differs between runs is left out.
        module: The problem file that defines it (``None``: a registered problem).
        objectives: A multi-objective entry's objectives, in its order, when every
            complete run records the same ones; ``None`` for a single-objective entry.
    """

    name: str
    registered: str
    metric: str
    direction: str
    max_epochs: int
    mode: str
    params: dict[str, Any] = field(default_factory=dict)
    table: str | None = None
    concurrency: int = 1
    backend: str | None = None
    seeds: tuple[int, ...] = ()
    budget: tuple[float | None, float | None] | None = None
    data: dict[str, Any] = field(default_factory=dict)
    module: str | None = None
    objectives: tuple[str, ...] | None = None

    @property
    def simulated(self) -> bool:
        """Whether the runs' epochs were served on a simulated clock (replay, surrogate)."""
        return backend_class(self.mode).simulated

    @property
    def sign(self) -> float:
        """+1 when larger is better, -1 otherwise (multiply to make larger better)."""
        return 1.0 if self.direction == "maximize" else -1.0


@dataclass
class ReportData:
    """Everything loaded from a results folder.

    Attributes:
        results: The matrix's results folder.
        matrix_name: Its name.
        matrix: The matrix as recorded in ``matrix.json`` (``None`` when absent).
        runs: One row per run folder (the collected ``runs`` table).
        trials: One row per trial.
        epochs: One row per trained epoch.
        strategies: Strategy labels of the matrix, sorted (colours follow this order).
        problems: Problem names in matrix order.
        info: Per problem: metric, direction, epochs, mode.
        missing: Planned runs that are not complete: problem, strategy, seed, state
            (``absent``, ``incomplete``, ``failed``) and the recorded error.
        n_planned: Runs the matrix plans (the run folders found, without ``matrix.json``).
    """

    results: Path
    matrix_name: str
    matrix: dict[str, Any] | None
    runs: pd.DataFrame
    trials: pd.DataFrame
    epochs: pd.DataFrame
    strategies: list[str]
    problems: list[str]
    info: dict[str, ProblemInfo]
    missing: pd.DataFrame

    @property
    def complete(self) -> pd.DataFrame:
        """The complete runs."""
        return self.runs[self.runs["status"] == "complete"]

    n_planned: int = 0

    @property
    def budget_full_evaluations(self) -> float | None:
        """The matrix's budget in full evaluations, if it is capped that way."""
        values = self.complete["budget_full_evaluations"].dropna()
        return float(values.iloc[0]) if len(values) else None


def _records(results: Path) -> tuple[float, int]:
    """The newest run record's mtime under ``results`` and the number of run folders."""
    newest = 0.0
    folders = run_folders(results)
    for folder in folders:
        for name in (RUN_FILE, TRIALS_FILE):
            path = folder / name
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    return newest, len(folders)


def _tables(results: Path) -> dict[str, pd.DataFrame]:
    """The collected tables: stored ones when fresh, else collected in memory.

    Stored tables are fresh when they are newer than every run record, list as many
    runs as there are run folders (removing a run folder changes no mtime) and have every
    column this version collects.
    """
    stored = results / "tables"
    paths = [stored / f"{name}.parquet" for name in TABLES]
    newest, n_runs = _records(results)
    if newest and all(p.is_file() and p.stat().st_mtime >= newest for p in paths):
        tables = {name: pd.read_parquet(p) for name, p in zip(TABLES, paths, strict=True)}
        runs = tables["runs"]
        needed = _NEWER_RUN_COLUMNS + (_FRONT_RUN_COLUMNS if _multi_objective(results) else ())
        if len(runs) == n_runs and all(c in runs.columns for c in needed):
            return tables
    try:
        return collect(results)
    except FileNotFoundError as exc:
        raise NoResultsError(str(exc)) from None


def _multi_objective(results: Path) -> bool:
    """Whether the results' ``matrix.json`` has an entry with ``objectives``."""
    try:
        stored = json.loads((results / MATRIX_FILE).read_text(encoding="utf-8"))
        problems = stored["matrix"]["problems"]
        return any(isinstance(p, dict) and p.get("objectives") for p in problems)
    except (OSError, ValueError, TypeError, KeyError):
        return False


def _planned(
    matrix: dict[str, Any],
) -> tuple[list[str], list[str], dict[str, list[int]], dict[str, Any]]:
    """Problem labels, strategy labels, seeds per problem and problem entries of a matrix.

    From the plan (:func:`tunebench.matrix.plan.run_keys`): a problem's label is its folder
    name (``name``, or ``name@mode`` / ``name@c<N>``), and an entry may have its own seeds.
    """
    from tunebench.matrix.plan import run_keys
    from tunebench.matrix.schema import Matrix

    keys = run_keys(Matrix.model_validate(matrix))
    problems = list(dict.fromkeys(_label(p) for p, _, _ in keys))
    labels = list(dict.fromkeys(s.label for _, s, _ in keys))
    seeds: dict[str, list[int]] = {}
    entries: dict[str, Any] = {}
    for p, s, seed in keys:
        label = _label(p)
        entries[label] = p
        if s.label == labels[0]:
            seeds.setdefault(label, []).append(seed)
    return problems, labels, seeds, entries


def _concurrency(rows: pd.DataFrame) -> int:
    """The problem entry's concurrency (results written before the key existed: 1)."""
    if "concurrency" not in rows.columns:
        return 1
    values = rows["concurrency"].dropna()
    return int(values.iloc[0]) if len(values) else 1


def _one_backend(rows: pd.DataFrame, table: str | None) -> str | None:
    """The Keras backend behind these runs' curves, or ``None`` when unknown or mixed.

    A replay table's own metadata says what recorded it (replay runs written before
    their provenance did record the replaying process's backend instead).
    """
    if table is not None:
        recorded = table_backend(recorded_path(table))
        if recorded is not None:
            return recorded
    if "backend" not in rows.columns:
        return None
    values = set(rows["backend"].dropna().astype(str))
    return values.pop() if len(values) == 1 else None


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _one_table(rows: pd.DataFrame) -> str | None:
    """The table every one of these complete runs replayed, or ``None``.

    ``None`` when any run is live, records no table, or runs used different tables or a
    different number of epochs (then no single optimum applies to all of them).
    """
    if "table" not in rows.columns or not len(rows):
        return None
    if not all(backend_class(m).serves_table for m in rows["mode"]) or rows["table"].isna().any():
        return None
    # either form a record names a table in (a path, or tunebench.datasets:...), as a file here
    tables = {str(recorded_path(t)) for t in rows["table"].astype(str)}
    if len(tables) != 1 or rows["max_epochs"].nunique() != 1:
        return None
    return tables.pop()


def _one_budget(rows: pd.DataFrame) -> tuple[float | None, float | None] | None:
    """``(full evaluations, seconds)`` shared by these runs, or ``None`` when they differ."""
    budgets = {
        tuple(None if pd.isna(v) else float(v) for v in pair)
        for pair in zip(rows["budget_full_evaluations"], rows["budget_seconds"], strict=True)
    }
    return budgets.pop() if len(budgets) == 1 else None  # type: ignore[return-value]


def _shared_data(rows: pd.DataFrame) -> dict[str, Any]:
    """The data settings recorded alike by every one of these runs."""
    if "data_settings" not in rows.columns or not len(rows):
        return {}
    recorded = [json.loads(v) if isinstance(v, str) else {} for v in rows["data_settings"]]
    first = recorded[0]
    return {k: v for k, v in first.items() if all(k in r and r[k] == v for r in recorded[1:])}


def _one_objectives(rows: pd.DataFrame) -> tuple[str, ...] | None:
    """The objectives every one of these runs records, or ``None`` (single-objective, mixed)."""
    if "objectives" not in rows.columns or not len(rows):
        return None
    recorded = {v if isinstance(v, str) else None for v in rows["objectives"]}
    if len(recorded) != 1 or None in recorded:
        return None
    names = json.loads(str(recorded.pop()))
    return tuple(str(n) for n in names) if isinstance(names, list) else None


def _label(entry: Any) -> str:
    """Folder name of a problem entry (older matrices have no ``label``)."""
    return str(getattr(entry, "label", entry.name))


def _missing(
    runs: pd.DataFrame, problems: list[str], labels: list[str], seeds: dict[str, list[int]]
) -> pd.DataFrame:
    """Planned runs that are not complete, in plan order."""
    by_key = {
        (r.problem, r.strategy, int(r.seed)): r
        for r in runs.itertuples(index=False)
        if r.seed is not None and not pd.isna(r.seed)
    }
    rows = []
    for problem in problems:
        for label in labels:
            for seed in seeds[problem]:
                row = by_key.get((problem, label, seed))
                if row is None:
                    state, error = "absent", ""
                elif row.status == "complete":
                    continue
                elif row.status in ("failed", "damaged"):
                    state, error = str(row.status), str(row.error or "")
                else:
                    state, error = "incomplete", ""
                rows.append(
                    {
                        "problem": problem,
                        "strategy": label,
                        "seed": seed,
                        "state": state,
                        "error": error,
                    }
                )
    return pd.DataFrame(rows, columns=["problem", "strategy", "seed", "state", "error"])


def load_results(results: Path, warn: Callable[[str], None] | None = None) -> ReportData:
    """Load a matrix's results folder for reporting.

    Args:
        results: ``results/<matrix>``.
        warn: Told one line per damaged run (left out of the report, which lists it
            among the missing) and per log that differs from its recorded SHA-256.

    Returns:
        The loaded data, with the list of planned runs that are not complete.

    Raises:
        NoResultsError: The folder does not exist or holds no run record.
        ReportError: Run records exist, but none is complete.
    """
    results = Path(results)
    if not results.is_dir():
        raise NoResultsError(f"{results}: no such results folder")
    tables = _tables(results)
    runs = tables["runs"]
    if warn is not None:
        for line in record_warnings(runs):
            warn(line)
    matrix_path = results / MATRIX_FILE
    matrix: dict[str, Any] | None = None
    entries: dict[str, Any] = {}
    if matrix_path.is_file():
        matrix = json.loads(matrix_path.read_text(encoding="utf-8")).get("matrix")
    if matrix is not None:
        problems, labels, seeds, entries = _planned(matrix)
        missing = _missing(runs, problems, labels, seeds)
        n_planned = len(labels) * sum(len(v) for v in seeds.values())
    else:
        seeds = {}
        n_planned = len(runs)
        problems = sorted(runs["problem"].dropna().unique())
        labels = sorted(runs["strategy"].dropna().unique())
        bad = runs[runs["status"] != "complete"]
        missing = pd.DataFrame(
            {
                "problem": bad["problem"],
                "strategy": bad["strategy"],
                "seed": bad["seed"],
                "state": np.where(
                    bad["status"].isin(["failed", "damaged"]), bad["status"], "incomplete"
                ),
                "error": bad["error"].fillna(""),
            }
        )
    done = runs[runs["status"] == "complete"]
    if done.empty:
        raise ReportError(
            f"{results}: none of {len(runs)} run folders holds a complete run yet "
            "(run.json with status complete); nothing to report"
        )
    strategies = sorted(set(labels) | set(runs["strategy"].dropna()))
    problems = [p for p in problems if p in set(done["problem"])] + sorted(
        set(done["problem"]) - set(problems)
    )
    info: dict[str, ProblemInfo] = {}
    for name in problems:
        rows = done[done["problem"] == name]
        first = rows.iloc[0]
        entry = entries.get(name)
        registered = first.get("problem_name") if "problem_name" in rows.columns else None
        info[name] = ProblemInfo(
            name=name,
            registered=str(registered) if isinstance(registered, str) else name,
            module=_text_or_none(first.get("problem_module")),
            metric=str(first["metric"]),
            direction=str(first["direction"]),
            max_epochs=int(first["max_epochs"]),
            mode=str(first["mode"] or (matrix or {}).get("mode") or "live"),
            params=dict(entry.params) if entry is not None else {},
            table=_one_table(rows),
            concurrency=_concurrency(rows),
            backend=_one_backend(rows, _one_table(rows)),
            seeds=tuple(
                seeds[name]
                if name in seeds
                else sorted({int(x) for x in runs.loc[runs["problem"] == name, "seed"].dropna()})
            ),
            budget=_one_budget(rows),
            data=_shared_data(rows),
            objectives=_one_objectives(rows),
        )
    for col in ("trial", "seed"):
        for frame in (tables["trials"], tables["epochs"]):
            if col in frame.columns and len(frame):
                frame[col] = frame[col].astype(int)
    return ReportData(
        results=results,
        matrix_name=results.name,
        matrix=matrix,
        runs=runs,
        trials=tables["trials"],
        epochs=tables["epochs"],
        strategies=strategies,
        problems=problems,
        info=info,
        missing=missing.reset_index(drop=True),
        n_planned=n_planned,
    )


def first_run_record(results: Path, problem: str) -> RunRecord | FailedRun | None:
    """The record of a problem's first run folder (in sorted order) that holds one.

    Args:
        results: ``results/<matrix>``.
        problem: The problem's label (its folder name).

    Returns:
        That run's record, complete or failed; ``None`` when no run of the problem has one.

    Raises:
        ValueError: Its ``run.json`` is not a run record.
    """
    for folder in run_folders(results, with_file=RUN_FILE):
        if run_key(folder)[0] == problem:
            return read_run_record(folder)
    return None
