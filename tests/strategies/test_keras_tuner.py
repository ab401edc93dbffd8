"""keras-tuner's oracles behind the protocol: kt-random, kt-bayesian, kt-hyperband.

Protocol tests drive the strategies without training (the value of a config is
a fixed smooth function of it, as in test_conformance.py); one short real run
per strategy goes through the harness on stocks-mlp.
"""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tunebench.datasets.problem import Splits
from tunebench.datasets.stocks import StocksMLP, mlp_space
from tunebench.records.storage import read_trials
from tunebench.run.execute import RunSpec, execute_run
from tunebench.strategies.base import (
    BudgetView,
    Decision,
    Direction,
    Exhausted,
    Fidelity,
    Proposal,
    Strategy,
    TrialResult,
    TrialStatus,
    Wait,
)
from tunebench.strategies.keras_tuner import (
    PROJECT_NAME,
    KerasTunerBayesian,
    KerasTunerHyperband,
    KerasTunerRandom,
    KerasTunerStrategy,
)
from tunebench.strategies.space import Float, Int, SearchSpace

CLASSES: list[type[KerasTunerStrategy]] = [
    KerasTunerRandom,
    KerasTunerBayesian,
    KerasTunerHyperband,
]
IDS = [c.name for c in CLASSES]
Seen = list[tuple[int, dict[str, Any], int, int | None]]
FIDELITY = Fidelity(1, 4)


def fake_value(config: dict[str, Any], epoch: int) -> float:
    """Accuracy-like: better with lr near 1e-2 and more units, rising with epochs."""
    lr_term = -abs(math.log10(config["learning_rate"]) + 2.0)
    return 0.5 + 0.05 * lr_term + 0.001 * config["units_1"] + 0.01 * epoch


def view(remaining: int) -> BudgetView:
    return BudgetView(used=0.0, total=None, remaining_epochs=remaining, seconds_used=0.0,
                      seconds_total=None)  # fmt: skip


def drive(
    strategy: Strategy,
    seed: int,
    fidelity: Fidelity = FIDELITY,
    budget_epochs: int = 40,
    fail_every: int = 0,
    direction: Direction = "maximize",
) -> tuple[Seen, Exhausted | None]:
    """Run the protocol like the harness; return the proposals and the final Exhausted."""
    space = mlp_space()
    strategy.setup(space, fidelity, direction, seed)
    used = 0
    seen: Seen = []
    epochs_of: dict[int, int] = {}
    kept: set[int] = set()
    while used < budget_epochs:
        answer = strategy.ask(view(budget_epochs - used))
        if isinstance(answer, Exhausted):
            return seen, answer
        assert isinstance(answer, Proposal), answer
        space.validate(answer.config)
        assert not any(k.startswith("tuner/") for k in answer.config)
        assert answer.trial_id not in epochs_of
        assert fidelity.min_epochs <= answer.target_epochs <= fidelity.max_epochs
        start = 0
        if answer.resume_from is not None:
            assert answer.resume_from in kept, "resumes only kept weights"
            start = epochs_of[answer.resume_from]
            assert answer.target_epochs > start
            assert space.canonical(answer.config) == seen[answer.resume_from][1]
        config = space.canonical(answer.config)
        seen.append((answer.trial_id, config, answer.target_epochs, answer.resume_from))
        values: list[float] = []
        status = TrialStatus.COMPLETE
        failing = fail_every and len(seen) % fail_every == 0
        for epoch in range(start + 1, answer.target_epochs + 1):
            used += 1
            if failing:
                status = TrialStatus.FAILED
                break
            values.append(fake_value(config, epoch))
            assert strategy.report(answer.trial_id, epoch, values[-1]) is Decision.CONTINUE
            if used >= budget_epochs:
                break
        epochs_of[answer.trial_id] = start + len(values)
        if status is not TrialStatus.FAILED and strategy.keep_weights(answer.trial_id):
            kept.add(answer.trial_id)
        reason = "nan loss" if failing else ""
        strategy.tell(answer.trial_id, TrialResult(status, tuple(values), start, reason))
    return seen, None


# -- protocol --------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_proposals_are_valid_configs_without_tuner_keys(cls: type[KerasTunerStrategy]) -> None:
    seen, _ = drive(cls(), seed=0, budget_epochs=60)
    assert len(seen) >= 10
    layers = {config["n_layers"] for _, config, _, _ in seen}
    assert len(layers) > 1  # conditional units appear and disappear with n_layers
    for _, config, _, _ in seen:
        assert ("units_3" in config) == (config["n_layers"] == 3)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_same_seed_same_proposals(cls: type[KerasTunerStrategy]) -> None:
    first = drive(cls(), seed=7)
    assert drive(cls(), seed=7) == first
    assert drive(cls(), seed=8)[0] != first[0]


def test_seed_zero_is_deterministic_too() -> None:
    # keras-tuner replaces a falsy seed by a random one; the adapter must not pass it 0.
    assert drive(KerasTunerRandom(), seed=0) == drive(KerasTunerRandom(), seed=0)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_failed_trials_do_not_stop_the_strategy(cls: type[KerasTunerStrategy]) -> None:
    seen, _ = drive(cls(), seed=3, fail_every=2)
    assert len(seen) >= 6
    # keras-tuner's default raises after 3 failures in a row; ours never gives up.
    strategy = cls()
    seen, _ = drive(strategy, seed=3, fail_every=1, budget_epochs=12)
    assert len(seen) >= 4
    statuses = {t.status for t in strategy._oracle.trials.values()}
    assert statuses == {"FAILED"}


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_no_budget_means_exhausted_and_it_sticks(cls: type[KerasTunerStrategy]) -> None:
    strategy = cls()
    strategy.setup(mlp_space(), Fidelity(1, 4), "minimize", 0)
    assert isinstance(strategy.ask(view(0)), Exhausted)
    assert isinstance(strategy.ask(view(100)), Exhausted)


def test_values_and_failures_reach_the_oracle() -> None:
    strategy = KerasTunerRandom()
    strategy.setup(mlp_space(), Fidelity(1, 3), "maximize", 1)
    ok, bad = strategy.ask(view(99)), strategy.ask(view(99))  # two trials in flight
    assert isinstance(ok, Proposal) and isinstance(bad, Proposal)
    strategy.report(ok.trial_id, 1, 0.6)
    # epochs that were not reported one by one (here 2 and 3) are registered at tell
    strategy.tell(ok.trial_id, TrialResult(TrialStatus.COMPLETE, (0.6, 0.7, 0.65)))
    strategy.tell(bad.trial_id, TrialResult(TrialStatus.FAILED, (0.5,), 0, "nan loss"))
    good_trial, bad_trial = strategy._oracle.trials.values()
    assert good_trial.status == "COMPLETED" and good_trial.score == 0.7  # best epoch, as kt
    history = good_trial.metrics.get_history("val_score")
    assert [(o.step, o.value[0]) for o in history] == [(1, 0.6), (2, 0.7), (3, 0.65)]
    assert bad_trial.status == "FAILED" and bad_trial.message == "nan loss"
    assert not strategy._oracle.ongoing_trials


def test_bayesian_gaussian_process_proposals_are_valid_and_repeatable() -> None:
    # The value grows with units, so the GP's optimum sits on the upper bound, where
    # keras-tuner maps a step-less log Int to max + 1; the adapter must clamp it.
    space = SearchSpace([Int("units", 4, 128, log=True), Float("lr", 1e-4, 1e-1, log=True)])

    def run() -> list[dict[str, Any]]:
        strategy = KerasTunerBayesian(num_initial_points=2)
        strategy.setup(space, Fidelity(1, 1), "maximize", 3)
        configs = []
        for _ in range(5):
            p = strategy.ask(view(99))
            assert isinstance(p, Proposal)
            space.validate(p.config)
            configs.append(p.config)
            value = p.config["units"] / 128
            strategy.report(p.trial_id, 1, value)
            strategy.tell(p.trial_id, TrialResult(TrialStatus.COMPLETE, (value,)))
        oracle_units = [t.hyperparameters.values["units"] for t in strategy._oracle.trials.values()]
        assert oracle_units == [c["units"] for c in configs]  # the oracle saw the clamped value
        return configs

    configs = run()
    assert any(c["units"] == 128 for c in configs[2:])
    assert run() == configs


def test_bayesian_oracle_predicts_without_sklearns_finiteness_check() -> None:
    import sklearn

    space = SearchSpace([Int("units", 4, 128, log=True), Float("lr", 1e-4, 1e-1, log=True)])
    strategy = KerasTunerBayesian(num_initial_points=2)
    strategy.setup(space, Fidelity(1, 1), "maximize", 3)
    gpr = strategy._oracle.gpr
    seen: list[bool] = []
    predict = gpr.predict

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(sklearn.get_config()["assume_finite"])
        return predict(*args, **kwargs)

    gpr.predict = spy
    for _ in range(3):
        p = strategy.ask(view(99))
        assert isinstance(p, Proposal)
        strategy.tell(p.trial_id, TrialResult(TrialStatus.COMPLETE, (p.config["units"] / 128,)))
    assert seen and all(seen)  # the Gaussian process ran, always inside assume_finite
    assert sklearn.get_config()["assume_finite"] is False  # and only there


# -- Hyperband ------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_hyperband_targets_follow_its_brackets_and_resume_the_promoted(
    direction: Direction,
) -> None:
    seen, end = drive(KerasTunerHyperband(), seed=5, fidelity=Fidelity(1, 9), budget_epochs=999,
                      direction=direction)  # fmt: skip
    targets = [t for _, _, t, _ in seen]
    # max_epochs 9, factor 3: brackets of 9x1 -> 3x3 -> 1x9, 5x3 -> 2x9, 3x9, then done.
    assert targets == [1] * 9 + [3] * 3 + [9] + [3] * 5 + [9] * 2 + [9] * 3
    assert isinstance(end, Exhausted) and "STOPPED" in end.reason

    def value(trial_id: int) -> float:  # how good the trial was at its last epoch
        _, config, target, _ = seen[trial_id]
        return fake_value(config, target) * (1 if direction == "maximize" else -1)

    best_round0 = sorted(range(9), key=value, reverse=True)[:3]
    assert [r for _, _, _, r in seen[9:12]] == best_round0  # best first, as keras-tuner
    assert seen[12][3] == max(range(9, 12), key=value)
    assert [r for _, _, _, r in seen[18:20]] == sorted(range(13, 18), key=value, reverse=True)[:2]
    assert all(r is None for _, _, _, r in seen[:9] + seen[13:18] + seen[20:])


def test_hyperband_without_resume_retrains_from_scratch() -> None:
    strategy = KerasTunerHyperband(resume=False)
    seen, _ = drive(strategy, seed=5, fidelity=Fidelity(1, 9), budget_epochs=999)
    with_resume, _ = drive(KerasTunerHyperband(), seed=5, fidelity=Fidelity(1, 9),
                           budget_epochs=999)  # fmt: skip
    assert [(c, t) for _, c, t, _ in seen] == [(c, t) for _, c, t, _ in with_resume]
    assert all(r is None for _, _, _, r in seen)
    assert not any(strategy.keep_weights(i) for i, _, _, _ in seen)


def test_hyperband_keeps_only_weights_it_may_promote() -> None:
    strategy = KerasTunerHyperband()
    seen, _ = drive(strategy, seed=5, fidelity=Fidelity(1, 9), budget_epochs=999)
    assert {i for i, _, t, _ in seen if strategy.keep_weights(i)} == {
        i for i, _, t, _ in seen if t < 9
    }


def test_hyperband_iterations_and_min_epochs() -> None:
    once, _ = drive(KerasTunerHyperband(), seed=1, fidelity=Fidelity(1, 9), budget_epochs=999)
    twice, end = drive(KerasTunerHyperband(hyperband_iterations=2), seed=1,
                       fidelity=Fidelity(1, 9), budget_epochs=999)  # fmt: skip
    assert len(twice) == 2 * len(once) and end is not None
    forever, end = drive(KerasTunerHyperband(hyperband_iterations=0), seed=1,
                         fidelity=Fidelity(1, 9), budget_epochs=200)  # fmt: skip
    assert end is None and len(forever) > 2 * len(once)  # ran until the budget was spent
    seen, _ = drive(KerasTunerHyperband(), seed=1, fidelity=Fidelity(3, 9), budget_epochs=999)
    # no bracket below min_epochs: 5x3 -> 2x9, then 3x9 (sizes follow max_epochs, as kt)
    assert [t for _, _, t, _ in seen] == [3] * 5 + [9] * 5
    assert [r is not None for _, _, _, r in seen[5:7]] == [True, True]


def test_hyperband_waits_for_trials_in_flight_then_is_exhausted() -> None:
    strategy = KerasTunerHyperband()
    strategy.setup(mlp_space(), Fidelity(1, 1), "maximize", 0)  # one bracket of one trial
    first = strategy.ask(view(10))
    assert isinstance(first, Proposal) and first.target_epochs == 1
    assert isinstance(strategy.ask(view(10)), Wait)
    strategy.tell(first.trial_id, TrialResult(TrialStatus.COMPLETE, (0.5,)))
    assert isinstance(strategy.ask(view(10)), Exhausted)
    assert isinstance(strategy.ask(view(10)), Exhausted)


# -- files, output, imports ------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_oracle_files_go_to_the_scratch_dir_and_nothing_is_printed(
    cls: type[KerasTunerStrategy],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    strategy = cls()
    strategy.scratch_dir = tmp_path / "run" / "scratch"
    drive(strategy, seed=2, fail_every=3)
    seen, _ = drive(strategy, seed=4)  # a rerun replaces the previous run's files
    project = tmp_path / "run" / "scratch" / PROJECT_NAME
    assert strategy.project_dir == project
    assert (project / "oracle.json").is_file()
    assert len(list(project.glob("trial_*/trial.json"))) == len(seen)
    assert os.listdir(cwd) == []
    assert capsys.readouterr().out == ""


def test_without_scratch_dir_a_temporary_folder_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    strategy = KerasTunerHyperband()
    drive(strategy, seed=0)
    project = strategy.project_dir
    assert project.is_dir() and not project.is_relative_to(tmp_path)
    drive(strategy, seed=1)  # a new setup cleans the previous temporary folder
    assert not project.exists()
    assert os.listdir(tmp_path) == []


def test_importing_the_module_does_not_import_keras_tuner() -> None:
    code = (
        "import sys, tunebench.strategies.keras_tuner\n"
        "print('keras_tuner' in sys.modules, 'tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# -- parameters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "param"),
    [
        (KerasTunerHyperband(factor=1), "factor"),
        (KerasTunerHyperband(factor=2.5), "factor"),  # type: ignore[arg-type]
        (KerasTunerHyperband(factor=True), "factor"),
        (KerasTunerHyperband(hyperband_iterations=-1), "hyperband_iterations"),
        (KerasTunerHyperband(hyperband_iterations=None), "hyperband_iterations"),  # type: ignore[arg-type]
        (KerasTunerHyperband(hyperband_iterations=1.5), "hyperband_iterations"),  # type: ignore[arg-type]
        (KerasTunerHyperband(resume="no"), "resume"),  # type: ignore[arg-type]
        (KerasTunerHyperband(resume=1), "resume"),  # type: ignore[arg-type]
        (KerasTunerBayesian(num_initial_points=0), "num_initial_points"),
        (KerasTunerBayesian(num_initial_points=True), "num_initial_points"),
        (KerasTunerBayesian(alpha=0.0), "alpha"),
        (KerasTunerBayesian(alpha=float("nan")), "alpha"),
        (KerasTunerBayesian(alpha="big"), "alpha"),  # type: ignore[arg-type]
        (KerasTunerBayesian(beta=-1.0), "beta"),
        (KerasTunerBayesian(beta=float("inf")), "beta"),
    ],
)
def test_bad_params_are_named_before_anything_runs(
    strategy: KerasTunerStrategy, param: str
) -> None:
    with pytest.raises(ValueError, match=rf"^strategy '{strategy.name}': {param} must be") as exc:
        strategy.check_params()
    assert "\n" not in str(exc.value)
    with pytest.raises(ValueError, match=param):
        strategy.setup(mlp_space(), Fidelity(1, 4), "maximize", 0)
    assert not hasattr(strategy, "_oracle")


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_good_params_pass_and_unknown_params_are_refused(cls: type[KerasTunerStrategy]) -> None:
    cls().check_params()
    assert cls().get_params() == {n: getattr(cls(), n) for n in cls.param_names()}
    with pytest.raises(TypeError, match="sampler"):
        cls(sampler="tpe")  # type: ignore[call-arg]


def test_missing_dependency_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "sklearn" else real(name, *a)
    )
    with pytest.raises(ImportError, match="'kt-bayesian' needs the Python package 'sklearn'"):
        KerasTunerBayesian().check_params()
    KerasTunerHyperband().check_params()  # does not need it


def test_space_names_clashing_with_tuner_keys_are_refused() -> None:
    space = SearchSpace([Int("tuner/epochs", 1, 3)])
    with pytest.raises(ValueError, match="'tuner/epochs' clashes"):
        KerasTunerRandom().setup(space, Fidelity(1, 3), "maximize", 0)


# -- real training through the harness -------------------------------------------------------


@pytest.fixture(scope="module")
def data() -> tuple[StocksMLP, Splits]:
    problem = StocksMLP()
    return problem, problem.load(subsample=200)


@pytest.mark.slow
@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_real_run_through_the_harness(
    cls: type[KerasTunerStrategy],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    data: tuple[StocksMLP, Splits],
) -> None:
    problem, splits = data
    monkeypatch.chdir(tmp_path)
    run_dir = tmp_path / "run"
    spec = RunSpec(matrix="t", problem=problem.name, max_epochs=3, strategy=cls.name,
                   strategy_label=cls.name, seed=0, full_evaluations=2, subsample=200)  # fmt: skip
    strategy = cls()
    record = execute_run(spec, run_dir, problem, splits, strategy)
    assert record.status == "complete"
    assert record.ledger.epochs <= 6  # 2 full evaluations x 3 epochs
    assert record.result.best_trial is not None
    events = read_trials(run_dir)
    starts = [e for e in events if e["event"] == "trial_start"]
    ends = {e["trial"]: e for e in events if e["event"] == "trial_end"}
    assert all(not k.startswith("tuner/") for s in starts for k in s["config"])
    resumed = [s for s in starts if s["resume_from"] is not None]
    for s in resumed:
        assert s["start_epoch"] == ends[s["resume_from"]]["epochs"]
    if cls is KerasTunerHyperband:
        # 3 trials at 1 epoch, then the best continues to 3 (2 new epochs), then the cap.
        assert [s["target_epochs"] for s in starts][:4] == [1, 1, 1, 3]
        assert len(resumed) == 1 and resumed[0]["start_epoch"] == 1
    else:
        assert not resumed
    assert os.listdir(tmp_path) == ["run"]
    # the harness points the strategy's scratch folder inside the run's folder
    assert strategy.project_dir.is_relative_to(run_dir)
    assert len(list(strategy.project_dir.glob("trial_*/trial.json"))) == len(starts)
