from __future__ import annotations

from pathlib import Path

import pytest

from tunebench.records.run_record import (
    FailedRun,
    LedgerTotals,
    MetricInfo,
    RunRecord,
    RunResult,
    Timings,
    write_run_record,
)
from tunebench.reports.summary import load_runs, write_summary
from tunebench.runspec import RunSpec


def fake_run(root: Path, strategy: str, seed: int, best: float | None, status: str) -> None:
    spec = RunSpec(matrix="m", problem="stocks-mlp", max_epochs=2, strategy=strategy,
                   strategy_label=strategy, seed=seed, full_evaluations=2)  # fmt: skip
    run_dir = root / spec.rel_dir
    if status == "failed":
        write_run_record(run_dir, FailedRun(spec=spec, error="boom"))
        return
    result = RunResult(best_trial=0, best_config={}, best_value=best, best_epochs=2,
                       test_value=best, budget_used=2.0, n_trials=2, n_complete=2, n_stopped=0,
                       n_failed=0, end_reason="budget spent")  # fmt: skip
    ledger = LedgerTotals(epochs=4, full_evaluations=2.0, train_seconds=1.0, setup_seconds=0.1,
                          strategy_seconds=0.01, flops=1.0)  # fmt: skip
    timings = Timings(wall_seconds=1.2, test_eval_seconds=0.05, retrain_seconds=0.0)
    write_run_record(
        run_dir,
        RunRecord(
            spec=spec,
            result=result,
            metric=MetricInfo(name="accuracy", direction="maximize"),
            ledger=ledger,
            timings=timings,
            strategy_params={},
            provenance={},
        ),
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


def fake_front_run(root: Path, strategy: str, seed: int, regret: float, front: int) -> None:
    spec = RunSpec(matrix="m", problem="stocks-mlp", max_epochs=2, strategy=strategy,
                   strategy_label=strategy, seed=seed, full_evaluations=2, mode="replay",
                   objectives=("metric", "train_seconds"))  # fmt: skip
    result = RunResult(best_trial=0, best_config={}, best_value=0.5, best_epochs=2,
                       test_value=0.5, budget_used=2.0, n_trials=4, n_complete=4, n_stopped=0,
                       n_failed=0, end_reason="budget spent", objectives=list(spec.objectives),
                       pareto_trials=list(range(front)),
                       pareto_front=[[0.5, 1.0 + i] for i in range(front)],
                       hypervolume=1.0 - regret, hypervolume_regret=regret)  # fmt: skip
    ledger = LedgerTotals(epochs=4, full_evaluations=2.0, train_seconds=1.0, setup_seconds=0.1,
                          strategy_seconds=0.01, flops=1.0)  # fmt: skip
    metric = MetricInfo(name="accuracy", direction="maximize")
    timings = Timings(wall_seconds=1.2, test_eval_seconds=0.05, retrain_seconds=0.0)
    write_run_record(
        root / spec.rel_dir,
        RunRecord(spec=spec, result=result, metric=metric, ledger=ledger, timings=timings,
                  strategy_params={}, provenance={}),
    )  # fmt: skip


def test_multi_objective_summary_shows_hypervolume_regret_and_front_size(tmp_path: Path) -> None:
    results = tmp_path / "results" / "m"
    for seed, (regret, front) in enumerate([(0.1, 2), (0.3, 4), (0.2, 3)]):
        fake_front_run(results, "nsga2", seed, regret, front)
    table = write_summary(results, tmp_path / "out")
    row = table.iloc[0]
    assert row["runs"] == 3 and row["objectives"] == "metric, train_seconds"
    assert row["hv_regret_median"] == pytest.approx(0.2)
    assert (row["hv_regret_q25"], row["hv_regret_q75"]) == pytest.approx((0.15, 0.25))
    assert row["front_size_median"] == 3 and row["hypervolume_median"] == pytest.approx(0.8)
    assert "best_val_mean" not in table.columns
    md = (tmp_path / "out" / "summary.md").read_text()
    assert "hypervolume regret" in md and "| stocks-mlp | nsga2 | 3 | metric, train_seconds |" in md
