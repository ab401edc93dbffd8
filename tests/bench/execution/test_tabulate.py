from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tunebench.curves.table import META_KEY, LearningCurveTable
from tunebench.execution.tabulate import TabulateJob, tabulate
from tunebench.strategies.space.sampling import sample_configs


def test_sampled_table_covers_the_full_space(
    tmp_path: Path, tiny_stocks: type, tiny_module: str
) -> None:
    job = TabulateJob("tiny-stocks", {}, epochs=2, repeats=2, subsample=200, data_dir=None,
                      backend="tensorflow", threads=1, sample=3, sample_seed=5,
                      problem_module=tiny_module)  # fmt: skip
    out = tabulate(job, tmp_path / "sampled.parquet")
    space = tiny_stocks().space()  # the full space, not the 4-config table grid
    meta = json.loads(pq.read_schema(out).metadata[META_KEY])
    assert meta["kind"] == "sampled" and meta["sample"] == 3 and meta["sample_seed"] == 5
    assert meta["space_fingerprint"] == space.fingerprint()
    table = LearningCurveTable(out, expected_fingerprint=space.fingerprint())
    want = {space.config_key(c) for c in sample_configs(space, 3, seed=5)}
    assert set(table.config_keys) == want
    assert all(table.curve(k, r).epochs == 2 for k in want for r in (0, 1))


def test_sample_below_one_is_refused_in_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tunebench.cli.commands import app

    out = tmp_path / "t.parquet"
    result = CliRunner().invoke(app, ["tabulate", "stocks-mlp", "--sample", "0", "--out", str(out)])
    assert result.exit_code == 2
    want = "tunebench: error: --sample must be at least 1, got 0"
    assert result.stderr.strip() == want, result.stderr
    assert not out.exists() and not out.with_name("t.parquet.parts").exists()


def test_shards_are_merged_into_chunks_and_a_killed_run_resumes(
    tmp_path: Path, tiny_module: str
) -> None:
    job = TabulateJob("tiny-stocks", {}, epochs=1, repeats=1, subsample=200, data_dir=None,
                      backend="tensorflow", threads=1, problem_module=tiny_module)  # fmt: skip
    out = tmp_path / "t.parquet"
    parts = out.with_name("t.parquet.parts")

    def kill_after_three(done: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        tabulate(job, out, on_unit=kill_after_three, chunk_units=2)
    # two units merged into a chunk, the third still a loose shard
    assert [p.name for p in sorted(parts.glob("*.parquet"))] == [
        "000002-000.parquet",
        "chunk-00000.parquet",
    ]
    before = pq.read_table(parts / "chunk-00000.parquet").to_pandas()
    seen: list[int] = []
    tabulate(job, out, on_unit=lambda done, total: seen.append(done), chunk_units=2)
    assert seen[0] == 3  # nothing recorded was trained again
    assert not parts.exists()
    table = pq.read_table(out).to_pandas()
    assert len(table) == 4 and table["config_key"].is_unique
    merged = table.merge(before[["config_key", "seconds"]], on="config_key")
    assert len(merged) == 2 and (merged["seconds_x"] == merged["seconds_y"]).all()


def test_the_command_records_a_problem_of_ones_own_file(tmp_path: Path, tiny_module: str) -> None:
    from typer.testing import CliRunner

    from tunebench.cli.commands import app

    out = tmp_path / "own.parquet"
    args = ["tabulate", "tiny-stocks", "--epochs", "1", "--repeats", "1", "--subsample", "200",
            "--backend", "tensorflow", "--out", str(out), "-q"]  # fmt: skip
    missing = CliRunner().invoke(app, [*args, "--module", str(tmp_path / "nope.py")])
    assert missing.exit_code == 2 and missing.stderr.count("\n") == 1
    assert "--module: no such file" in missing.stderr
    unknown = CliRunner().invoke(app, args)
    assert unknown.exit_code == 2 and "unknown problem 'tiny-stocks'" in unknown.stderr
    done = CliRunner().invoke(app, [*args, "--module", tiny_module])
    assert done.exit_code == 0, done.stderr
    meta = json.loads(pq.read_schema(out).metadata[META_KEY])
    assert meta["problem"] == "tiny-stocks"
    assert meta["problem_file"]["name"] == "tiny_stocks.py"
    assert len(meta["problem_file"]["sha256"]) == 64
    assert len(LearningCurveTable(out).config_keys) == 4
