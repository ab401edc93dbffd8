"""Multi-objective runs (issue 39) through replay: vectors in the log, a front in run.json."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tunebench.cli.commands import app
from tunebench.curves.shipped import recorded_path
from tunebench.objectives import HypervolumeReference, table_points
from tunebench.records.events import TrialEnd
from tunebench.records.run_record import RunRecord, read_run_record
from tunebench.records.storage import read_events

MO_SMOKE = Path(__file__).resolve().parents[3] / "bench" / "matrices" / "mo-smoke.toml"
STRATEGIES = ("mo-random", "nsga2", "mo-tpe[n_startup_trials=5]",
              "random-scalarisation[n_startup_trials=5]", "moasha", "smac-parego")  # fmt: skip


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def mo_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped mo-smoke matrix, run once (replay: seconds)."""
    results = tmp_path_factory.mktemp("mo")
    code, _, err = run_cli("run", str(MO_SMOKE), "--results", str(results), "-q")
    assert code == 0, err
    return results / "mo-smoke"


@pytest.mark.parametrize("label", STRATEGIES)
def test_each_run_records_vectors_and_its_front(mo_results: Path, label: str) -> None:
    run_dir = mo_results / "stocks-mlp" / label / "seed=0"
    record = read_run_record(run_dir)
    assert isinstance(record, RunRecord)
    result, spec = record.result, record.spec
    assert spec.objectives == ("metric", "train_seconds")
    frame = HypervolumeReference.from_dict(record.provenance["hypervolume"])
    assert frame.objectives == ("metric", "train_seconds") and frame.max_epochs == 10
    ends = [e for e in read_events(run_dir, complete=True) if isinstance(e, TrialEnd)]
    full = [e for e in ends if e.status != "failed" and e.epochs == spec.max_epochs]
    assert full and all(e.objectives is not None and len(e.objectives) == 2 for e in full)
    assert all(e.objectives is None for e in ends if e not in full)
    # the vector told is what the trial measured: its own last value is its metric
    points = table_points(recorded_path(str(spec.table)), ["metric", "train_seconds"], 10)
    rows = dict(zip(points.config_keys, points.values.tolist(), strict=True))
    assert result.objectives == ["metric", "train_seconds"]
    assert result.pareto_trials and result.pareto_front
    scored = {e.trial: e.score_objectives for e in full}
    assert [scored[t] for t in result.pareto_trials] == result.pareto_front
    # the front is non-dominated among every full trial's scored point (metric maximised)
    for t in result.pareto_trials:
        m, s = scored[t]
        assert not any(m2 >= m and s2 <= s and (m2, s2) != (m, s) for m2, s2 in scored.values())
    # scored points are the table's means; hypervolume is the frame's, never above the front
    assert all(list(p) in list(rows.values()) for p in result.pareto_front)
    assert result.hypervolume == pytest.approx(frame.hypervolume(np.array(result.pareto_front)))
    assert result.hypervolume_regret == pytest.approx(frame.front_hypervolume - result.hypervolume)
    assert result.hypervolume_regret is not None and result.hypervolume_regret >= 0


def test_same_seed_same_log_and_check_reads_them(mo_results: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert run_cli("run", str(MO_SMOKE), "--results", str(again), "-q")[0] == 0
    code, out, err = run_cli(
        "check", str(again / "mo-smoke"), "--integrity", "--same-as", str(mo_results)
    )
    assert code == 0, out + err
    code, out, err = run_cli("collect", str(mo_results))
    assert code == 0, out + err


def test_single_objective_records_carry_no_objective_keys(tmp_path: Path) -> None:
    text = MO_SMOKE.read_text(encoding="utf-8")
    text = text.replace('objectives = ["metric", "train_seconds"]\n', "")
    text = text.replace('name = "mo-smoke"', 'name = "so"').replace("seeds = 3", "seeds = 1")
    text = text.split("[[strategies]]")[0] + '[[strategies]]\nname = "random"\n'
    path = tmp_path / "so.toml"
    path.write_text(text, encoding="utf-8")
    results = tmp_path / "r"
    assert run_cli("run", str(path), "--results", str(results), "-q")[0] == 0
    run_dir = results / "so" / "stocks-mlp" / "random" / "seed=0"
    log = (run_dir / "trials.jsonl").read_text(encoding="utf-8")
    record = (run_dir / "run.json").read_text(encoding="utf-8")
    for key in ("objectives", "pareto", "hypervolume"):
        assert key not in log and key not in record


def test_moasha_stops_trials_on_partial_vectors(mo_results: Path) -> None:
    run_dir = mo_results / "stocks-mlp" / "moasha" / "seed=0"
    ends = [e for e in read_events(run_dir, complete=True) if isinstance(e, TrialEnd)]
    stopped = [e for e in ends if e.status == "stopped" and e.reason == "strategy"]
    assert stopped and all(e.objectives is None for e in stopped)


def test_trials_in_flight_and_a_sampled_table_serving_other_configs(tmp_path: Path) -> None:
    # covertype-mlp's sampled table serves each proposal from its nearest recorded config
    path = tmp_path / "c.toml"
    path.write_text(
        'name = "c"\nmode = "replay"\nseeds = 1\n[budget]\nfull_evaluations = 8\n'
        'concurrency = 2\n[[problems]]\nname = "covertype-mlp"\ntable = "sampled"\n'
        'max_epochs = 5\nobjectives = ["metric", "train_seconds", "flops"]\n'
        '[[strategies]]\nname = "nsga2"\n[[strategies]]\nname = "moasha"\n',
        encoding="utf-8",
    )
    results = tmp_path / "r"
    code, _, err = run_cli("run", str(path), "--results", str(results), "-q")
    assert code == 0, err
    for label in ("nsga2", "moasha"):
        run_dir = results / "c" / "covertype-mlp" / label / "seed=0"
        record = read_run_record(run_dir)
        assert isinstance(record, RunRecord)
        assert record.result.pareto_trials and record.result.hypervolume_regret is not None
        ends = [e for e in read_events(run_dir, complete=True) if isinstance(e, TrialEnd)]
        assert {e.trial for e in ends if e.score_objectives} >= set(record.result.pareto_trials)
    assert run_cli("check", str(results / "c"), "--integrity")[0] == 0
