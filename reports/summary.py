"""The summary table of a results folder: one row per problem x strategy.

Reads only the run records, so it regenerates from stored results without
training anything. A multi-objective matrix (issue 39) gets its own columns: the
median hypervolume regret over seeds with its interquartile range, the median
hypervolume and front size, instead of the incumbent's metric.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from tunebench.reports.inputs.collect import collect, record_warnings

__all__ = ["load_runs", "multi_objective", "summarize", "summarize_fronts", "write_summary"]


def load_runs(results: Path) -> pd.DataFrame:
    """One row per run folder under ``results`` (see :mod:`tunebench.reports.inputs.collect`).

    Raises:
        FileNotFoundError: ``results`` holds no run records.
    """
    return collect(results)["runs"]


def multi_objective(runs: pd.DataFrame) -> bool:
    """Whether the runs are multi-objective (a complete one has a hypervolume regret)."""
    return "hypervolume_regret" in runs.columns and bool(runs["hypervolume_regret"].notna().any())


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and spread over seeds of each problem x strategy's complete runs.

    Multi-objective runs: :func:`summarize_fronts`.
    """
    if multi_objective(runs):
        return summarize_fronts(runs)
    done = runs[runs["status"] == "complete"]
    table = done.groupby(["problem", "strategy"], sort=True).agg(
        runs=("seed", "count"),
        metric=("metric", "first"),
        best_val_mean=("score_value", "mean"),
        best_val_std=("score_value", "std"),
        test_mean=("score_test_value", "mean"),
        test_std=("score_test_value", "std"),
        budget_used_mean=("budget_used", "mean"),
        trials_mean=("n_trials", "mean"),
        retrain_test_mean=("retrain_test_mean", "mean"),
        train_seconds_mean=("train_seconds", "mean"),
    )
    return _with_failed(table, runs)


def summarize_fronts(runs: pd.DataFrame) -> pd.DataFrame:
    """Each problem x strategy's multi-objective results over its complete runs' seeds.

    Hypervolume regret (the frame's front minus the run's, in the frame its provenance
    records: 0 at the true front) as median and quartiles, since a few seeds' regrets
    are skewed; the median hypervolume and front size; budget, trials, failures.
    """
    done = runs[runs["status"] == "complete"]
    regret = done.groupby(["problem", "strategy"], sort=True)["hypervolume_regret"]
    table = done.groupby(["problem", "strategy"], sort=True).agg(
        runs=("seed", "count"),
        objectives=("objectives", "first"),
        hv_regret_median=("hypervolume_regret", "median"),
        hypervolume_median=("hypervolume", "median"),
        front_size_median=("front_size", "median"),
        budget_used_mean=("budget_used", "mean"),
        trials_mean=("n_trials", "mean"),
    )
    table.insert(3, "hv_regret_q25", regret.quantile(0.25))
    table.insert(4, "hv_regret_q75", regret.quantile(0.75))
    table["objectives"] = [", ".join(json.loads(o)) for o in table["objectives"]]
    return _with_failed(table, runs)


def _with_failed(table: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """The summary with each problem x strategy's runs that did not complete."""
    failed = runs[runs["status"] != "complete"].groupby(["problem", "strategy"]).size()
    table["failed_runs"] = failed.reindex(table.index, fill_value=0)
    return table.reset_index()


def _markdown(table: pd.DataFrame) -> str:
    """A GitHub-renderable Markdown table (no extra dependency)."""
    cols = list(table.columns)

    def cell(v: object) -> str:
        if isinstance(v, float):
            return "" if pd.isna(v) else f"{v:.4g}"
        return str(v)

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(False)]
    return "\n".join(lines) + "\n"


def _write_atomic(path: Path, text: str) -> None:
    """Readers (and a second ``tunebench run`` writing the same summary) see a whole file."""
    # a name of this process's own; created as any file is (umask), unlike mkstemp's 0600
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_summary(
    results: Path, out: Path, warn: Callable[[str], None] | None = None
) -> pd.DataFrame:
    """Write ``summary.csv`` and ``summary.md`` for a results folder into ``out``.

    Args:
        results: ``results/<matrix>``.
        out: The folder written.
        warn: Told one line per damaged run skipped and per log changed since its run.
    """
    runs = load_runs(results)
    if warn is not None:
        for line in record_warnings(runs):
            warn(line)
    table = summarize(runs)
    out.mkdir(parents=True, exist_ok=True)
    _write_atomic(out / "summary.csv", table.to_csv(index=False))
    n_failed = int((runs["status"] != "complete").sum())
    n_damaged = int((runs["status"] == "damaged").sum())
    damaged = f" ({n_damaged} of them damaged records, skipped)" if n_damaged else ""
    values = (
        "Values are each run's hypervolume regret in its problem's fixed frame (`hv_regret`: "
        "median and quartiles over seeds; 0 is the table's true front, below 0 beats it), "
        "its hypervolume and its front size, medians over seeds."
        if multi_objective(runs)
        else "Values are the validation metric of each run's incumbent (`best_val`) and its "
        "test-split score (`test`), mean and std over seeds."
    )
    text = (
        f"# Summary of {results}\n\n"
        f"{len(runs)} runs, {n_failed} not complete{damaged}. {values}\n\n" + _markdown(table)
    )
    _write_atomic(out / "summary.md", text)
    return table
