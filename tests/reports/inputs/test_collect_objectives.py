"""collect's multi-objective columns: per run its front and frame, per trial its vectors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from tunebench.records.events import TrialEnd
from tunebench.records.layout import run_folders
from tunebench.records.run_record import RunRecord, read_run_record
from tunebench.records.storage import RUN_FILE, read_events
from tunebench.reports.inputs.collect import collect, write_tables
from tunebench.reports.inputs.load import load_results

FRONT_COLUMNS = {"objectives", "hypervolume", "hypervolume_regret", "front_size",
                 "pareto_trials", "hypervolume_frame"}  # fmt: skip
VECTOR_COLUMNS = {"obj_metric", "obj_train_seconds", "score_obj_metric", "score_obj_train_seconds"}


def test_runs_carry_front_and_frame_as_run_json_records(mo_results: Path) -> None:
    runs = collect(mo_results)["runs"].set_index(["strategy", "seed"])
    assert set(runs.columns) >= FRONT_COLUMNS
    folders = run_folders(mo_results, with_file=RUN_FILE)
    assert len(folders) == len(runs) == 9
    for folder in folders:
        record = read_run_record(folder)
        assert isinstance(record, RunRecord)
        row = runs.loc[(record.spec.strategy_label, record.spec.seed)]
        result = record.result
        assert json.loads(row["objectives"]) == ["metric", "train_seconds"]
        assert row["hypervolume"] == result.hypervolume
        assert row["hypervolume_regret"] == result.hypervolume_regret
        assert row["front_size"] == len(result.pareto_trials or []) > 0
        assert json.loads(row["pareto_trials"]) == result.pareto_trials
        assert json.loads(row["hypervolume_frame"]) == record.provenance["hypervolume"]


def test_trials_carry_each_vector_and_null_where_none(mo_results: Path) -> None:
    trials = collect(mo_results)["trials"].set_index(["strategy", "seed", "trial"])
    assert set(trials.columns) >= VECTOR_COLUMNS
    short = 0
    for folder in run_folders(mo_results, with_file=RUN_FILE):
        record = read_run_record(folder)
        assert isinstance(record, RunRecord)
        for event in read_events(folder, complete=True):
            if not isinstance(event, TrialEnd):
                continue
            row = trials.loc[(record.spec.strategy_label, record.spec.seed, event.trial)]
            if event.objectives is None:
                short += 1
                assert row[sorted(VECTOR_COLUMNS)].isna().all()
                continue
            assert [row["obj_metric"], row["obj_train_seconds"]] == event.objectives
            assert [row["score_obj_metric"], row["score_obj_train_seconds"]] == (
                event.score_objectives
            )
    assert short > 0  # moasha ends trials short: their rows are null, not left out


def test_single_objective_tables_have_no_objective_columns(replay_results: Path) -> None:
    tables = collect(replay_results)
    assert not FRONT_COLUMNS & set(tables["runs"].columns)
    assert not [c for c in tables["trials"].columns if c.startswith(("obj_", "score_obj_"))]


def test_stored_tables_without_the_columns_are_collected_again(
    mo_results: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "mo-tiny"
    shutil.copytree(mo_results, copy)  # the session's folder stays as it is
    paths = write_tables(copy)
    runs = pd.read_parquet(paths["runs"]).drop(columns=sorted(FRONT_COLUMNS))
    runs.to_parquet(paths["runs"], index=False)  # as an older collect wrote it, still fresh
    loaded = load_results(copy)
    assert set(loaded.runs.columns) >= FRONT_COLUMNS
    assert loaded.info["stocks-mlp"].objectives == ("metric", "train_seconds")
