"""The syne-tune adapters: pruning through the scheduler, seeding, finite spaces, real runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tunebench.cli import app
from tunebench.records import read_json
from tunebench.strategies import ASHA, BOHB, RegularizedEvolution
from tunebench.strategies.base import TrialStatus
from tunebench.strategies.testing import FIDELITY, drive

SYNE_TUNE = [ASHA, BOHB, RegularizedEvolution]


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


@pytest.mark.slow
def test_syne_tune_strategies_run_live_and_replayed(tmp_path: Path) -> None:
    text = (
        'name = "st"\nmode = "replay"\nseeds = 2\n[budget]\nfull_evaluations = 4\n'
        '[[problems]]\nname = "stocks-mlp"\n'
        '[[problems]]\nname = "stocks-mlp"\nmode = "live"\nseeds = 1\nmax_epochs = 3\n'
        "subsample = 300\nconcurrency = 2\n"
        '[[strategies]]\nname = "asha"\n[[strategies]]\nname = "bohb"\n'
        '[[strategies]]\nname = "regularized-evolution"\n'
    )
    path = tmp_path / "st.toml"
    path.write_text(text)
    result = CliRunner().invoke(app, ["run", str(path), "--results", str(tmp_path / "r"), "-q"])
    assert result.exit_code == 0, result.stderr
    runs = sorted((tmp_path / "r" / "st").glob("*/*/seed=*/run.json"))
    assert len(runs) == 9
    for run in runs:
        record = read_json(run)
        assert record["status"] == "complete", record.get("error")
        assert record["result"]["n_trials"] >= 1
