"""Executors: inline, worker processes and Dask give the same records; failures stay local."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tunebench.execution.executors as executors_mod
import tunebench.execution.task as task_mod
from tunebench.datasets import available_problems
from tunebench.execution.matrix_runner import DaskExecutor, InlineExecutor, MatrixRunner
from tunebench.execution.progress import LineProgress
from tunebench.matrix.load import load_matrix
from tunebench.records.storage import is_complete, read_json
from tunebench.reports.inputs.collect import collect, write_tables
from tunebench.strategies import RandomSearch, Strategy, available_strategies


def load(path: Path, strategies: dict[str, type[Strategy]] | None = None) -> Any:
    return load_matrix(
        path,
        problems=available_problems(),
        strategies=strategies or available_strategies(),
    )


def logs(run_dir: Path) -> list[dict[str, Any]]:
    events = [json.loads(line) for line in (run_dir / "trials.jsonl").open()]
    for e in events:
        e.pop("t")
        if "cost" in e:
            e["cost"].pop("seconds")
    return events


def run_all(runner: MatrixRunner, executor: Any = None) -> list[str]:
    return [o.status for o in runner.execute(LineProgress(quiet=True), executor)]


def test_dask_local_cluster_gives_the_same_records_as_inline(
    tmp_path: Path, write_matrix: Callable[..., Path]
) -> None:
    matrix = load(write_matrix(seeds="2", budget="full_evaluations = 2", max_epochs=2))
    inline = MatrixRunner(matrix, tmp_path / "inline", workers=1)
    assert run_all(inline) == ["complete", "complete"]
    dask = MatrixRunner(matrix, tmp_path / "dask")
    assert run_all(dask, DaskExecutor(None, local_workers=2)) == ["complete", "complete"]
    for spec in inline.runs:
        a, b = inline.root / spec.rel_dir, dask.root / spec.rel_dir
        assert is_complete(b)
        assert logs(a) == logs(b)
        assert read_json(a / "run.json")["result"] == read_json(b / "run.json")["result"]
    # the client wrote what the Dask workers returned: they ran elsewhere
    assert read_json(dask.root / inline.runs[0].rel_dir / "run.json")["provenance"]["worker"]


class Broken(RandomSearch):
    """Raises on its second ask, like a strategy with a bug."""

    name = "broken"

    def ask(self, budget: Any) -> Any:
        if self._next_trial_id >= 1:
            raise RuntimeError("strategy bug on purpose")
        return super().ask(budget)


def test_a_failing_run_is_recorded_and_the_matrix_goes_on(
    tmp_path: Path, write_matrix: Callable[..., Path]
) -> None:
    registry = {**available_strategies(), "broken": Broken}
    strategies = '[[strategies]]\nname = "broken"\n[[strategies]]\nname = "random"\n'
    matrix = load(write_matrix(seeds="1", strategies=strategies), registry)
    runner = MatrixRunner(matrix, tmp_path, workers=1, strategies=registry)
    assert run_all(runner) == ["failed", "complete"]
    failed = read_json(runner.root / runner.runs[0].rel_dir / "run.json")
    assert failed["status"] == "failed"
    assert failed["error"] == "RuntimeError: strategy bug on purpose"
    assert "Traceback" in failed["traceback"]
    # its trial log up to the failure is kept; a rerun retries only the failed run
    assert (runner.root / runner.runs[0].rel_dir / "trials.jsonl").is_file()
    done = runner.root / runner.runs[1].rel_dir / "run.json"
    before = done.stat().st_mtime_ns
    assert run_all(MatrixRunner(matrix, tmp_path, workers=1, strategies=registry)) == [
        "skipped",
        "failed",
    ]
    assert done.stat().st_mtime_ns == before


def test_final_retrains_score_the_incumbent_with_fresh_seeds(
    tmp_path: Path, write_matrix: Callable[..., Path]
) -> None:
    path = write_matrix(seeds="1")
    path.write_text(path.read_text() + "[final]\nretrain_repeats = 2\n")
    runner = MatrixRunner(load(path), tmp_path, workers=1)
    assert run_all(runner, InlineExecutor()) == ["complete"]
    run_dir = runner.root / runner.runs[0].rel_dir
    result = read_json(run_dir / "run.json")["result"]
    finals = [e for e in logs(run_dir) if e["event"] == "final"]
    assert [e["repeat"] for e in finals] == [0, 1]
    assert all(e["trial"] == result["best_trial"] and e["epochs"] == 2 for e in finals)
    assert finals[0]["seed"] != finals[1]["seed"]
    assert result["retrain_test_values"] == [e["test_value"] for e in finals]
    assert result["retrain_test_mean"] == pytest.approx(sum(result["retrain_test_values"]) / 2)
    # retrains are not charged to the budget
    assert read_json(run_dir / "run.json")["ledger"]["epochs"] <= 4


def test_collect_writes_runs_trials_and_epochs(
    tmp_path: Path, write_matrix: Callable[..., Path]
) -> None:
    runner = MatrixRunner(load(write_matrix(seeds="2")), tmp_path, workers=1)
    run_all(runner)
    paths = write_tables(runner.root)
    tables = {name: __import__("pandas").read_parquet(p) for name, p in paths.items()}
    runs, trials, epochs = tables["runs"], tables["trials"], tables["epochs"]
    assert len(runs) == 2 and set(runs["status"]) == {"complete"}
    assert runs["n_trials"].sum() == len(trials)
    assert runs["epochs"].sum() == len(epochs)
    assert {"hp_n_layers", "hp_learning_rate", "config"} <= set(trials.columns)
    best = runs.iloc[0]
    row = trials[(trials["seed"] == best["seed"]) & (trials["trial"] == best["best_trial"])]
    assert row["last_value"].item() == best["best_value"]
    assert collect(runner.root)["epochs"]["budget_used"].max() == 2.0


def test_data_variants_are_never_mixed_in_one_results_folder(
    tmp_path: Path, write_matrix: Callable[..., Path]
) -> None:
    from tunebench.execution.matrix_runner import RunOutcome
    from tunebench.records.run_record import LedgerTotals, MetricInfo, RunRecord, RunResult, Timings

    runner = MatrixRunner(load(write_matrix(seeds="2")), tmp_path, workers=1)
    first, second = runner.runs

    def outcome(spec: Any, variant: str) -> RunOutcome:
        record = RunRecord(
            spec=spec,
            result=RunResult(best_trial=None, best_config=None, best_value=None,
                             best_epochs=None, test_value=None, budget_used=0.0, n_trials=0,
                             n_complete=0, n_stopped=0, n_failed=0, end_reason="budget spent"),
            metric=MetricInfo(name="accuracy", direction="maximize"),
            ledger=LedgerTotals(epochs=0, full_evaluations=0.0, train_seconds=0.0,
                                setup_seconds=0.0, strategy_seconds=0.0, flops=0.0),
            timings=Timings(wall_seconds=0.0, test_eval_seconds=0.0, retrain_seconds=0.0),
            strategy_params={},
            provenance={"data": {"variant": variant}},
        )  # fmt: skip
        return RunOutcome(spec, "complete", record, trials_text="")

    assert runner._store(outcome(first, "kaggle-sample"), shares_disk=False).status == "complete"
    mixed = runner._store(outcome(second, "uci-full"), shares_disk=False)
    assert mixed.status == "failed"
    assert (
        "data variant 'uci-full' of stocks-mlp differs from 'kaggle-sample'" in mixed.record.error
    )
    assert read_json(runner.root / second.rel_dir / "run.json")["status"] == "failed"


def test_local_workers_recycle_for_live_runs_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One live run per worker per pool: the 4 live runs need two pool generations.
    monkeypatch.setattr(executors_mod, "RUNS_PER_WORKER", 1)
    text = (
        'name = "gen"\nmode = "replay"\nseeds = 6\n[budget]\nfull_evaluations = 1\n'
        '[[problems]]\nname = "stocks-mlp"\nmax_epochs = 2\n'
        '[[problems]]\nname = "stocks-mlp"\nmode = "live"\nseeds = 4\nmax_epochs = 1\n'
        "subsample = 300\n"
        '[[strategies]]\nname = "random"\n'
    )
    path = tmp_path / "gen.toml"
    path.write_text(text)
    runner = MatrixRunner(load(path), tmp_path / "results", workers=2)
    assert run_all(runner) == ["complete"] * 10

    def worker(spec: Any) -> str:
        return str(read_json(runner.root / spec.rel_dir / "run.json")["provenance"]["worker"])

    replay = {worker(s) for s in runner.runs if s.mode == "replay"}
    live = [worker(s) for s in runner.runs if s.mode == "live"]
    assert len(replay) <= 2  # replay workers are kept for the whole matrix
    assert not replay & set(live)
    assert not set(live[:2]) & set(live[2:])  # a fresh pool after RUNS_PER_WORKER each


@pytest.mark.slow
def test_a_live_run_on_another_backend_trains_in_a_child_process(
    tmp_path: Path, write_matrix: Callable[..., Path]
) -> None:
    # This process runs Keras on TensorFlow (conftest); a torch run cannot execute here.
    path = write_matrix(seeds="1", budget="full_evaluations = 1", max_epochs=1, backend="torch")
    runner = MatrixRunner(load(path), tmp_path / "results", workers=1)
    assert run_all(runner) == ["complete"]
    record = read_json(runner.root / runner.runs[0].rel_dir / "run.json")
    assert record["provenance"]["backend"] == "torch"
    assert record["spec"]["backend"] == "torch"
    assert not record["provenance"]["worker"].endswith(f":{os.getpid()}")
    assert [e["event"] for e in logs(runner.root / runner.runs[0].rel_dir)].count("epoch") == 1


def test_a_child_that_dies_gives_a_failed_run_naming_its_exit_status(
    tmp_path: Path, write_matrix: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tunebench.execution.child_process as child_mod

    matrix = load(write_matrix(seeds="1", budget="full_evaluations = 1", max_epochs=1))
    spec = MatrixRunner(matrix, tmp_path / "results").runs[0]
    task = task_mod.RunTask(spec, str(tmp_path / "run"), None, "tensorflow", 1, isolate=True)
    monkeypatch.setattr(child_mod.sys, "executable", "false")  # exits 1 at once
    outcome = task_mod.execute_task(task)
    assert outcome.status == "failed"
    assert "exited with status 1 and no outcome" in outcome.record.error
