"""Regression checks against a baseline, on fast replay results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna

from tunebench.datasets import available_problems
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


def run_matrix(root: Path, table: Path, module: str, random_cls: type) -> Path:
    """Replay the tiny table with ``random_cls`` as "random" (passed to the runner)."""
    strategies = {**available_strategies(), "random": random_cls}
    text = (
        'name = "chk"\nmode = "replay"\nseeds = 8\n[budget]\nfull_evaluations = 2\n'
        f'[[problems]]\nname = "tiny-stocks"\nmodule = "{module}"\nmax_epochs = 3\n'
        f'table = "{table}"\n[[strategies]]\nname = "random"\n'
    )
    matrix = parse_matrix(text, source="chk.toml", problems=available_problems(),
                          strategies=strategies)  # fmt: skip
    runner = MatrixRunner(matrix, root, workers=1, strategies=strategies)
    assert all(o.status == "complete" for o in runner.execute(LineProgress(quiet=True)))
    return runner.root


def test_unchanged_results_pass_and_broken_strategies_fail(
    tmp_path: Path, table_path: Path, tiny_module: str
) -> None:
    good = run_matrix(tmp_path / "a", table_path, tiny_module, RandomSearch)
    baseline = build_baseline(good)
    cell = baseline["cells"]["tiny-stocks/random"]
    # a 4-config grid and 2 trials allow only 16 sequences, so some seeds coincide
    assert len(cell["seeds"]) == 8 and cell["distinct_proposals"] >= 3
    again = run_matrix(tmp_path / "b", table_path, tiny_module, RandomSearch)
    findings = compare(again, baseline) + compare_logs(again, good)
    assert all(f.ok for f in findings), format_findings(findings)

    for broken in (SeedBlindRandom, SameConfig):
        root = run_matrix(tmp_path / broken.__name__, table_path, tiny_module, broken)  # fmt: skip
        failed = [f for f in compare(root, baseline) if not f.ok]
        assert failed, broken.__name__
        assert any(f.metric == "distinct proposals over seeds" for f in failed)
        assert all(f.cell == "tiny-stocks/random" for f in failed)
        # and the determinism comparison with the good run notices the changed logs
        assert not all(f.ok for f in compare_logs(root, good))


def test_missing_runs_and_failures_are_reported(
    tmp_path: Path, table_path: Path, tiny_module: str
) -> None:
    root = run_matrix(tmp_path, table_path, tiny_module, RandomSearch)
    baseline = build_baseline(root)
    (root / "tiny-stocks" / "random" / "seed=3" / "run.json").unlink()
    failed = {f.metric for f in compare(root, baseline) if not f.ok}
    assert "complete runs" in failed and "failed runs" in failed
    text = format_findings(compare(root, baseline))
    assert "missing seeds [3]" in text and "FAIL" in text
