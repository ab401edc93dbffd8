"""Collect a results folder into Parquet tables (readable with pandas or DuckDB).

``tunebench collect results/<matrix>`` writes ``results/<matrix>/tables/``:

``runs.parquet``: one row per run folder.
    matrix, problem (the entry's label: ``name`` or ``name@mode``), problem_name,
    mode (live or replay), strategy (the label), strategy_name, seed, status, metric,
    direction, max_epochs, budget_full_evaluations, budget_seconds, best_trial,
    best_value, best_epochs, test_value, retrain_test_mean, retrain_test_std,
    retrain_repeats, budget_used, n_trials, n_complete, n_stopped, n_failed,
    end_reason, epochs, train_seconds, setup_seconds, strategy_seconds, flops,
    wall_seconds, test_eval_seconds, retrain_seconds, retrain_test_values (JSON list),
    backend, threads, data_variant, table (replay: the learning-curve table served, else
    null), git_commit, error, run_dir.
``trials.parquet``: one row per trial.
    matrix, problem, strategy, seed, trial, config (JSON text), hp_<name> for
    every hyperparameter (null when inactive), target_epochs, resume_from,
    start_epoch, epochs, status, reason, last_value, test_value.
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

from tunebench.events import Epoch, TrialEnd, TrialStart
from tunebench.records import RUN_FILE, TRIALS_FILE, read_events, read_json
from tunebench.results_dir import run_folders, run_key

__all__ = ["TABLES", "collect", "write_tables"]

TABLES = ("runs", "trials", "epochs")


def _run_row(record: dict[str, Any], run_dir: Path, matrix: str) -> dict[str, Any]:
    spec = record.get("spec", {})
    result = record.get("result", {})
    ledger = record.get("ledger", {})
    prov = record.get("provenance", {})
    return {
        "matrix": matrix,
        "problem": spec.get("problem_label") or spec.get("problem"),
        "problem_name": spec.get("problem"),
        "mode": spec.get("mode"),
        "concurrency": spec.get("concurrency", 1),
        "strategy": spec.get("strategy_label"),
        "strategy_name": spec.get("strategy"),
        "seed": spec.get("seed"),
        "status": record.get("status"),
        "metric": record.get("metric", {}).get("name"),
        "direction": record.get("metric", {}).get("direction"),
        "max_epochs": spec.get("max_epochs"),
        "budget_full_evaluations": spec.get("full_evaluations"),
        "budget_seconds": spec.get("seconds"),
        "best_trial": result.get("best_trial"),
        "best_value": result.get("best_value"),
        "best_epochs": result.get("best_epochs"),
        "test_value": result.get("test_value"),
        "retrain_test_mean": result.get("retrain_test_mean"),
        "retrain_test_std": result.get("retrain_test_std"),
        "retrain_repeats": spec.get("retrain_repeats", 0),
        "budget_used": result.get("budget_used"),
        "n_trials": result.get("n_trials"),
        "n_complete": result.get("n_complete"),
        "n_stopped": result.get("n_stopped"),
        "n_failed": result.get("n_failed"),
        "end_reason": result.get("end_reason"),
        "epochs": ledger.get("epochs"),
        "train_seconds": ledger.get("train_seconds"),
        "setup_seconds": ledger.get("setup_seconds"),
        "strategy_seconds": ledger.get("strategy_seconds"),
        "flops": ledger.get("flops"),
        "wall_seconds": record.get("timings", {}).get("wall_seconds"),
        "test_eval_seconds": record.get("timings", {}).get("test_eval_seconds"),
        "retrain_seconds": record.get("timings", {}).get("retrain_seconds"),
        "retrain_test_values": json.dumps(result.get("retrain_test_values") or []),
        "backend": prov.get("backend"),
        "threads": prov.get("threads"),
        "data_variant": (prov.get("data") or {}).get("variant"),
        # the table actually served (provenance), else the one the spec asked for
        "table": (prov.get("data") or {}).get("table") or spec.get("table"),
        "git_commit": (prov.get("git") or {}).get("commit"),
        "error": record.get("error"),
        "run_dir": str(run_dir),
    }


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
        record = read_json(run_dir / RUN_FILE) if (run_dir / RUN_FILE).is_file() else {}
        if not record:  # in flight or killed: its trial log is still worth a row
            problem, strategy, seed = run_key(run_dir)
            record = {
                "status": "incomplete",
                "spec": {"problem": problem, "strategy_label": strategy, "seed": seed},
            }
        row = _run_row(record, run_dir, matrix)
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
