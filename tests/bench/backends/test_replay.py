"""Tabulate a tiny grid live, then replay strategies against the recorded table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tunebench.backends.replay import ReplayTrainer
from tunebench.curves.table import LearningCurveTable, TableError
from tunebench.datasets.stocks import StocksMLP
from tunebench.records.run_record import RunRecord
from tunebench.records.storage import read_trials
from tunebench.run.execute import RunSpec, execute_run
from tunebench.strategies import RandomSearch


def test_table_has_every_config_repeat_and_epoch(table_path: Path, tiny_stocks: Any) -> None:
    # (the fixture itself tabulated with an interruption and a resume; see conftest)
    frame = pd.read_parquet(table_path)
    assert len(frame) == 4 * 2 * 3
    assert frame.groupby(["config_key", "repeat"]).size().eq(3).all()
    assert frame["value"].between(0, 1).all() and (frame["seconds"] > 0).all()
    table = LearningCurveTable(table_path, tiny_stocks().table_space().fingerprint())
    assert table.repeats == 2 and table.epochs == 3 and len(table.config_keys) == 4
    assert table.meta["problem"] == "tiny-stocks" and table.meta["subsample"] == 200
    # repeats are real training noise: different seeds, different curves
    by_repeat = frame.pivot_table(index=["config_key", "epoch"], columns="repeat", values="loss")
    assert (by_repeat[0] != by_repeat[1]).any()


def replay(tmp_path: Path, table_path: Path, seed: int, **kw: Any) -> RunRecord:
    from tunebench.datasets.stocks import StocksMLP as _Base

    tiny = kw.pop("tiny")
    assert issubclass(tiny, _Base)
    spec = RunSpec(matrix="r", problem="tiny-stocks", max_epochs=3, strategy="random",
                   strategy_label="random", seed=seed, full_evaluations=kw.get("fe", 3),
                   mode="replay", table=str(table_path))  # fmt: skip
    table = LearningCurveTable(table_path, tiny().table_space().fingerprint())
    return execute_run(spec, tmp_path, tiny(), None, RandomSearch(), table=table)


def test_replay_serves_the_recorded_curves(
    tmp_path: Path, table_path: Path, tiny_stocks: Any
) -> None:
    record = replay(tmp_path, table_path, seed=0, tiny=tiny_stocks)
    frame = pd.read_parquet(table_path)
    events = read_trials(tmp_path)
    space = tiny_stocks().table_space()
    config = {
        e["trial"]: space.config_key(e["config"]) for e in events if e["event"] == "trial_start"
    }
    served = [e for e in events if e["event"] == "epoch"]
    assert len(served) == 9 == record.ledger.epochs
    for e in served:
        rows = frame[(frame["config_key"] == config[e["trial"]]) & (frame["epoch"] == e["epoch"])]
        assert e["value"] in set(rows["value"])  # one of the recorded repeats
        match = rows[rows["value"] == e["value"]]
        assert e["cost"]["seconds"] in set(match["seconds"])  # the recorded cost is charged
    # the clock is simulated: t advances with the charged seconds
    assert served[-1]["t"] >= sum(e["cost"]["seconds"] for e in served)
    assert record.provenance["mode"] == "replay"
    assert record.result.test_value is not None


def test_replay_is_reproducible(tmp_path: Path, table_path: Path, tiny_stocks: Any) -> None:
    def comparable(d: Path) -> list[dict[str, Any]]:
        out = read_trials(d)
        for e in out:
            e.pop("t")
        return out

    replay(tmp_path / "a", table_path, seed=3, tiny=tiny_stocks)
    replay(tmp_path / "b", table_path, seed=3, tiny=tiny_stocks)
    assert comparable(tmp_path / "a") == comparable(tmp_path / "b")


def test_mismatched_space_is_refused(table_path: Path) -> None:
    with pytest.raises(TableError, match="another search space"):
        LearningCurveTable(table_path, StocksMLP().table_space().fingerprint())


def test_corrupt_or_missing_table_is_a_clear_error(tmp_path: Path, table_path: Path) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(table_path.read_bytes()[:300])
    with pytest.raises(TableError, match="not a readable Parquet table"):
        LearningCurveTable(broken)
    assert broken.stat().st_size == 300  # nothing else touched
    with pytest.raises(TableError, match="not found"):
        LearningCurveTable(tmp_path / "nope.parquet")


def test_replay_matrix_through_the_executor(
    tmp_path: Path, table_path: Path, tiny_module: str
) -> None:
    from tunebench.datasets import available_problems
    from tunebench.execution.matrix_runner import MatrixRunner
    from tunebench.execution.progress import LineProgress
    from tunebench.matrix.load import parse_matrix
    from tunebench.strategies import available_strategies

    text = (
        'name = "rp"\nmode = "replay"\nseeds = 3\n[budget]\nfull_evaluations = 2\n'
        f'[[problems]]\nname = "tiny-stocks"\nmodule = "{tiny_module}"\nmax_epochs = 3\n'
        f'table = "{table_path.name}"\n[[strategies]]\nname = "random"\n'
    )
    matrix = parse_matrix(text, source="rp.toml", problems=available_problems(),
                          strategies=available_strategies())  # fmt: skip
    runner = MatrixRunner(matrix, tmp_path, workers=1, base_dir=table_path.parent)
    statuses = [o.status for o in runner.execute(LineProgress(quiet=True))]
    assert statuses == ["complete"] * 3
    run = json.loads((runner.root / runner.runs[0].rel_dir / "run.json").read_text())
    assert run["spec"]["table"] == str(table_path)


def test_sampled_table_serves_the_full_space_from_the_nearest_recorded_config(
    tmp_path: Path, sampled_table_path: Path, tiny_stocks: Any
) -> None:
    problem = tiny_stocks()
    space = problem.space()
    table = LearningCurveTable(sampled_table_path, space.fingerprint())
    assert table.sampled and len(table.config_keys) == 6

    def run(folder: Path, seed: int) -> RunRecord:
        spec = RunSpec(matrix="r", problem="tiny-stocks", max_epochs=3, strategy="random",
                       strategy_label="random", seed=seed, full_evaluations=8,
                       mode="replay", table=str(sampled_table_path))  # fmt: skip
        return execute_run(spec, folder, problem, None, RandomSearch(), table=table)

    record = run(tmp_path / "a", seed=0)
    events = read_trials(tmp_path / "a")
    starts = {e["trial"]: e["config"] for e in events if e["event"] == "trial_start"}
    served = {e["trial"]: e for e in events if e["event"] == "served"}
    assert set(served) == set(starts)  # every trial says what served it
    # strategies search the real space: random search's learning rates are not recorded ones
    recorded_lr = {json.loads(k)["learning_rate"] for k in table.config_keys}
    assert any(c["learning_rate"] not in recorded_lr for c in starts.values())
    nearest = table.nearest_configs(space)
    frame = pd.read_parquet(sampled_table_path)
    seen: set[str] = set()  # a fresh trial gets the nearest config not served yet
    for trial, config in sorted(starts.items()):
        key, distance = nearest.nearest(config, exclude=seen)
        assert served[trial]["config_key"] == key and served[trial]["distance"] == distance
        assert distance > 0 or space.config_key(config) == key
        seen.add(key)
    assert len(seen) == 6  # 8 trials: every recorded config once before any repeats
    # the run reports what it scored: the best trial's served config, and its proposal
    assert space.config_key(record.result.best_config) in table.config_keys
    assert record.result.best_proposal is None or (
        record.result.best_proposal != record.result.best_config
    )
    for e in (e for e in events if e["event"] == "epoch"):
        rows = frame[(frame["config_key"] == served[e["trial"]]["config_key"])
                     & (frame["epoch"] == e["epoch"])]  # fmt: skip
        assert e["value"] in set(rows["value"])
    assert "nearest" in record.provenance["data"]["serving"]
    # a recorded config is served its own curve, at distance 0
    key = table.config_keys[2]
    assert nearest.nearest(json.loads(key)) == (key, 0.0)
    run(tmp_path / "b", seed=0)

    def comparable(d: Path) -> list[dict[str, Any]]:
        return [{k: v for k, v in e.items() if k != "t"} for e in read_trials(d)]

    assert comparable(tmp_path / "a") == comparable(tmp_path / "b")


def test_a_retrain_on_a_sampled_table_serves_the_incumbents_own_curve(
    tmp_path: Path, sampled_table_path: Path, tiny_stocks: Any
) -> None:
    """Not the nearest config the run was not served yet, as a fresh trial would be."""
    problem = tiny_stocks()
    space = problem.space()
    table = LearningCurveTable(sampled_table_path, space.fingerprint())
    spec = RunSpec(matrix="r", problem="tiny-stocks", max_epochs=3, strategy="random",
                   strategy_label="random", seed=1, full_evaluations=4, retrain_repeats=2,
                   mode="replay", table=str(sampled_table_path))  # fmt: skip
    record = execute_run(spec, tmp_path, problem, None, RandomSearch(), table=table)
    events = read_trials(tmp_path)
    best = record.result.best_trial
    served = next(e for e in events if e["event"] == "served" and e["trial"] == best)
    finals = [e for e in events if e["event"] == "final"]
    assert len(finals) == 2 and {e["trial"] for e in finals} == {best}
    curve = table.curve(served["config_key"], ReplayTrainer(table, 1).repeat_for(
        served["config_key"]))  # fmt: skip
    for e in finals:  # the incumbent's recorded curve at max_epochs, both times
        assert e["value"] == float(curve.value[2]) and e["test_value"] == float(curve.test_value[2])
    assert record.result.retrain_test_mean == float(curve.test_value[2])
