"""``tunebench.as_optuna_objective``: a problem inside optuna's own ``study.optimize``.

The cross-check drives a real client, optuna's loop with ``RandomSampler``, and compares
it with ``tunebench run`` of ``random`` at the same seeds and budget.
"""

from __future__ import annotations

import json
import math
import statistics
import textwrap
from pathlib import Path
from typing import Any

import optuna
import pytest
from typer.testing import CliRunner

import tunebench
from tunebench.cli.commands import app
from tunebench.run.optuna_objective import ObjectiveError

PROBLEM = "stocks-mlp"
SEEDS = (0, 1, 2, 3, 4)
BUDGET = 8  # full evaluations: random trains each config fully, so 8 trials


def _tunebench_runs(tmp_path: Path, mode: str) -> dict[int, dict[str, object]]:
    """``tunebench run`` of ``random`` on PROBLEM: each seed's run result."""
    matrix = tmp_path / f"{mode}.toml"
    matrix.write_text(
        textwrap.dedent(
            f"""\
            name = "{mode}"
            mode = "{mode}"
            seeds = {len(SEEDS)}
            [budget]
            full_evaluations = {BUDGET}
            [[problems]]
            name = "{PROBLEM}"
            [[strategies]]
            name = "random"
            """
        )
    )
    results = tmp_path / "results"
    args = ["run", str(matrix), "--results", str(results), "--reports", str(tmp_path), "-q"]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    runs = {}
    for seed in SEEDS:
        run_dir = results / mode / PROBLEM / "random" / f"seed={seed}"
        runs[seed] = json.loads((run_dir / "run.json").read_text())["result"]
    return runs


def _optuna_study(mode: str, seed: int, sampler_seed: int) -> optuna.Study:
    objective = tunebench.as_optuna_objective(PROBLEM, mode=mode, seed=seed)  # type: ignore[arg-type]
    study = optuna.create_study(
        direction=objective.direction,
        sampler=optuna.samplers.RandomSampler(seed=sampler_seed),
    )
    study.optimize(objective, n_trials=BUDGET)
    return study


@pytest.mark.parametrize("mode", ["surrogate", "replay"])
def test_optuna_random_sampler_matches_tunebench_random_exactly(tmp_path: Path, mode: str) -> None:
    """Seeded with the run's strategy stream, optuna proposes what ``random`` proposes.

    Both loops then serve the same configs the same curves, so every best value is equal,
    not merely close. (With ``RandomSampler(seed=s)`` itself the configs differ: see below.)
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    runs = _tunebench_runs(tmp_path, mode)
    for seed in SEEDS:
        objective = tunebench.as_optuna_objective(PROBLEM, mode=mode, seed=seed)  # type: ignore[arg-type]
        study = _optuna_study(mode, seed, objective.sampler_seed)
        assert study.best_value == runs[seed]["best_value"], seed
        best = study.best_trial
        # What the run calls its best config is what was evaluated (served, in replay).
        assert best.user_attrs.get("served_config", best.params) == runs[seed]["best_config"]
        assert runs[seed]["n_trials"] == len(study.trials) == BUDGET


def test_optuna_random_sampler_at_the_raw_seed_is_within_the_seed_spread(tmp_path: Path) -> None:
    """``RandomSampler(seed=s)`` proposes other configs than the run at seed ``s``.

    tunebench seeds its sampler from the run seed's strategy stream, so the same ``s``
    proposes differently; the best values then agree only in distribution.
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    runs = _tunebench_runs(tmp_path, "surrogate")
    ours = [float(runs[s]["best_value"]) for s in SEEDS]  # type: ignore[arg-type]
    theirs = [_optuna_study("surrogate", s, s).best_value for s in SEEDS]
    assert ours != theirs  # other configs were proposed
    spread = statistics.stdev(ours)
    assert abs(statistics.mean(theirs) - statistics.mean(ours)) <= 2 * spread
    assert min(ours) - spread <= min(theirs) and max(theirs) <= max(ours) + spread


def test_reports_each_epoch_prunes_and_records_cost() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    objective = tunebench.as_optuna_objective(PROBLEM, mode="surrogate", seed=0)
    study = optuna.create_study(
        direction=objective.direction,
        sampler=optuna.samplers.RandomSampler(seed=0),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3),
    )
    study.optimize(objective, n_trials=20)
    states = [t.state for t in study.trials]
    assert optuna.trial.TrialState.PRUNED in states
    assert optuna.trial.TrialState.COMPLETE in states
    for trial in study.trials:
        epochs = trial.user_attrs["cost"]["epochs"]
        assert sorted(trial.intermediate_values) == list(range(1, epochs + 1))
        assert trial.user_attrs["cost"]["seconds"] > 0
        if trial.state is optuna.trial.TrialState.COMPLETE:
            assert epochs == objective.max_epochs
            assert trial.value == trial.intermediate_values[objective.max_epochs]
        else:
            assert epochs < objective.max_epochs


def test_the_real_space_is_suggested() -> None:
    objective = tunebench.as_optuna_objective(PROBLEM, mode="surrogate", seed=0)
    study = optuna.create_study(direction=objective.direction)
    study.optimize(objective, n_trials=2)
    trial = study.trials[0]
    assert set(trial.params) <= set(objective.space.names)
    assert objective.space.canonical(trial.params) == trial.params
    assert not math.isnan(study.best_value)


def test_bad_input_is_one_line() -> None:
    with pytest.raises(ObjectiveError, match="unknown problem 'nope'"):
        tunebench.as_optuna_objective("nope")
    with pytest.raises(ObjectiveError, match="mode 'live' is not allowed"):
        tunebench.as_optuna_objective(PROBLEM, mode="live")  # type: ignore[arg-type]


def test_the_docs_example_runs() -> None:
    page = Path(__file__).resolve().parents[3] / "docs" / "how-to" / "optuna.md"
    readme = page.read_text(encoding="utf-8")
    blocks = readme.split("```python\n")[1:]
    example = next(b.split("```", 1)[0] for b in blocks if "as_optuna_objective" in b)
    namespace: dict[str, Any] = {}
    exec(example, namespace)  # the docs' own words, run as they stand
    study = namespace["study"]
    assert len(study.trials) == 8 and study.best_value > 0.5
