"""Regression checks against a baseline, on fast replay results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pytest

import tunebench.backends.registry as backends_mod
import tunebench.execution.task as task_mod
from tunebench.execution.matrix_runner import MatrixRunner
from tunebench.execution.progress import LineProgress
from tunebench.matrix.load import parse_matrix
from tunebench.reports.regression import build_baseline, compare, compare_logs, format_findings
from tunebench.strategies import Proposal, RandomSearch, available_strategies


class SeedBlindRandom(RandomSearch):
    """Broken on purpose: ignores its seed."""

    def make_sampler(self, seed: int) -> Any:
        return optuna.samplers.RandomSampler(seed=0)


class SameConfig(RandomSearch):
    """Broken on purpose: always proposes the same config."""

    def ask(self, budget: Any) -> Any:
        answer = super().ask(budget)
        if isinstance(answer, Proposal):
            return Proposal(answer.trial_id, self.space.defaults(), answer.target_epochs)
        return answer


def run_matrix(
    root: Path, table: Path, registry: dict[str, Any], random_cls: type, mp: pytest.MonkeyPatch
) -> Path:
    strategies = {**available_strategies(), "random": random_cls}
    mp.setattr(backends_mod, "available_problems", lambda: registry)
    mp.setattr(task_mod, "available_strategies", lambda: strategies)
    text = (
        'name = "chk"\nmode = "replay"\nseeds = 8\n[budget]\nfull_evaluations = 2\n'
        f'[[problems]]\nname = "tiny-stocks"\nmax_epochs = 3\ntable = "{table}"\n'
        '[[strategies]]\nname = "random"\n'
    )
    matrix = parse_matrix(text, source="chk.toml", problems=registry, strategies=strategies)
    runner = MatrixRunner(matrix, root, workers=1)
    assert all(o.status == "complete" for o in runner.execute(LineProgress(quiet=True)))
    return runner.root


def test_unchanged_results_pass_and_broken_strategies_fail(
    tmp_path: Path, table_path: Path, tiny_registry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = run_matrix(tmp_path / "a", table_path, tiny_registry, RandomSearch, monkeypatch)
    baseline = build_baseline(good)
    cell = baseline["cells"]["tiny-stocks/random"]
    # a 4-config grid and 2 trials allow only 16 sequences, so some seeds coincide
    assert len(cell["seeds"]) == 8 and cell["distinct_proposals"] >= 3
    again = run_matrix(tmp_path / "b", table_path, tiny_registry, RandomSearch, monkeypatch)
    findings = compare(again, baseline) + compare_logs(again, good)
    assert all(f.ok for f in findings), format_findings(findings)

    for broken in (SeedBlindRandom, SameConfig):
        root = run_matrix(tmp_path / broken.__name__, table_path, tiny_registry, broken,
                          monkeypatch)  # fmt: skip
        failed = [f for f in compare(root, baseline) if not f.ok]
        assert failed, broken.__name__
        assert any(f.metric == "distinct proposals over seeds" for f in failed)
        assert all(f.cell == "tiny-stocks/random" for f in failed)
        # and the determinism comparison with the good run notices the changed logs
        assert not all(f.ok for f in compare_logs(root, good))


def test_missing_runs_and_failures_are_reported(
    tmp_path: Path, table_path: Path, tiny_registry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = run_matrix(tmp_path, table_path, tiny_registry, RandomSearch, monkeypatch)
    baseline = build_baseline(root)
    (root / "tiny-stocks" / "random" / "seed=3" / "run.json").unlink()
    failed = {f.metric for f in compare(root, baseline) if not f.ok}
    assert "complete runs" in failed and "failed runs" in failed
    text = format_findings(compare(root, baseline))
    assert "missing seeds [3]" in text and "FAIL" in text
