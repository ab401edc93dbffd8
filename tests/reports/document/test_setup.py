"""The surrogate-fidelity section reads each surrogate problem's first run record."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tunebench.records.run_record import (
    FailedRun,
    LedgerTotals,
    MetricInfo,
    RunRecord,
    RunResult,
    Timings,
    write_run_record,
)
from tunebench.reports.document.model import Table
from tunebench.reports.document.setup import _surrogate_section
from tunebench.runspec import RunSpec

FIDELITY = {
    "folds": 5,
    "configs": 120,
    "out_of_range": 0.0123,
    "noise": {
        "recorded_median_abs_diff": 0.01,
        "drawn_median_abs_diff": 0.012,
        "ratio": 1.2,
        "recorded_mean_abs_diff": 0.015,
        "drawn_mean_abs_diff": 0.017,
    },
    "epochs": [1, 3],
    "value": {"1": {"spearman": 0.5, "r2": 0.4}, "3": {"spearman": 0.75, "r2": 0.625}},
    "seconds": {"1": {"spearman": 0.9, "r2": 0.8}, "3": {"spearman": 0.95, "r2": 0.85}},
}
SERVED = {
    "surrogate": "tiny.xgb.json.gz",
    "table": "tiny.parquet",
    "table_sha256": "abcdef0123456789ff",
    "versions": {"xgboost": "2.1.0"},
    "fidelity": FIDELITY,
}


def _spec(problem: str, strategy: str, seed: int) -> RunSpec:
    return RunSpec(
        matrix="m",
        problem=problem.split("@")[0],
        problem_label=problem,
        max_epochs=3,
        strategy=strategy,
        strategy_label=strategy,
        seed=seed,
        mode=problem.split("@")[1],
    )


def _complete(problem: str, strategy: str, seed: int, data: dict[str, Any]) -> RunRecord:
    return RunRecord(
        spec=_spec(problem, strategy, seed),
        result=RunResult(
            best_trial=0, best_config={}, best_value=0.5, best_epochs=3, test_value=0.5,
            budget_used=1.0, n_trials=1, n_complete=1, n_stopped=0, n_failed=0,
            end_reason="budget",
        ),
        metric=MetricInfo(name="accuracy", direction="maximize"),
        ledger=LedgerTotals(
            epochs=3, full_evaluations=1.0, train_seconds=0.0, setup_seconds=0.0,
            strategy_seconds=0.0, flops=0.0,
        ),
        timings=Timings(wall_seconds=0.0, test_eval_seconds=0.0, retrain_seconds=0.0),
        strategy_params={},
        provenance={"data": data},
    )  # fmt: skip


def _write(results: Path, record: RunRecord | FailedRun) -> None:
    folder = results / record.spec.rel_dir
    folder.mkdir(parents=True)
    write_run_record(folder, record)


def _analysis(results: Path, problems: list[str]) -> Any:
    infos = {
        n: SimpleNamespace(info=SimpleNamespace(name=n, mode=n.split("@")[1])) for n in problems
    }
    return SimpleNamespace(problems=infos, data=SimpleNamespace(results=results))


def test_each_surrogate_problem_reports_its_first_runs_fit(tmp_path: Path) -> None:
    _write(tmp_path, _complete("a@surrogate", "rs", 1, SERVED))
    # sorted first: strategy "b" seed 0 before "rs"; its record names another surrogate
    _write(tmp_path, _complete("a@surrogate", "b", 0, {**SERVED, "surrogate": "first.json.gz"}))
    _write(tmp_path, _complete("b@live", "rs", 0, SERVED))
    sec = _surrogate_section(_analysis(tmp_path, ["a@surrogate", "b@live", "c@surrogate"]))
    assert sec is not None
    text, table = sec.blocks
    assert text.startswith("a@surrogate: surrogate first.json.gz, fitted on tiny.parquet")
    assert "(sha256 abcdef012345) with XGBoost 2.1.0" in text
    assert "(5 folds by config, 120 configs)" in text and "range: 1.23%" in text
    assert isinstance(table, Table)
    assert table.rows == [["1", "0.5", "0.4", "0.9", "0.8"], ["3", "0.75", "0.625", "0.95", "0.85"]]


def test_no_section_without_a_fitted_surrogate_record(tmp_path: Path) -> None:
    # a failed first run records no provenance: that problem is left out, as before
    _write(tmp_path, FailedRun(spec=_spec("a@surrogate", "a", 0), error="boom"))
    _write(tmp_path, _complete("a@surrogate", "b", 0, SERVED))
    _write(tmp_path, _complete("c@surrogate", "b", 0, {}))
    assert _surrogate_section(_analysis(tmp_path, ["a@surrogate", "c@surrogate"])) is None
