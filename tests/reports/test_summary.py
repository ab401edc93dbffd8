from __future__ import annotations

from pathlib import Path

import pytest

from tunebench.records import write_json_atomic
from tunebench.reports.summary import load_runs, write_summary


def fake_run(root: Path, strategy: str, seed: int, best: float | None, status: str) -> None:
    write_json_atomic(
        root / "stocks-mlp" / strategy / f"seed={seed}" / "run.json",
        {
            "status": status,
            "spec": {"problem": "stocks-mlp", "strategy_label": strategy, "seed": seed},
            "result": {"best_value": best, "test_value": best, "budget_used": 2.0, "n_trials": 2},
            "metric": {"name": "accuracy"},
        },
    )


def test_summary_over_seeds_counts_failures(tmp_path: Path) -> None:
    results = tmp_path / "results" / "m"
    fake_run(results, "random", 0, 0.50, "complete")
    fake_run(results, "random", 1, 0.60, "complete")
    fake_run(results, "random", 2, None, "failed")
    table = write_summary(results, tmp_path / "out")
    row = table.iloc[0]
    assert row["runs"] == 2 and row["failed_runs"] == 1
    assert row["best_val_mean"] == pytest.approx(0.55)
    md = (tmp_path / "out" / "summary.md").read_text()
    assert "3 runs, 1 not complete" in md and "| stocks-mlp | random | 2 |" in md
    assert (tmp_path / "out" / "summary.csv").is_file()


def test_empty_results_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no runs under"):
        load_runs(tmp_path)
