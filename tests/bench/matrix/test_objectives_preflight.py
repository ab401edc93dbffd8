"""Multi-objective entries (issue 39): what the load-time checks refuse, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tunebench.cli.commands import app

MO_SMOKE = Path(__file__).resolve().parents[3] / "bench" / "matrices" / "mo-smoke.toml"
OBJECTIVES = 'objectives = ["metric", "train_seconds"]'


def refused(tmp_path: Path, text: str, *args: str) -> str:
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    results = tmp_path / "results"
    result = CliRunner().invoke(app, ["run", str(path), "--results", str(results), "-q", *args])
    assert result.exit_code == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not results.exists()  # nothing written
    return result.stderr.strip()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('name = "mo-random"', 'name = "random"',
         "m.toml:20: strategies[0].name: strategy 'random' is single-objective, but problem "
         "entry 'stocks-mlp' (problems[0]) has objectives ['metric', 'train_seconds']; "
         "multi-objective strategies: mo-random, mo-tpe, moasha, nsga2, random-scalarisation, "
         "smac-parego"),
        (OBJECTIVES, "", "m.toml:20: strategies[0].name: strategy 'mo-random' is "
         "multi-objective, but problem entry 'stocks-mlp' has no objectives"),
        (OBJECTIVES, 'objectives = ["metric", "params"]',
         "m.toml:17: problems[0].objectives: {table}: no 'params' column, which objective "
         "'params' needs; add it with python -m tunebench.objectives.add_params {table}"),
        (OBJECTIVES, 'objectives = ["metric", "latency"]',
         "m.toml:17: problems[0].objectives: unknown objective 'latency'"),
        (OBJECTIVES, 'objectives = ["flops", "flops"]',
         "m.toml:17: problems[0].objectives: objective 'flops' listed twice"),
        (OBJECTIVES, 'objectives = ["metric"]',
         "m.toml:17: problems[0].objectives: a multi-objective entry needs at least two"),
        ('mode = "replay"', 'mode = "surrogate"',
         "m.toml:15: problems[0].table: surrogate {surrogate} was fitted on stocks-mlp.parquet "
         "(sha256 "),
        ('mode = "replay"', 'mode = "live"',
         "m.toml:17: problems[0].objectives: {table}: no 'params' column, which objective "
         "'params' needs; add it with python -m tunebench.objectives.add_params {table}"),
    ],
)  # fmt: skip
def test_refused_in_one_line_with_nothing_written(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    from tunebench.matrix.plan import shipped_surrogate, shipped_table

    text = MO_SMOKE.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new)
    if 'mode = "live"' in text:  # live entries measure params: the table lacks them
        text = text.replace(OBJECTIVES, 'objectives = ["metric", "params"]')
        text += '[execution]\nbackend = "tensorflow"\n'
    err = refused(tmp_path, text)
    table = shipped_table("stocks-mlp", "grid")
    surrogate = shipped_surrogate("stocks-mlp")
    assert expected.format(table=table, surrogate=surrogate) in err, err


LIVE = """\
name = "m"
mode = "live"
seeds = 1
[budget]
full_evaluations = 2
[[problems]]
name = "{name}"
max_epochs = 2
objectives = ["metric", "{objective}"]
{extra}
[[strategies]]
name = "mo-random"
[execution]
backend = "tensorflow"
"""


def test_live_entry_trains_at_its_frame_tables_data_settings(tmp_path: Path) -> None:
    text = LIVE.format(name="stocks-mlp", objective="train_seconds",
                       extra='table = "grid"\nsubsample = 300')  # fmt: skip
    err = refused(tmp_path, text)
    assert (
        "m.toml:11: problems[0].subsample: the entry trains with subsample 300, but its "
        "hypervolume frame's table grid was recorded with subsample None; name a table "
        "recorded at this entry's data settings" in err
    ), err


def test_live_entry_of_a_problem_without_a_table_must_name_one(
    tmp_path: Path, tiny_module: str
) -> None:
    text = LIVE.format(name="tiny-stocks", objective="flops", extra=f'module = "{tiny_module}"')
    err = refused(tmp_path, text)
    assert (
        "m.toml:9: problems[0].objectives: problem 'tiny-stocks' ships no learning-curve table "
        "to fix the hypervolume frame of its objectives" in err
    ), err


def test_surrogate_entry_computing_costs_without_its_data_is_refused_as_live(
    tmp_path: Path,
) -> None:
    empty = tmp_path / "no-data"
    empty.mkdir()
    text = LIVE.format(name="mnist-cnn", objective="flops", extra="").replace("live", "surrogate")
    err = refused(tmp_path, text, "--data-dir", str(empty))
    assert "m.toml:7: problems[0].name: data:" in err and "mnist.npz" in err, err
