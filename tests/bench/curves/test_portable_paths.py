"""Records name files without the recording machine's absolute paths, and read both forms."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tunebench.curves.shipped import (
    PACKAGE_PREFIX,
    portable_path,
    portable_source,
    recorded_path,
    shipped_table,
)
from tunebench.runspec import RunSpec


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_a_run_of_a_shipped_table_records_no_absolute_path(complete_runs: Path) -> None:
    for run_json in complete_runs.glob("*/*/seed=*/run.json"):
        record = json.loads(run_json.read_text(encoding="utf-8"))
        absolute = [s for s in _strings(record) if os.path.isabs(s)]
        assert absolute == [], run_json
        assert record["spec"]["table"] == f"{PACKAGE_PREFIX}tables/stocks-mlp.parquet"
        assert record["provenance"]["data"]["table"] == record["spec"]["table"]


def test_both_forms_name_the_same_file() -> None:
    table = shipped_table("stocks-mlp", "sampled")
    portable = portable_path(str(table))
    assert portable == f"{PACKAGE_PREFIX}tables/sampled/stocks-mlp.parquet"
    assert recorded_path(portable) == table
    # a record of another machine's checkout: this install's copy of the shipped file
    assert recorded_path("/elsewhere/main/datasets/tables/sampled/stocks-mlp.parquet") == table
    assert recorded_path(str(table)) == table
    mine = "/somewhere/my-table.parquet"  # a user's own table stays where it was
    assert portable_path(mine) == mine and recorded_path(mine) == Path(mine)


def test_data_files_are_named_relative_to_the_data_folder_or_by_name() -> None:
    facts = {
        "file": "/data/folder/covertype-kaggle-train.csv.gz",
        "cache_file": "/root/.cache/tunebench/events/events-v1.npz",
        "table": "/x/my.parquet",
        "split": "by time 70/15/15",
    }
    out = portable_source(facts, "/data/folder")
    assert out == {
        "file": "covertype-kaggle-train.csv.gz",
        "cache_file": "events-v1.npz",
        "table": "/x/my.parquet",
        "split": "by time 70/15/15",
    }


def test_a_run_is_the_same_run_whichever_form_names_its_table() -> None:
    base = RunSpec(matrix="m", problem="stocks-mlp", max_epochs=10, strategy="random",
                   strategy_label="random", seed=0, mode="replay")  # fmt: skip
    sampled = str(shipped_table("stocks-mlp", "sampled"))
    here = RunSpec(**{**base.to_dict(), "table": sampled})
    old = RunSpec(
        **{**base.to_dict(), "table": "/work/main/datasets/tables/sampled/stocks-mlp.parquet"}
    )
    new = RunSpec(**{**base.to_dict(), "table": portable_path(sampled)})
    grid = RunSpec(**{**base.to_dict(), "table": str(shipped_table("stocks-mlp", "grid"))})
    assert here.same_run(old) and here.same_run(new) and old.same_run(new)
    assert not here.same_run(grid)  # same file name, another table


def test_nothing_shipped_carries_an_absolute_path() -> None:
    from tunebench.curves.surrogate import read_surrogate_meta
    from tunebench.curves.table import read_table_meta

    datasets = shipped_table("stocks-mlp").parent.parent
    files = sorted(datasets.glob("tables/**/*.parquet"))
    surrogates = sorted(datasets.glob("surrogates/*.json.gz"))
    assert files and surrogates
    for path in files:
        assert not [s for s in _strings(read_table_meta(path)) if os.path.isabs(s)], path
    for path in surrogates:
        assert not [s for s in _strings(read_surrogate_meta(path)) if os.path.isabs(s)], path
