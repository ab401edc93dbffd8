"""Multi-objective surrogate runs (issue 39): served values told, noise-free ones scored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from tunebench.backends.registry import backend_for, needs_keras
from tunebench.backends.surrogate import SurrogateTrainer, fitted_table
from tunebench.cli.commands import app
from tunebench.curves.surrogate import file_sha256, read_surrogate_meta
from tunebench.curves.table import read_table_meta
from tunebench.datasets.stocks import StocksMLP
from tunebench.matrix.plan import shipped_surrogate, shipped_table
from tunebench.objectives import HypervolumeReference, reference_from_table
from tunebench.records.run_record import RunRecord, read_run_record
from tunebench.records.storage import read_trials
from tunebench.run.execute import RunSpec, run_on_backend
from tunebench.strategies import available_strategies

MO_SMOKE = Path(__file__).resolve().parents[3] / "bench" / "matrices" / "mo-smoke.toml"
OBJ = ("metric", "train_seconds", "flops")


def spec(**kw: Any) -> RunSpec:
    base: dict[str, Any] = dict(
        matrix="t", problem="stocks-mlp", max_epochs=3, strategy="mo-random",
        strategy_label="mo-random", seed=0, full_evaluations=4, mode="surrogate",
        surrogate=str(shipped_surrogate("stocks-mlp")),
        table=str(shipped_table("stocks-mlp", "sampled")), objectives=OBJ,
    )  # fmt: skip
    base.update(kw)
    return RunSpec(**base)


def test_the_fitted_table_is_found_by_its_checksum() -> None:
    surrogate = shipped_surrogate("stocks-mlp")
    # the grid and the sampled table share the file name; the checksum tells them apart
    assert fitted_table(surrogate, "stocks-mlp") == shipped_table("stocks-mlp", "sampled")
    grid = shipped_table("stocks-mlp", "grid")
    assert fitted_table(surrogate, "stocks-mlp", grid) == grid  # named: the check refuses it


@pytest.mark.parametrize("problem", ["covertype-mlp", "mnist-cnn"])
def test_a_table_with_params_added_is_still_the_fitted_table(problem: str) -> None:
    # add_params rewrote these shipped tables after their surrogates were fitted
    surrogate, sampled = shipped_surrogate(problem), shipped_table(problem, "sampled")
    meta = read_table_meta(sampled)
    assert "params" in meta["added_columns"]
    assert file_sha256(sampled) != read_surrogate_meta(surrogate)["table_sha256"]
    assert fitted_table(surrogate, problem) == sampled


def test_only_computed_costs_need_keras() -> None:
    assert needs_keras(spec())
    assert not needs_keras(spec(objectives=("metric", "train_seconds")))


def test_surrogate_vectors_are_served_values_and_scores_the_noise_free_prediction(
    tmp_path: Path,
) -> None:
    strategy = available_strategies()["mo-random"]
    logs = []
    for k in range(2):
        backend = backend_for(spec(), StocksMLP())
        run_on_backend(spec(), tmp_path / str(k), backend, strategy())
        logs.append(read_trials(tmp_path / str(k)))
    # the clock counts the strategy's own seconds too; everything else is the same
    assert [{**e, "t": 0} for e in logs[0]] == [{**e, "t": 0} for e in logs[1]]
    trainer = backend.trainer
    assert isinstance(trainer, SurrogateTrainer)
    problem, splits = StocksMLP(), StocksMLP().load()
    configs = {e["trial"]: e["config"] for e in logs[0] if e["event"] == "trial_start"}
    epochs = [e for e in logs[0] if e["event"] == "epoch"]
    ends = [e for e in logs[0] if e["event"] == "trial_end"]
    assert len(ends) == 4
    noisy = 0
    for end in ends:
        metric, seconds, flops = end["objectives"]
        config = configs[end["trial"]]
        mine = [e for e in epochs if e["trial"] == end["trial"]]
        assert metric == mine[-1]["value"]
        assert seconds == pytest.approx(sum(e["cost"]["seconds"] for e in mine))
        model = problem.build_model(config, splits)
        assert flops == pytest.approx(problem.flops_per_example(model) / 3)
        pred = trainer.surrogate.predict(backend.space, [config], np.zeros(1))
        score = end["score_objectives"]
        assert score[0] == pytest.approx(float(pred.value[0][2]))
        assert score[1:] == pytest.approx([seconds, flops])
        noisy += score[0] != metric
    assert noisy  # the run's noise draws are told, never scored
    record = read_run_record(tmp_path / "0")
    assert isinstance(record, RunRecord)
    recorded = HypervolumeReference.from_dict(record.provenance["hypervolume"])
    assert recorded == reference_from_table(shipped_table("stocks-mlp", "sampled"), list(OBJ), 3)
    assert record.result.hypervolume_regret == pytest.approx(
        recorded.front_hypervolume - record.result.hypervolume
    )


def test_a_surrogate_matrix_entry_scores_in_the_frame_of_its_fitted_table(tmp_path: Path) -> None:
    text = MO_SMOKE.read_text(encoding="utf-8").replace('mode = "replay"', 'mode = "surrogate"')
    text = text.replace('table = "grid"\n', "").replace("seeds = 3", "seeds = 1")
    text = text.split("[[strategies]]")[0] + '[[strategies]]\nname = "nsga2"\n'
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    results = tmp_path / "results"
    done = CliRunner().invoke(app, ["run", str(path), "--results", str(results), "-q"])
    assert done.exit_code == 0, done.stderr
    record = read_run_record(results / "mo-smoke" / "stocks-mlp" / "nsga2" / "seed=0")
    assert isinstance(record, RunRecord)
    assert record.spec.table == "tunebench.datasets:tables/sampled/stocks-mlp.parquet"
    frame = record.provenance["hypervolume"]
    assert frame["table"]["kind"] == "sampled" and frame["objectives"] == json.loads(
        '["metric", "train_seconds"]'
    )
    assert record.result.pareto_trials and record.result.hypervolume_regret is not None
