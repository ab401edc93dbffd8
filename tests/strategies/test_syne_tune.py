"""The syne-tune adapters: pruning through the scheduler, seeding, finite spaces, real runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tunebench.cli.commands import app
from tunebench.records.storage import read_json
from tunebench.strategies import ASHA, BOHB, PopulationBasedTraining, RegularizedEvolution
from tunebench.strategies.base import Fidelity, TrialStatus
from tunebench.strategies.testing import FIDELITY, drive, mlp_like_space

SYNE_TUNE = [ASHA, BOHB, RegularizedEvolution, PopulationBasedTraining]


@pytest.mark.parametrize("cls", [ASHA, BOHB])
def test_halving_prunes_through_the_scheduler_and_never_resumes(cls: type) -> None:
    out = drive(cls(), seed=1, budget_epochs=200, concurrency=2)
    assert {p.target_epochs for p in out.proposals} == {FIDELITY.max_epochs}
    assert all(p.resume_from is None for p in out.proposals)
    results = out.results.values()
    pruned = [r for r in results if r.status is TrialStatus.STOPPED and r.reason == "strategy"]
    full = [r for r in results if r.status is TrialStatus.COMPLETE]
    assert pruned and full
    # ASHA's first rung is min_epochs: the pruned trials stopped on rung epochs
    assert {r.epochs for r in pruned} <= {1, 3, 9}


def test_regularized_evolution_trains_full_evaluations_only() -> None:
    out = drive(RegularizedEvolution(), seed=2, budget_epochs=20 * FIDELITY.max_epochs)
    assert all(r.status is not TrialStatus.STOPPED or r.reason == "budget"
               for r in out.results.values())  # fmt: skip
    assert len(out.proposals) >= 15  # past the first population of 10: mutations


@pytest.mark.parametrize("concurrency", [1, 4])
def test_pbt_continues_top_members_weights_with_mutated_training_settings(
    concurrency: int,
) -> None:
    space = mlp_like_space()
    fidelity = Fidelity(1, 12)  # judged every 12 // 5 = 2 epochs
    out = drive(PopulationBasedTraining(population_size=6), seed=3, fidelity=fidelity,
                budget_epochs=40 * 12, concurrency=concurrency)  # fmt: skip
    by_id = {p.trial_id: p for p in out.proposals}
    resumed = [p for p in out.proposals if p.resume_from is not None]
    clones = [p for p in resumed if p.config != by_id[p.resume_from].config]
    assert clones, "no member was replaced"
    for p in resumed:
        parent = by_id[p.resume_from]
        # continued from the parent's last epoch; only the training settings changed
        assert out.results[p.resume_from].epochs == out.results[p.trial_id].start_epoch
        assert set(space.changed(parent.config, p.config)) <= set(space.continuable)
    assert any(space.changed(by_id[p.resume_from].config, p.config) for p in clones)
    # segments end where the scheduler judges: every 2 epochs from a fresh start
    fresh = [p for p in out.proposals if p.resume_from is None]
    assert {p.target_epochs for p in fresh} == {2}
    # only new epochs are charged
    assert out.epochs_used == sum(
        r.epochs - r.start_epoch for r in out.results.values()
    )  # fmt: skip
    assert max(r.epochs for r in out.results.values()) == 12


def test_pbt_without_continuable_parameters_copies_weights_only() -> None:
    from tunebench.strategies.space import SearchSpace

    space = SearchSpace(list(mlp_like_space()))  # no continuable parameters
    out = drive(PopulationBasedTraining(population_size=4), space=space, seed=1,
                fidelity=Fidelity(1, 10), budget_epochs=200)  # fmt: skip
    by_id = {p.trial_id: p for p in out.proposals}
    resumed = [p for p in out.proposals if p.resume_from is not None]
    assert resumed
    assert all(p.config == by_id[p.resume_from].config for p in resumed)


@pytest.mark.parametrize("cls", SYNE_TUNE)
def test_the_global_numpy_generator_neither_drives_nor_sees_the_scheduler(cls: type) -> None:
    np.random.seed(123)
    first = drive(cls(), seed=4, budget_epochs=120)
    after = np.random.random()
    np.random.seed(999)  # another global state: the proposals must not change
    second = drive(cls(), seed=4, budget_epochs=120)
    assert [p.config for p in first.proposals] == [p.config for p in second.proposals]
    np.random.seed(123)
    assert np.random.random() == after  # the drives left the global generator alone


def test_bohb_proposals_stay_inside_integer_ranges_that_start_above_one(tmp_path: Path) -> None:
    # syne-tune 0.16's KDE decodes integers onto [1, upper]: on the sampled stocks-mlp
    # table, seed 9 proposed units_2 = 3 (range [4, 128]) before the adapter clipped it
    matrix = tmp_path / "b.toml"
    matrix.write_text(
        'name = "b"\nmode = "replay"\nseeds = [9]\n[budget]\nfull_evaluations = 50\n'
        '[[problems]]\nname = "stocks-mlp"\nmax_epochs = 10\ntable = "sampled"\n'
        '[[strategies]]\nname = "bohb"\n'
    )
    args = ["run", str(matrix), "--results", str(tmp_path / "r"), "--reports", str(tmp_path)]
    result = CliRunner().invoke(app, [*args, "--workers", "1", "-q"])
    assert result.exit_code == 0, result.output
    run = read_json(tmp_path / "r" / "b" / "stocks-mlp" / "bohb" / "seed=9" / "run.json")
    assert run["status"] == "complete"


@pytest.mark.slow
def test_syne_tune_strategies_run_live_and_replayed(tmp_path: Path) -> None:
    text = (
        'name = "st"\nmode = "replay"\nseeds = 2\n[budget]\nfull_evaluations = 4\n'
        '[[problems]]\nname = "stocks-mlp"\n'
        '[[problems]]\nname = "stocks-mlp"\nmode = "live"\nseeds = 1\nmax_epochs = 3\n'
        "subsample = 300\nconcurrency = 2\n"
        '[[strategies]]\nname = "asha"\n[[strategies]]\nname = "bohb"\n'
        '[[strategies]]\nname = "regularized-evolution"\n[[strategies]]\nname = "pbt"\n'
    )
    path = tmp_path / "st.toml"
    path.write_text(text)
    result = CliRunner().invoke(app, ["run", str(path), "--results", str(tmp_path / "r"), "-q"])
    assert result.exit_code == 0, result.stderr
    runs = sorted((tmp_path / "r" / "st").glob("*/*/seed=*/run.json"))
    assert len(runs) == 12
    for run in runs:
        record = read_json(run)
        assert record["status"] == "complete", record.get("error")
        assert record["result"]["n_trials"] >= 1
