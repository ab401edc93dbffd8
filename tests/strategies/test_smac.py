"""The SMAC3 adapters: SMAC-HB's promotions resume, and runs repeat across processes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tunebench.cli.commands import app
from tunebench.records.storage import read_json
from tunebench.strategies import SMACHyperband
from tunebench.strategies.testing import FIDELITY, drive


def test_smac_hb_promotions_continue_the_promoted_trials_weights() -> None:
    out = drive(SMACHyperband(), seed=3, budget_epochs=200)
    by_id = {p.trial_id: p for p in out.proposals}
    resumed = [p for p in out.proposals if p.resume_from is not None]
    assert resumed
    for p in resumed:
        assert p.config == by_id[p.resume_from].config
        assert p.target_epochs > out.results[p.resume_from].epochs
    assert max(p.target_epochs for p in out.proposals) == FIDELITY.max_epochs
    plain = drive(SMACHyperband(resume=False), seed=3, budget_epochs=200)
    assert all(p.resume_from is None for p in plain.proposals)


def _logs(root: Path) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for path in sorted(root.glob("*/*/seed=*/trials.jsonl")):
        events = [json.loads(line) for line in path.open()]
        for e in events:
            e.pop("t", None)
            if "cost" in e:
                e["cost"].pop("seconds", None)
        out[str(path.relative_to(root))] = events
    return out


@pytest.mark.slow
def test_smac_runs_repeat_across_processes_live_and_replayed(tmp_path: Path) -> None:
    text = (
        'name = "s"\nmode = "replay"\nseeds = 1\n[budget]\nfull_evaluations = 3\n'
        '[[problems]]\nname = "stocks-mlp"\n'
        '[[problems]]\nname = "stocks-mlp"\nmode = "live"\nmax_epochs = 3\nsubsample = 300\n'
        '[[strategies]]\nname = "smac"\n[[strategies]]\nname = "smac-hb"\n'
    )
    path = tmp_path / "s.toml"
    path.write_text(text)
    roots = []
    for i in range(2):
        results = tmp_path / f"r{i}"
        cli = ["run", str(path), "--results", str(results), "--workers", "1", "-q"]
        result = CliRunner().invoke(app, cli)
        assert result.exit_code == 0, result.stderr
        roots.append(results / "s")
    for run in roots[0].glob("*/*/seed=*/run.json"):
        record = read_json(run)
        assert record["status"] == "complete", record.get("error")
        # this process hashes strings at random: each run went to a child with a fixed seed
        assert not record["provenance"]["worker"].endswith(f":{os.getpid()}")
    first, second = (_logs(root) for root in roots)
    assert len(first) == 4 and first == second
