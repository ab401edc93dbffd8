"""Collect a results folder into Parquet tables (readable with pandas or DuckDB).

``tunebench collect results/<matrix>`` writes ``results/<matrix>/tables/``:

``runs.parquet``: one row per run folder.
    matrix, problem (the entry's label: ``name`` or ``name@mode``), problem_name,
    problem_module (the problem file that defines it, or null for a registered problem),
    mode (live or replay), concurrency, strategy (the label), strategy_name, seed, status, metric,
    direction, max_epochs, budget_full_evaluations, budget_seconds, best_trial,
    best_value, best_epochs, test_value, score_value and score_test_value (the run's one
    score: its incumbent's values at max_epochs), retrain_test_mean, retrain_test_std,
    retrain_repeats, budget_used, n_trials, n_complete, n_stopped, n_failed,
    end_reason, epochs, train_seconds, setup_seconds, strategy_seconds, flops,
    wall_seconds, test_eval_seconds, retrain_seconds, retrain_test_values (JSON list),
    backend, threads, data_variant, data_settings (JSON object: the data's checksum,
    variant and subsample and the search space's fingerprint, ``space``, as the run's
    provenance records them; keys it does not record are left out), table (replay: the
    learning-curve table served, else null), git_commit, error (failed: what went wrong;
    damaged: the one line naming the file and line), integrity (complete runs: ``ok``
    when the log's SHA-256 matches its record, ``mismatch`` when it does not, ``no hash``
    for records written before it was recorded), run_dir. A run whose records cannot be
    read (status ``damaged``) keeps only its key, and none of its trials or epochs.
    Multi-objective results (an entry with ``objectives``) add: objectives (JSON list, in
    the entry's order), hypervolume and hypervolume_regret (of the run's non-dominated
    set, in the problem's fixed frame; regret 0 at the table's true front), front_size
    (its non-dominated trials), pareto_trials (JSON list of their ids) and
    hypervolume_frame (JSON: the frame the run's provenance records, see
    :class:`tunebench.objectives.HypervolumeReference`).
``trials.parquet``: one row per trial.
    matrix, problem, strategy, seed, trial, config (JSON text), hp_<name> for
    every hyperparameter (null when inactive), target_epochs, resume_from,
    start_epoch, epochs, status, reason, last_value, test_value, full_value and
    full_test_value (replay and surrogate trials that ended short: the values at
    max_epochs, looked up at no charge; else null).
    Multi-objective results add ``obj_<name>`` and ``score_obj_<name>`` per objective:
    a trial's vector as measured (told to the strategy) and its config's table point (what
    the run is scored on); null for a trial that did not reach max_epochs.
``epochs.parquet``: one row per trained epoch (the learning curves).
    matrix, problem, strategy, seed, trial, epoch, value, loss, cost_epochs,
    cost_seconds, cost_flops, budget_used (cumulative, full evaluations), t.

Only ``run.json`` and ``trials.jsonl`` are read; nothing is trained.

A single-objective results folder gets none of the multi-objective columns (its tables
are the same as before they existed); in a folder that mixes the two they are null on
the single-objective rows.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from tunebench.records.events import Epoch, Event, TrialEnd, TrialStart
from tunebench.records.layout import MATRIX_FILE, run_folders, run_key
from tunebench.records.run_record import FailedRun, RunRecord, read_run_record
from tunebench.records.storage import (
    RUN_FILE,
    TRIALS_FILE,
    DamagedRecordError,
    read_events,
    read_json,
    sha256_file,
)

__all__ = ["DATA_SETTING_KEYS", "TABLES", "collect", "record_warnings", "write_tables"]

TABLES = ("runs", "trials", "epochs")
#: The settings a run's provenance records that decide what it trained or replayed: the
#: data's checksum, variant and subsample, and the search space's fingerprint (``space``).
#: Two entries that differ in one of them did not run the same experiment.
DATA_SETTING_KEYS = ("checksum", "variant", "subsample", "space")


_RESULT_COLUMNS = (
    "best_trial", "best_value", "best_epochs", "test_value", "retrain_test_mean",
    "retrain_test_std", "budget_used", "n_trials", "n_complete", "n_stopped", "n_failed",
    "end_reason",
)  # fmt: skip
_LEDGER_COLUMNS = ("epochs", "train_seconds", "setup_seconds", "strategy_seconds", "flops")
_TIMING_COLUMNS = ("wall_seconds", "test_eval_seconds", "retrain_seconds")


# Provenance is free-form: a column takes a fact only when it has the column's type.
def _part(prov: dict[str, Any], key: str) -> dict[str, Any]:
    value = prov.get(key)
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _run_row(record: RunRecord | FailedRun | None, run_dir: Path, matrix: str) -> dict[str, Any]:
    """One row of ``runs.parquet``; ``None``: a run in flight or killed (its folder names it)."""
    row: dict[str, Any] = {"matrix": matrix}
    if record is None:
        problem, strategy, seed = run_key(run_dir)
        row.update(
            problem=problem,
            problem_name=problem,
            problem_module=None,
            mode=None,
            concurrency=1,
            strategy=strategy,
            strategy_name=None,
            seed=seed,
            status="incomplete",
        )
        spec = None
    else:
        spec = record.spec
        row.update(
            problem=spec.problem_label or spec.problem,
            problem_name=spec.problem,
            problem_module=spec.problem_module,
            mode=spec.mode,
            concurrency=spec.concurrency,
            strategy=spec.strategy_label,
            strategy_name=spec.strategy,
            seed=spec.seed,
            status=record.status,
        )
    done = record if isinstance(record, RunRecord) else None
    row.update(
        metric=None if done is None else done.metric.name,
        direction=None if done is None else done.metric.direction,
        max_epochs=None if spec is None else spec.max_epochs,
        budget_full_evaluations=None if spec is None else spec.full_evaluations,
        budget_seconds=None if spec is None else spec.seconds,
    )
    for name in _RESULT_COLUMNS[:6]:
        row[name] = None if done is None else getattr(done.result, name)
    for name, own in (("score_value", "best_value"), ("score_test_value", "test_value")):
        score = None if done is None else getattr(done.result, name)
        row[name] = row[own] if score is None else score
    row["retrain_repeats"] = 0 if spec is None else spec.retrain_repeats
    for name in _RESULT_COLUMNS[6:]:
        row[name] = None if done is None else getattr(done.result, name)
    for name in _LEDGER_COLUMNS:
        row[name] = None if done is None else getattr(done.ledger, name)
    for name in _TIMING_COLUMNS:
        row[name] = None if done is None else getattr(done.timings, name)
    prov = {} if done is None else done.provenance
    data = _part(prov, "data")
    row.update(
        retrain_test_values=json.dumps([] if done is None else done.result.retrain_test_values),
        backend=_text(prov.get("backend")),
        threads=_count(prov.get("threads")),
        data_variant=_text(data.get("variant")),
        data_settings=json.dumps(
            {k: data[k] for k in DATA_SETTING_KEYS if k in data}
            | ({"space": prov["space_fingerprint"]} if prov.get("space_fingerprint") else {}),
            sort_keys=True,
            default=str,
        ),
        # the table actually served (provenance), else the one the spec asked for
        table=_text(data.get("table")) or (None if spec is None else spec.table),
        git_commit=_text(_part(prov, "git").get("commit")),
        error=record.error if isinstance(record, FailedRun) else None,
        run_dir=str(run_dir),
    )
    if done is not None and done.result.objectives is not None:
        row.update(_front_columns(done))
    return row


def _front_columns(done: RunRecord) -> dict[str, Any]:
    """A multi-objective run's columns: its objectives, front, hypervolume and frame."""
    result = done.result
    frame = done.provenance.get("hypervolume")
    return {
        "objectives": json.dumps(result.objectives),
        "hypervolume": result.hypervolume,
        "hypervolume_regret": result.hypervolume_regret,
        "front_size": len(result.pareto_trials or []),
        "pareto_trials": json.dumps(result.pareto_trials or []),
        "hypervolume_frame": (
            json.dumps(frame, sort_keys=True) if isinstance(frame, dict) else None
        ),
    }


def _objective_columns(
    names: list[str] | None, measured: list[float] | None, scored: list[float] | None
) -> dict[str, float | None]:
    """``obj_<name>`` and ``score_obj_<name>`` of a trial (null where it has no vector)."""
    out: dict[str, float | None] = {}
    for prefix, vector in (("obj_", measured), ("score_obj_", scored)):
        for i, name in enumerate(names or []):
            out[prefix + name] = None if vector is None or i >= len(vector) else vector[i]
    return out


def _damaged_row(run_dir: Path, matrix: str, problem: str) -> dict[str, Any]:
    """The row of a run whose records cannot be read: its folder's key and the reason."""
    row = _run_row(None, run_dir, matrix)
    row.update(status="damaged", error=problem, integrity=None)
    return row


def _matrix_name(results: Path) -> str | None:
    """The name ``matrix.json`` gives (a renamed folder keeps its runs), if it is readable."""
    try:
        stored = read_json(results / MATRIX_FILE)
        return str(stored["matrix"]["name"])
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _read_run(
    run_dir: Path, matrix: str | None
) -> tuple[RunRecord | FailedRun | None, list[Event], str | None]:
    """A run's record and events, or the one line that says why they cannot be read."""
    try:
        record = read_run_record(run_dir)
    except DamagedRecordError as exc:
        return None, [], str(exc)
    if record is not None:
        spec = record.spec
        own = (spec.problem_label or spec.problem, spec.strategy_label, spec.seed)
        if own != run_key(run_dir) or (matrix is not None and spec.matrix != matrix):
            where = f"{spec.matrix}/{spec.rel_dir}"
            return None, [], f"{run_dir / RUN_FILE}: the record of another run ({where})"
    if not (run_dir / TRIALS_FILE).is_file():
        if isinstance(record, RunRecord) and record.trials_sha256 is not None:
            return None, [], f"{run_dir / TRIALS_FILE}: missing; its run.json recorded its SHA-256"
        return record, [], None
    try:
        return record, read_events(run_dir, complete=isinstance(record, RunRecord)), None
    except DamagedRecordError as exc:
        return None, [], str(exc)
    except OSError as exc:
        return None, [], f"{run_dir / TRIALS_FILE}: unreadable ({exc.strerror or exc})"


def _integrity(record: RunRecord | FailedRun | None, run_dir: Path) -> str | None:
    if not isinstance(record, RunRecord):
        return None
    if record.trials_sha256 is None or not (run_dir / TRIALS_FILE).is_file():
        return "no hash"
    return "ok" if sha256_file(run_dir / TRIALS_FILE) == record.trials_sha256 else "mismatch"


def record_warnings(runs: pd.DataFrame) -> list[str]:
    """One line per damaged run and per log that differs from its recorded SHA-256."""
    lines = []
    if "status" in runs.columns:
        for row in runs[runs["status"] == "damaged"].itertuples(index=False):
            lines.append(f"skipped damaged run: {row.error}")
    if "integrity" in runs.columns:
        for row in runs[runs["integrity"] == "mismatch"].itertuples(index=False):
            lines.append(
                f"{Path(str(row.run_dir)) / TRIALS_FILE}: SHA-256 differs from the one its "
                "run.json recorded (changed after the run completed); "
                "tunebench check --integrity lists every such run"
            )
    return lines


def collect(results: Path) -> dict[str, pd.DataFrame]:
    """Read every run of a matrix's results folder into the three tables.

    Args:
        results: ``results/<matrix>`` (holding ``<problem>/<strategy>/seed=<k>/``).

    Returns:
        ``{"runs": ..., "trials": ..., "epochs": ...}``.

    Raises:
        FileNotFoundError: No run folder under ``results``.
    """
    matrix = results.name
    runs: list[dict[str, Any]] = []
    trials: list[dict[str, Any]] = []
    epochs: list[dict[str, Any]] = []
    # Runs with a trial log first, then failed runs that never wrote one (as before).
    logged = run_folders(results, with_file=TRIALS_FILE)
    run_dirs = logged + [d for d in run_folders(results, with_file=RUN_FILE) if d not in logged]
    if not run_dirs:
        raise FileNotFoundError(
            f"no runs under {results} (expected <problem>/<strategy>/seed=<k>/)"
        )
    name = _matrix_name(results)
    for run_dir in run_dirs:
        record, events, problem = _read_run(run_dir, name)
        if problem is not None:
            runs.append(_damaged_row(run_dir, matrix, problem))
            continue
        # record None: in flight or killed; its trial log is still worth a row
        row = _run_row(record, run_dir, matrix)
        row["integrity"] = _integrity(record, run_dir)
        runs.append(row)
        key = {k: row[k] for k in ("matrix", "problem", "strategy", "seed")}
        # a multi-objective run's trials get a column per objective; others none
        names = record.spec.objectives if record is not None else None
        objective_names = list(names) if names else None
        by_trial: dict[int, dict[str, Any]] = {}
        for event in events:
            if isinstance(event, TrialStart):
                config = event.config
                by_trial[event.trial] = {
                    **key,
                    "trial": event.trial,
                    "config": json.dumps(config, sort_keys=True),
                    **{f"hp_{name}": value for name, value in config.items()},
                    "target_epochs": event.target_epochs,
                    "resume_from": event.resume_from,
                    "start_epoch": event.start_epoch,
                    "epochs": event.start_epoch,
                    "status": "running",
                    "reason": "",
                    "last_value": None,
                    "test_value": None,
                    "full_value": None,
                    "full_test_value": None,
                    **_objective_columns(objective_names, None, None),
                }
            elif isinstance(event, Epoch):
                epochs.append(
                    {
                        **key,
                        "trial": event.trial,
                        "epoch": event.epoch,
                        "value": event.value,
                        "loss": event.loss,
                        "cost_epochs": event.cost.epochs,
                        "cost_seconds": event.cost.seconds,
                        "cost_flops": event.cost.flops,
                        "budget_used": event.budget_used,
                        "t": event.t,
                    }
                )
                if event.value is not None and event.trial in by_trial:
                    by_trial[event.trial]["last_value"] = event.value
            elif isinstance(event, TrialEnd) and event.trial in by_trial:
                by_trial[event.trial].update(
                    status=event.status,
                    reason=event.reason,
                    epochs=event.epochs,
                    test_value=event.test_value,
                    full_value=event.full_value,
                    full_test_value=event.full_test_value,
                    **_objective_columns(objective_names, event.objectives, event.score_objectives),
                )
        trials.extend(by_trial.values())
    return {
        "runs": pd.DataFrame(runs),
        "trials": pd.DataFrame(trials),
        "epochs": pd.DataFrame(epochs),
    }


def _parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each column of values of mixed types as JSON text.

    Parquet stores a column of one type; a hyperparameter recorded as a number in one run
    and as text in another (a damaged log that still parses) would not store at all.
    """
    out = frame
    for col in frame.columns:
        if frame[col].dtype != object:
            continue
        kinds = {type(v) for v in frame[col] if v is not None and not pd.isna(v)}
        if len(kinds) > 1 and not kinds <= {int, float}:
            if out is frame:
                out = frame.copy()
            out[col] = frame[col].map(lambda v: None if v is None else json.dumps(v))
    return out


def write_tables(
    results: Path, out: Path | None = None, warn: Callable[[str], None] | None = None
) -> dict[str, Path]:
    """Collect ``results`` and write ``<name>.parquet`` for each table.

    Args:
        results: ``results/<matrix>``.
        out: Output folder (default ``results/<matrix>/tables``).
        warn: Told one line per damaged run and per log changed since its run completed.

    Returns:
        Table name -> written path.
    """
    tables = collect(results)
    if warn is not None:
        for line in record_warnings(tables["runs"]):
            warn(line)
    out = out or results / "tables"
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, frame in tables.items():
        path = out / f"{name}.parquet"
        # a temporary name of its own: another process may collect the same folder
        tmp = out / f".{name}.{os.getpid()}.{secrets.token_hex(4)}.parquet.tmp"
        try:
            _parquet_safe(frame).to_parquet(tmp, index=False)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        paths[name] = path
    return paths
