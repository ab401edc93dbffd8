"""A user's own data for the shipped problems: live, tabulated and replayed, end to end.

``stocks-mlp`` with a user CSV (``params.csv``) and ``events-mlp`` with a user event file
(``params.events_file``) go through ``tunebench run`` live, ``tunebench tabulate`` and a
replay of the table they recorded.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from tunebench.cli.commands import app
from tunebench.curves.table import read_table_meta
from tunebench.datasets import stocks
from tunebench.datasets.events import FEATURES, simulate_events
from tunebench.records.run_record import RunRecord, read_run_record


def cli(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.stderr


def end_to_end(tmp_path: Path, problem: str, params: str, subsample: int) -> list[RunRecord]:
    """Live run, then a 2-config table, then a replay of that table; the two run records."""
    live = tmp_path / "live.toml"
    live.write_text(textwrap.dedent(f"""\
        name = "live"
        mode = "live"
        seeds = 1
        [budget]
        full_evaluations = 1
        [[problems]]
        name = "{problem}"
        max_epochs = 1
        subsample = {subsample}
        params = {params}
        [[strategies]]
        name = "random"
        [execution]
        backend = "tensorflow"
        """), encoding="utf-8")  # fmt: skip
    cli("run", str(live), "--results", str(tmp_path / "results"), "-q")
    table = tmp_path / "mine.parquet"
    param_args = [
        a for kv in params.strip("{} ").split(", ") for a in ("--param", kv.replace(" = ", "="))
    ]
    cli("tabulate", problem, "--sample", "2", "--repeats", "1", "--epochs", "1",
        "--subsample", str(subsample), *param_args, "--backend", "tensorflow",  # this process's
        "--out", str(table), "-q")  # fmt: skip
    assert read_table_meta(table)["kind"] == "sampled"
    replay = tmp_path / "replay.toml"
    replay.write_text(
        live.read_text(encoding="utf-8")
        .replace('name = "live"\nmode = "live"', 'name = "replay"\nmode = "replay"')
        .replace("max_epochs = 1", f'max_epochs = 1\ntable = "{table.name}"'),
        encoding="utf-8",
    )
    cli("run", str(replay), "--results", str(tmp_path / "results"), "-q")
    records = []
    for matrix in ("live", "replay"):
        record = read_run_record(tmp_path / "results" / matrix / problem / "random" / "seed=0")
        assert isinstance(record, RunRecord) and record.result.n_trials >= 1
        records.append(record)
    return records


def test_stocks_with_a_user_csv(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    pd.read_csv(stocks.arch_file("SP500")).to_csv(path, index=False)
    live, replay = end_to_end(tmp_path, "stocks-mlp", f'{{ csv = "{path}" }}', 300)
    assert live.provenance["data"]["variant"] == "csv:prices.csv"
    assert replay.provenance["mode"] == "replay"
    assert replay.provenance["data"]["variant"] == "csv:prices.csv"  # the table's data


def test_events_with_a_user_event_file(tmp_path: Path) -> None:
    x, y = simulate_events(3000, seed=4)
    path = tmp_path / "my_events.parquet"
    pd.DataFrame(x, columns=list(FEATURES)).assign(target=y).to_parquet(path)
    live, replay = end_to_end(tmp_path, "events-mlp", f'{{ events_file = "{path}" }}', 500)
    assert live.provenance["data"]["variant"] == "file:my_events.parquet"
    assert replay.provenance["data"]["variant"] == "file:my_events.parquet"
