"""Regret against the true optimum: a replayed problem's 0-point is its table's best curve."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tunebench.curves.table import COLUMNS, META_KEY, LearningCurveTable, TableError
from tunebench.reports.analysis import optimum as optimum_mod
from tunebench.reports.analysis.analyze import analyze
from tunebench.reports.analysis.anytime import BEST_RUN, normalizer
from tunebench.reports.analysis.optimum import table_optimum
from tunebench.reports.inputs.collect import write_tables
from tunebench.reports.inputs.load import load_results

NAN = math.nan


def _write_table(
    path: Path, curves: dict[tuple[str, int], list[tuple[float, float, str]]], epochs: int
) -> Path:
    """A table file with the real schema: ``curves[(config, repeat)]`` = (val, test, failed)."""
    rows: list[dict[str, Any]] = []
    for (key, repeat), points in curves.items():
        for i, (val, test, failed) in enumerate(points):
            rows.append(
                {
                    "config_key": key,
                    "repeat": repeat,
                    "epoch": i + 1,
                    "value": val,
                    "test_value": test,
                    "loss": 1.0,
                    "seconds": 0.1,
                    "flops": 1e6,
                    "setup_seconds": 0.01,
                    "failed": failed,
                }
            )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame = frame.astype({"repeat": "int32", "epoch": "int32"})
    repeats = len({r for _, r in curves})
    meta = {"problem": "tiny-stocks", "epochs": epochs, "repeats": repeats, "grid": 3}
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({META_KEY: json.dumps(meta).encode()})
    pq.write_table(table, path)
    return path


# Three configs x 2 repeats x 3 epochs. At epoch 3 the best validation value is b/0 (0.80)
# and the best test value c/1 (0.77); a/1 peaks higher at epoch 2 (0.95) and c/0 holds the
# largest values but failed at epoch 2, so neither counts; a/0 is NaN at epoch 3.
CURVES: dict[tuple[str, int], list[tuple[float, float, str]]] = {
    ("a", 0): [(0.50, 0.50, ""), (0.60, 0.60, ""), (NAN, NAN, "")],
    ("a", 1): [(0.55, 0.50, ""), (0.95, 0.90, ""), (0.70, 0.70, "")],
    ("b", 0): [(0.60, 0.55, ""), (0.70, 0.65, ""), (0.80, 0.75, "")],
    ("b", 1): [(0.50, 0.45, ""), (0.65, 0.60, ""), (0.75, 0.70, "")],
    ("c", 0): [(0.90, 0.90, ""), (0.99, 0.99, "non-finite weights"), (0.99, 0.99, "")],
    ("c", 1): [(0.40, 0.40, ""), (0.50, 0.50, ""), (0.60, 0.77, "")],
}


def test_optimum_is_the_best_value_at_max_epochs_over_usable_curves(tmp_path: Path) -> None:
    path = _write_table(tmp_path / "t.parquet", CURVES, epochs=3)
    best = table_optimum(path, "maximize", 3)
    assert (best.val, best.val_config) == (0.80, "b")
    assert (best.test, best.test_config) == (0.77, "c")  # not the best validation config's
    assert (best.n_configs, best.n_repeats, best.n_curves, best.n_skipped) == (3, 2, 6, 2)
    text = best.describe("validation", "accuracy")
    assert text.startswith("the table's optimum (best validation accuracy of 3 recorded configs")
    assert "x 2 repeats at epoch 3, t.parquet" in text and "2 failed curves left out" in text
    # a minimized metric: the smallest value at max_epochs, over the same curves
    low = table_optimum(path, "minimize", 3)
    assert (low.val, low.val_config, low.test) == (0.60, "c", 0.70)
    # runs of 2 epochs see the curves at epoch 2: a/1's peak now counts
    two = table_optimum(path, "maximize", 2)
    assert (two.val, two.val_config, two.test) == (0.95, "a", 0.90)
    with pytest.raises(TableError, match="holds 3 epochs"):
        table_optimum(path, "maximize", 4)
    with pytest.raises(TableError, match="not found"):
        table_optimum(tmp_path / "absent.parquet", "maximize", 3)
    with pytest.raises(ValueError, match="direction"):
        table_optimum(path, "larger", 3)


def test_optimum_reads_a_table_once_per_version(tmp_path: Path) -> None:
    path = _write_table(tmp_path / "t.parquet", CURVES, epochs=3)
    optimum_mod._load.cache_clear()
    for direction, epochs in (("maximize", 3), ("minimize", 3), ("maximize", 2)):
        table_optimum(path, direction, epochs)
    assert optimum_mod._load.cache_info().misses == 1
    # a re-recorded table (new mtime and size) is read again
    changed = {**CURVES, ("d", 0): [(0.1, 0.1, ""), (0.2, 0.2, ""), (0.99, 0.98, "")]}
    _write_table(path, changed, epochs=3)
    assert table_optimum(path, "maximize", 3).val == 0.99
    assert optimum_mod._load.cache_info().misses == 2


def test_optimum_of_a_recorded_table_matches_its_curves(table_path: Path) -> None:
    table = LearningCurveTable(table_path)
    ends = [(c.value[2], c.test_value[2]) for c in table.curves.values() if not any(c.failed)]
    for direction, pick in (("maximize", max), ("minimize", min)):
        best = table_optimum(table_path, direction, 3)
        assert best.val == pick(v for v, _ in ends)
        assert best.test == pick(t for _, t in ends)
        assert (best.n_configs, best.n_repeats, best.n_curves) == (4, 2, 8)


def test_a_known_best_is_regret_zero_and_named() -> None:
    finals = {"random": [0.5, 0.6, 0.7], "tpe": [0.8, 0.7]}
    norm = normalizer(finals, 1.0, "random", best=0.9, zero_name="the table's optimum")
    assert (norm.best, norm.reference, norm.zero_name) == (0.9, 0.6, "the table's optimum")
    assert norm(np.array([0.9, 0.8, 0.6])) == pytest.approx([0.0, 1 / 3, 1.0])
    assert normalizer(finals, 1.0, "random").zero_name == BEST_RUN
    with pytest.raises(ValueError, match="zero_name"):
        normalizer(finals, 1.0, "random", best=0.9)


def test_replayed_report_measures_regret_from_the_table_optimum(
    replay_results: Path, table_path: Path
) -> None:
    a = analyze(load_results(replay_results))
    for name, p in a.problems.items():
        assert p.info.table == str(table_path), name
        best = table_optimum(table_path, p.info.direction, p.info.max_epochs)
        assert p.optimum == best
        assert (p.val_norm.best, p.test_norm.best) == (best.val, best.test)
        assert "tiny.parquet" in p.val_norm.zero_name
        assert p.val_norm.zero_name.startswith("the table's optimum (best validation accuracy")
        assert p.test_norm.zero_name.startswith("the table's optimum (best test accuracy")
        # no run beats the table's best: every regret is >= 0, the best run's included
        assert (p.final["regret"] >= 0).all() and p.final["regret"].min() >= 0
        val_regret = p.val_norm(p.final["val"].to_numpy(dtype=float))
        assert (val_regret >= -1e-9).all()


def test_report_text_and_tables_say_what_regret_zero_is(
    report_dir: Path, replay_results: Path
) -> None:
    md = (report_dir / "report.md").read_text()
    assert "Validation regret: 0 = " in md and "= the table's optimum (best validation" in md
    assert "tiny.parquet" in md
    assert "the table's optimum: the best value at max_epochs over every recorded" in md
    assert "0 = the table's optimum (best validation accuracy" in md  # figure caption
    scale = pd.read_csv(report_dir / "tables" / "regret_scale.csv")
    assert len(scale) == 2 * 2 and set(scale["regret"]) == {"validation", "test"}
    assert scale["zero_name"].str.startswith("the table's optimum").all()


def _set_table(run_json: Path, table: str) -> None:
    """Make a run record say it replayed ``table`` (its provenance; the spec is kept)."""
    record = json.loads(run_json.read_text())
    record["provenance"]["data"]["table"] = table
    run_json.write_text(json.dumps(record))


def test_runs_on_different_or_missing_tables_keep_the_best_run_rule(
    tmp_path: Path, replay_results: Path, table_path: Path
) -> None:
    results = tmp_path / "rep"
    shutil.copytree(replay_results, results)
    # stored tables from an older collector (no table column) are collected again
    write_tables(results)
    runs = pd.read_parquet(results / "tables" / "runs.parquet").drop(columns="table")
    runs.to_parquet(results / "tables" / "runs.parquet", index=False)
    assert load_results(results).info["tiny-stocks"].table == str(table_path)

    # one run of tiny-stocks replayed a copy of the table: two tables, no single optimum
    first, *_ = sorted((results / "tiny-stocks").glob("*/seed=*/run.json"))
    _set_table(first, str(shutil.copy(table_path, tmp_path / "other.parquet")))
    # every run of tiny-stocks-b names one table, but it is gone
    for run_json in sorted((results / "tiny-stocks-b").glob("*/seed=*/run.json")):
        _set_table(run_json, str(tmp_path / "gone.parquet"))
    a = analyze(load_results(results))
    mixed, gone = a.problems["tiny-stocks"], a.problems["tiny-stocks-b"]
    assert mixed.info.table is None and mixed.optimum is None
    assert mixed.val_norm.zero_name == BEST_RUN == mixed.test_norm.zero_name
    assert mixed.val_norm.best == mixed.final["val"].max()
    assert mixed.final["regret"].min() == 0  # the best run is the 0-point again
    assert gone.info.table == str(tmp_path / "gone.parquet") and gone.optimum is None
    assert gone.val_norm.zero_name.startswith(BEST_RUN + " (the table's optimum is unavailable")
    assert gone.val_norm.best == gone.final["val"].max()
