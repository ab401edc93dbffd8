"""The summary table of a results folder: one row per problem x strategy.

Reads only the run records, so it regenerates from stored results without
training anything.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tunebench.reports.inputs.collect import collect

__all__ = ["load_runs", "summarize", "write_summary"]


def load_runs(results: Path) -> pd.DataFrame:
    """One row per run folder under ``results`` (see :mod:`tunebench.reports.inputs.collect`).

    Raises:
        FileNotFoundError: ``results`` holds no run records.
    """
    return collect(results)["runs"]


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and spread over seeds of each problem x strategy's complete runs."""
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


def write_summary(results: Path, out: Path) -> pd.DataFrame:
    """Write ``summary.csv`` and ``summary.md`` for a results folder into ``out``."""
    runs = load_runs(results)
    table = summarize(runs)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "summary.csv", index=False)
    n_failed = int((runs["status"] != "complete").sum())
    text = (
        f"# Summary of {results}\n\n"
        f"{len(runs)} runs, {n_failed} not complete. Values are the validation metric of each "
        "run's incumbent (`best_val`) and its test-split score (`test`), "
        "mean and std over seeds.\n\n" + _markdown(table)
    )
    (out / "summary.md").write_text(text, encoding="utf-8")
    return table
