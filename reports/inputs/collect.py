"""Collect a results folder into Parquet tables (readable with pandas or DuckDB).

``tunebench collect results/<matrix>`` writes ``results/<matrix>/tables/``:

``runs.parquet``: one row per run folder.
    matrix, problem (the entry's label: ``name`` or ``name@mode``), problem_name,
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
    learning-curve table served, else null), git_commit, error, run_dir.
``trials.parquet``: one row per trial.
    matrix, problem, strategy, seed, trial, config (JSON text), hp_<name> for
    every hyperparameter (null when inactive), target_epochs, resume_from,
    start_epoch, epochs, status, reason, last_value, test_value, full_value and
    full_test_value (replay and surrogate trials that ended short: the values at
    max_epochs, looked up at no charge; else null).
``epochs.parquet``: one row per trained epoch (the learning curves).
    matrix, problem, strategy, seed, trial, epoch, value, loss, cost_epochs,
    cost_seconds, cost_flops, budget_used (cumulative, full evaluations), t.

Only ``run.json`` and ``trials.jsonl`` are read; nothing is trained.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from tunebench.records.events import Epoch, TrialEnd, TrialStart
from tunebench.records.layout import run_folders, run_key
from tunebench.records.run_record import FailedRun, RunRecord, read_run_record
from tunebench.records.storage import RUN_FILE, TRIALS_FILE, read_events

__all__ = ["DATA_SETTING_KEYS", "TABLES", "collect", "write_tables"]

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


def _run_row(record: RunRecord | FailedRun | None, run_dir: Path, matrix: str) -> dict[str, Any]:
    """One row of ``runs.parquet``; ``None``: a run in flight or killed (its folder names it)."""
    row: dict[str, Any] = {"matrix": matrix}
    if record is None:
        problem, strategy, seed = run_key(run_dir)
        row.update(
            problem=problem,
            problem_name=problem,
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
    data = prov.get("data") or {}
    row.update(
        retrain_test_values=json.dumps([] if done is None else done.result.retrain_test_values),
        backend=prov.get("backend"),
        threads=prov.get("threads"),
        data_variant=data.get("variant"),
        data_settings=json.dumps(
            {k: data[k] for k in DATA_SETTING_KEYS if k in data}
            | ({"space": prov["space_fingerprint"]} if prov.get("space_fingerprint") else {}),
            sort_keys=True,
        ),
        # the table actually served (provenance), else the one the spec asked for
        table=data.get("table") or (None if spec is None else spec.table),
        git_commit=(prov.get("git") or {}).get("commit"),
        error=record.error if isinstance(record, FailedRun) else None,
        run_dir=str(run_dir),
    )
    return row


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
    for run_dir in run_dirs:
        # None: in flight or killed; its trial log is still worth a row
        row = _run_row(read_run_record(run_dir), run_dir, matrix)
        runs.append(row)
        key = {k: row[k] for k in ("matrix", "problem", "strategy", "seed")}
        if not (run_dir / TRIALS_FILE).is_file():
            continue
        by_trial: dict[int, dict[str, Any]] = {}
        for event in read_events(run_dir):
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
                )
        trials.extend(by_trial.values())
    return {
        "runs": pd.DataFrame(runs),
        "trials": pd.DataFrame(trials),
        "epochs": pd.DataFrame(epochs),
    }


def write_tables(results: Path, out: Path | None = None) -> dict[str, Path]:
    """Collect ``results`` and write ``<name>.parquet`` for each table.

    Args:
        results: ``results/<matrix>``.
        out: Output folder (default ``results/<matrix>/tables``).

    Returns:
        Table name -> written path.
    """
    tables = collect(results)
    out = out or results / "tables"
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, frame in tables.items():
        path = out / f"{name}.parquet"
        tmp = path.with_suffix(".parquet.tmp")
        frame.to_parquet(tmp, index=False)
        tmp.replace(path)
        paths[name] = path
    return paths
