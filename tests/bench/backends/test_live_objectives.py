"""Multi-objective live runs (issue 39): each trial's own model measured, in a table's frame."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tunebench.cli.commands import app
from tunebench.datasets.problem import Splits
from tunebench.datasets.stocks import StocksMLP
from tunebench.matrix.plan import shipped_table
from tunebench.objectives import HypervolumeReference, reference_from_table
from tunebench.objectives.add_params import add_params_column, count_trainable
from tunebench.records.run_record import RunRecord, read_run_record
from tunebench.records.storage import read_trials
from tunebench.run.execute import RunSpec, execute_run
from tunebench.strategies import available_strategies

OBJ = ("metric", "train_seconds", "params", "flops")


def frame_table(out: Path, configs: int = 6) -> Path:
    """A few configs of stocks-mlp's shipped grid table, with the ``params`` column added."""
    table = pq.read_table(shipped_table("stocks-mlp", "grid"))
    keys = sorted(set(table.column("config_key").to_pylist()))[:configs]
    table = table.filter(pc.is_in(table.column("config_key"), value_set=pa.array(keys)))
    pq.write_table(table, out)  # the schema's metadata (the table's meta) is kept
    add_params_column(out)
    return out


@pytest.fixture(scope="module")
def frame(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return frame_table(tmp_path_factory.mktemp("frame") / "stocks-mlp.parquet")


@pytest.fixture(scope="module")
def data() -> tuple[StocksMLP, Splits]:
    problem = StocksMLP()
    return problem, problem.load(subsample=300)


def spec(frame: Path, **kw: Any) -> RunSpec:
    base: dict[str, Any] = dict(
        matrix="t", problem="stocks-mlp", max_epochs=2, strategy="mo-random",
        strategy_label="mo-random", seed=0, full_evaluations=2, subsample=300,
        mode="live", table=str(frame), objectives=OBJ,
    )  # fmt: skip
    base.update(kw)
    return RunSpec(**base)


def without_seconds(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A trial log without what the machine's speed decides (times, train_seconds)."""
    at = OBJ.index("train_seconds")
    for e in events:
        e.pop("t")
        if "cost" in e:
            e["cost"].pop("seconds")
        for key in ("objectives", "score_objectives"):
            if e.get(key) is not None:
                e[key][at] = None
    return events


def test_live_vectors_are_the_trials_own_models_and_reproduce(
    tmp_path: Path, data: tuple[StocksMLP, Splits], frame: Path
) -> None:
    problem, splits = data
    strategy = available_strategies()["mo-random"]
    logs = []
    for k in range(2):
        execute_run(spec(frame), tmp_path / str(k), problem, splits, strategy())
        logs.append(read_trials(tmp_path / str(k)))
    record = read_run_record(tmp_path / "0")
    assert isinstance(record, RunRecord)
    configs = {e["trial"]: e["config"] for e in logs[0] if e["event"] == "trial_start"}
    ends = [e for e in logs[0] if e["event"] == "trial_end"]
    epochs = [e for e in logs[0] if e["event"] == "epoch"]
    assert len(ends) == 2 and all(e["objectives"] is not None for e in ends)
    for end in ends:
        metric, seconds, params, flops = end["objectives"]
        model = problem.build_model(configs[end["trial"]], splits)
        assert params == count_trainable(model) > 0
        assert flops == pytest.approx(problem.flops_per_example(model) / 3)
        mine = [e for e in epochs if e["trial"] == end["trial"]]
        assert metric == mine[-1]["value"]
        assert seconds == pytest.approx(sum(e["cost"]["seconds"] for e in mine))
        assert end["score_objectives"] == end["objectives"]  # live: scored as measured
    # scored in the frame of the table, recorded as replay records it
    reference = reference_from_table(frame, list(OBJ), 2)
    recorded = HypervolumeReference.from_dict(record.provenance["hypervolume"])
    assert recorded == reference
    result = record.result
    assert result.objectives == list(OBJ) and result.pareto_front
    assert result.hypervolume == pytest.approx(reference.hypervolume(np.array(result.pareto_front)))
    assert result.hypervolume_regret == pytest.approx(
        reference.front_hypervolume - result.hypervolume
    )
    assert without_seconds(logs[0]) == without_seconds(logs[1])


def test_a_live_matrix_entry_runs_in_its_tables_frame(tmp_path: Path, frame: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(
        textwrap.dedent(
            f"""\
            name = "m"
            mode = "live"
            seeds = 1
            [budget]
            full_evaluations = 2
            [[problems]]
            name = "stocks-mlp"
            max_epochs = 1
            table = "{frame.as_posix()}"
            objectives = ["metric", "params"]
            [[strategies]]
            name = "mo-random"
            [execution]
            backend = "tensorflow"
            """
        ),
        encoding="utf-8",
    )
    results = tmp_path / "results"
    args = ["run", str(path), "--results", str(results), "-q", "--workers", "1"]
    done = CliRunner().invoke(app, [*args, "--reports", str(tmp_path / "reports")])
    assert done.exit_code == 0, done.stderr
    record = read_run_record(results / "m" / "stocks-mlp" / "mo-random" / "seed=0")
    assert isinstance(record, RunRecord)
    assert record.spec.table is not None and Path(record.spec.table).name == frame.name
    assert record.result.hypervolume_regret is not None and record.result.pareto_front
    frame_of_run = HypervolumeReference.from_dict(record.provenance["hypervolume"])
    assert frame_of_run == reference_from_table(frame, ["metric", "params"], 1)
    summary = (tmp_path / "reports" / "m" / "summary.md").read_text(encoding="utf-8")
    assert "hv_regret_median" in summary and "| stocks-mlp | mo-random | 1 | metric, params |" in (
        summary
    )
