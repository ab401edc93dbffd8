"""The DEHB adapter: promotions continue from weights, a missing library is refused, real runs."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tunebench.cli.commands import app
from tunebench.records.storage import read_json
from tunebench.strategies import DEHBSearch
from tunebench.strategies.testing import FIDELITY, drive


def test_promotions_continue_the_promoted_trials_weights() -> None:
    out = drive(DEHBSearch(), seed=3, budget_epochs=300)
    by_id = {p.trial_id: p for p in out.proposals}
    resumed = [p for p in out.proposals if p.resume_from is not None]
    assert resumed
    for p in resumed:
        source = by_id[p.resume_from]
        assert p.config == source.config
        assert p.target_epochs > out.results[source.trial_id].epochs
    targets = {p.target_epochs for p in out.proposals}
    assert min(targets) >= FIDELITY.min_epochs and max(targets) == FIDELITY.max_epochs


def test_without_resume_promotions_retrain_from_scratch() -> None:
    out = drive(DEHBSearch(resume=False), seed=3, budget_epochs=300)
    assert all(p.resume_from is None for p in out.proposals)


def test_a_missing_dehb_is_refused_with_its_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "dehb" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ImportError, match=re.escape("pip install --no-deps dehb==0.1.2")):
        DEHBSearch().check_params()


@pytest.mark.slow
def test_dehb_runs_live_and_replayed(tmp_path: Path) -> None:
    text = (
        'name = "d"\nmode = "replay"\nseeds = 2\n[budget]\nfull_evaluations = 4\n'
        '[[problems]]\nname = "stocks-mlp"\n'
        '[[problems]]\nname = "stocks-mlp"\nmode = "live"\nseeds = 1\nmax_epochs = 3\n'
        "subsample = 300\nconcurrency = 2\n"
        '[[strategies]]\nname = "dehb"\n'
    )
    path = tmp_path / "d.toml"
    path.write_text(text)
    result = CliRunner().invoke(app, ["run", str(path), "--results", str(tmp_path / "r"), "-q"])
    assert result.exit_code == 0, result.stderr
    runs = sorted((tmp_path / "r" / "d").glob("*/*/seed=*/run.json"))
    assert len(runs) == 3
    for run in runs:
        record = read_json(run)
        assert record["status"] == "complete", record.get("error")
    # nothing of DEHB's lands in the working directory
    assert not Path("dehb.log").exists()
