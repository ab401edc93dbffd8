"""Multi-objective entries (issue 39): what the load-time checks refuse, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tunebench.cli.commands import app

MO_SMOKE = Path(__file__).resolve().parents[3] / "bench" / "matrices" / "mo-smoke.toml"
OBJECTIVES = 'objectives = ["metric", "train_seconds"]'


def refused(tmp_path: Path, text: str) -> str:
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    results = tmp_path / "results"
    result = CliRunner().invoke(app, ["run", str(path), "--results", str(results), "-q"])
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
         "m.toml:16: problems[0].objectives: multi-objective runs are supported in replay "
         "mode only so far; this entry runs in mode 'surrogate'"),
    ],
)  # fmt: skip
def test_refused_in_one_line_with_nothing_written(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    from tunebench.matrix.plan import shipped_table

    text = MO_SMOKE.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new)
    if 'mode = "surrogate"' in text:
        text = text.replace('table = "grid"\n', "")
    err = refused(tmp_path, text)
    table = shipped_table("stocks-mlp", "grid")
    assert expected.format(table=table) in err, err
