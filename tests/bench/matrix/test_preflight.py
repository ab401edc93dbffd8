"""Load-time checks: whatever would fail every run is refused before anything runs."""

from __future__ import annotations

import importlib.util
import json
import re
import textwrap
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tunebench.cli.commands import app
from tunebench.curves.table import META_KEY
from tunebench.matrix.plan import default_table
from tunebench.records.storage import read_json


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def matrix(tmp_path: Path, problem: str, *, mode: str = "replay", strategy: str = "random",
           extra: str = "", execution: str = "") -> Path:  # fmt: skip
    path = tmp_path / "m.toml"
    path.write_text(
        textwrap.dedent(
            f"""\
            name = "m"
            mode = "{mode}"
            seeds = 1
            [budget]
            full_evaluations = 2
            [[problems]]
            name = "{problem}"
            """
        )
        + textwrap.dedent(extra)
        + f'[[strategies]]\nname = "{strategy}"\n'
        + textwrap.dedent(execution),
        encoding="utf-8",
    )
    return path


def refused(tmp_path: Path, path: Path, *args: str) -> str:
    results = tmp_path / "results"
    code, _, err = run_cli("run", str(path), "--results", str(results), "-q", *args)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert not results.exists()  # nothing written
    return err.strip()


def test_replay_entry_without_max_epochs_uses_the_tables_epochs(tmp_path: Path) -> None:
    # covertype-mlp's own default is 20 epochs; its shipped table holds 15
    path = matrix(tmp_path, "covertype-mlp")
    results = tmp_path / "results"
    code, _, err = run_cli("run", str(path), "--results", str(results), "-q")
    assert code == 0, err
    record = read_json(results / "m" / "covertype-mlp" / "random" / "seed=0" / "run.json")
    assert record["status"] == "complete" and record["spec"]["max_epochs"] == 15


def test_max_epochs_beyond_the_table_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, matrix(tmp_path, "covertype-mlp", extra="max_epochs = 20\n"))
    assert "m.toml:8: problems[0].max_epochs: 20 is more than the 15 epochs table" in err
    assert "leave max_epochs out to replay all 15" in err


def test_missing_table_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, matrix(tmp_path, "stocks-mlp", extra='table = "nope.parquet"\n'))
    assert "m.toml:8: problems[0].table: table nope.parquet: learning-curve table not found" in err


def test_table_of_another_problem_is_refused(tmp_path: Path) -> None:
    extra = f'table = "{default_table("stocks-mlp")}"\n'
    err = refused(tmp_path, matrix(tmp_path, "covertype-mlp", extra=extra))
    assert "problems[0].table" in err
    assert "was recorded for problem 'stocks-mlp', not 'covertype-mlp'" in err


def test_table_of_another_space_is_refused(tmp_path: Path) -> None:
    source = default_table("stocks-mlp")
    table = pq.read_table(source)
    meta = json.loads(table.schema.metadata[META_KEY])
    meta["space_fingerprint"] = "0" * 64
    table = table.replace_schema_metadata({META_KEY: json.dumps(meta).encode()})
    pq.write_table(table, tmp_path / "old.parquet")
    err = refused(tmp_path, matrix(tmp_path, "stocks-mlp", extra='table = "old.parquet"\n'))
    assert "was recorded for another search space of 'stocks-mlp'" in err


def test_problem_params_or_subsample_other_than_the_tables_are_refused(tmp_path: Path) -> None:
    extra = "params = { n_events = 100000 }\n"  # the table was recorded with 200000
    err = refused(tmp_path, matrix(tmp_path, "events-mlp", extra=extra))
    assert "problems[0].params.n_events: 100000 differs from the 200000 table" in err
    err = refused(tmp_path, matrix(tmp_path, "stocks-mlp", extra="subsample = 500\n"))
    assert "problems[0].subsample: 500 differs from the subsample table" in err


def test_matching_params_are_accepted(tmp_path: Path) -> None:
    extra = "max_epochs = 3\nparams = { n_events = 200000 }\n"
    results = tmp_path / "results"
    path = matrix(tmp_path, "events-mlp", extra=extra)
    code, _, err = run_cli("run", str(path), "--results", str(results), "-q")
    assert code == 0, err
    assert "warning" not in err  # events-mlp's table is dense enough for its 5 parameters


def test_a_table_too_sparse_for_its_space_gets_a_one_line_warning(tmp_path: Path) -> None:
    # covertype-mlp's shipped table: 1,000 configs for 11 parameters
    path = matrix(tmp_path, "covertype-mlp", extra="max_epochs = 2\n")
    results = tmp_path / "results"
    code, _, err = run_cli("run", str(path), "--results", str(results), "-q")
    assert code == 0, err
    (line,) = err.strip().splitlines()
    assert re.fullmatch(
        r"tunebench: warning: .*m\.toml:7: problems\[0\]\.name: table .*covertype-mlp\.parquet "
        r"is sparse for its space: a random config's nearest recorded config is \d\.\d\d away "
        r"\(median of 256 draws, above 0\.3\), so replay serves configs far from the proposals",
        line,
    ), line


@pytest.mark.skipif(importlib.util.find_spec("jax") is not None, reason="jax is installed")
def test_live_entry_on_a_missing_backend_is_refused(tmp_path: Path) -> None:
    path = matrix(tmp_path, "stocks-mlp", mode="live", execution='[execution]\nbackend = "jax"\n')
    err = refused(tmp_path, path)
    assert "execution.backend: live entry 'stocks-mlp' trains with Keras on 'jax'" in err
    assert "pip install jax" in err


def test_live_entry_with_missing_data_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "no-data"
    empty.mkdir()
    path = matrix(tmp_path, "mnist-cnn", mode="live")
    err = refused(tmp_path, path, "--data-dir", str(empty))
    assert "m.toml:7: problems[0].name: data:" in err and "mnist.npz" in err


def test_strategy_missing_its_dependency_is_refused_and_marked_in_the_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tunebench.strategies.optuna_samplers as samplers

    monkeypatch.setattr(samplers, "torch_available", lambda: False)
    err = refused(tmp_path, matrix(tmp_path, "stocks-mlp", strategy="gp"))
    assert "strategies[0].params: gp: optuna's GPSampler needs PyTorch" in err
    assert "pip install torch" in err
    code, out, _ = run_cli("list", "strategies")
    runnable, _, absent = out.partition("not runnable on this install")
    assert code == 0 and absent
    gp = next(line for line in absent.splitlines() if line.startswith("gp "))
    assert "pip install torch" in gp
    assert not any(line.startswith("gp ") for line in runnable.splitlines())
    assert any(line.startswith("tpe ") for line in runnable.splitlines())


def test_report_and_check_accept_the_parent_folder(tmp_path: Path) -> None:
    results = tmp_path / "results"
    path = matrix(tmp_path, "stocks-mlp", extra="max_epochs = 3\n")
    assert run_cli("run", str(path), "--results", str(results), "-q")[0] == 0
    code, out, err = run_cli("collect", str(results), "--out", str(tmp_path / "tables"))
    assert code == 0 and f"using {results / 'm'}" in err and "runs" in out
    baseline = tmp_path / "baseline.json"
    code, _, err = run_cli("check", str(results), "--baseline", str(baseline), "--update-baseline")
    assert code == 0 and baseline.is_file(), err
    second = path.with_name("n.toml")
    second.write_text(path.read_text().replace('name = "m"', 'name = "n"'))
    assert run_cli("run", str(second), "--results", str(results), "-q")[0] == 0
    code, _, err = run_cli("report", str(results), "--out", str(tmp_path / "r"))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "holds 2 matrix results folders (m, n); name one" in err


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "budget.concurrency: must be >= 1, got 0"),
     ("2.5", "budget.concurrency: must be an integer, got 2.5")],
)  # fmt: skip
def test_bad_concurrency_is_refused(tmp_path: Path, value: str, message: str) -> None:
    path = matrix(tmp_path, "stocks-mlp")
    path.write_text(path.read_text().replace("[budget]\n", f"[budget]\nconcurrency = {value}\n"))
    assert message in refused(tmp_path, path)
