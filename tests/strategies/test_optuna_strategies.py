"""tpe, gp, hyperband, sha, median-stop and the finite-space rule of the optuna adapter."""

from __future__ import annotations

import statistics
import sys

import optuna
import pytest

from tunebench.datasets.stocks import mlp_space
from tunebench.strategies import (
    Fidelity,
    GPSearch,
    HyperbandSearch,
    MedianStopSearch,
    RandomSearch,
    SuccessiveHalvingSearch,
    TPESearch,
    TrialStatus,
)
from tunebench.strategies.optuna_samplers import torch_available
from tunebench.strategies.space import Categorical, Int, SearchSpace
from tunebench.strategies.testing import drive, fake_value, mlp_like_space


def mean_value(out_proposals: list, space: SearchSpace) -> float:
    return statistics.mean(fake_value(space, p.config, 4) for p in out_proposals)


def test_tpe_is_multivariate_grouped_and_learns() -> None:
    strategy = TPESearch()
    space = mlp_like_space()
    out = drive(strategy, space=space, budget_epochs=4 * 80)
    sampler = strategy.study.sampler
    assert isinstance(sampler, optuna.samplers.TPESampler)
    assert sampler._multivariate is True and sampler._group is True
    random_out = drive(RandomSearch(), space=space, budget_epochs=4 * 80)
    # after the random start-up, TPE proposes clearly better configs than random search
    assert mean_value(out.proposals[-40:], space) > mean_value(random_out.proposals[-40:], space)


def test_tpe_models_conditional_parameters() -> None:
    out = drive(TPESearch(), space=mlp_space(), budget_epochs=4 * 40)
    layers = {p.config["n_layers"] for p in out.proposals}
    assert layers == {1, 2, 3}
    for p in out.proposals:
        assert ("units_3" in p.config) == (p.config["n_layers"] == 3)


@pytest.mark.skipif(not torch_available(), reason="needs torch")
def test_gp_handles_a_conditional_space() -> None:
    strategy = GPSearch(n_startup_trials=5)
    out = drive(strategy, space=mlp_space(), budget_epochs=4 * 12)
    assert isinstance(strategy.study.sampler, optuna.samplers.GPSampler)
    gp_phase = out.proposals[5:]
    assert len(gp_phase) == 7
    # conditional units are sampled independently, so each config is still valid and whole
    for p in out.proposals:
        assert ("units_2" in p.config) == (p.config["n_layers"] >= 2)
        assert ("units_3" in p.config) == (p.config["n_layers"] == 3)


def test_gp_without_torch_is_refused_before_training(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    with pytest.raises(ValueError, match=r"gp: .*needs PyTorch.*pip install torch"):
        GPSearch().check_params()


def test_hyperband_prunes_on_epochs_up_to_max_epochs() -> None:
    strategy = HyperbandSearch()
    out = drive(strategy, budget_epochs=9 * 30, fidelity=Fidelity(1, 9))
    pruner = strategy.study.pruner
    assert isinstance(pruner, optuna.pruners.HyperbandPruner)
    assert (pruner._min_resource, pruner._max_resource, pruner._reduction_factor) == (1, 9, 3)
    assert pruner._n_brackets == 3
    stopped = [r for r in out.results.values() if r.reason == "strategy"]
    assert len(stopped) > len(out.results) / 3
    assert {len(r.values) for r in stopped} <= {1, 3}  # rungs at 1 and 3 epochs
    assert all(p.target_epochs == 9 and p.resume_from is None for p in out.proposals)


def test_hyperband_brackets_follow_the_seed_not_a_random_study_name() -> None:
    runs = [drive(HyperbandSearch(sampler="tpe"), seed=3, budget_epochs=120) for _ in range(2)]
    assert runs[0].trace() == runs[1].trace()
    strategy = HyperbandSearch()
    drive(strategy, seed=3, budget_epochs=8)
    assert strategy.study.study_name == "tunebench-hyperband-3"


@pytest.mark.parametrize("sampler", ["random", "tpe"])
def test_sha_and_median_stop_prune_with_either_sampler(sampler: str) -> None:
    for strategy in (SuccessiveHalvingSearch(sampler=sampler), MedianStopSearch(sampler=sampler)):
        out = drive(strategy, budget_epochs=4 * 30)
        stopped = [r for r in out.results.values() if r.reason == "strategy"]
        assert stopped, type(strategy).__name__
        expected = optuna.samplers.TPESampler if sampler == "tpe" else optuna.samplers.RandomSampler
        assert isinstance(strategy.study.sampler, expected)
        assert all(r.status is not TrialStatus.FAILED for r in out.results.values())


def test_median_stop_waits_for_its_startup_trials() -> None:
    out = drive(MedianStopSearch(n_startup_trials=5), budget_epochs=4 * 20)
    first = [out.results[p.trial_id] for p in out.proposals[:5]]
    assert all(r.status is TrialStatus.COMPLETE for r in first)


@pytest.mark.parametrize("cls", [RandomSearch, TPESearch, HyperbandSearch])
def test_finite_space_configs_are_never_repeated(cls: type) -> None:
    space = SearchSpace([Int("a", 1, 3), Categorical("b", ("x", "y")), Int("c", 0, 10, step=5)])
    out = drive(cls(), space=space, budget_epochs=10_000)
    keys = [space.config_key(p.config) for p in out.proposals]
    assert len(keys) == len(set(keys)) == 18  # every Int value counts, not only the grid
    assert out.ended == "exhausted"


class _StuckSampler(optuna.samplers.BaseSampler):
    """Always proposes the first value of every parameter, like a converged sampler."""

    def infer_relative_search_space(self, study, trial):  # type: ignore[no-untyped-def]
        return {}

    def sample_relative(self, study, trial, search_space):  # type: ignore[no-untyped-def]
        return {}

    def sample_independent(self, study, trial, name, distribution):  # type: ignore[no-untyped-def]
        choices = getattr(distribution, "choices", None)
        return choices[0] if choices is not None else distribution.low


class _StuckSearch(RandomSearch):
    name = "stuck"

    def make_sampler(self, seed: int) -> optuna.samplers.BaseSampler:
        return _StuckSampler()


def test_a_sampler_stuck_on_proposed_configs_costs_three_asks_per_fallback() -> None:
    space = SearchSpace([Int("a", 1, 3), Categorical("b", ("x", "y"))])
    strategy = _StuckSearch()
    out = drive(strategy, space=space, budget_epochs=10_000)
    keys = [space.config_key(p.config) for p in out.proposals]
    assert len(keys) == len(set(keys)) == 6 and out.ended == "exhausted"
    states = [t.state for t in strategy.study.get_trials(deepcopy=False)]
    failed = states.count(optuna.trial.TrialState.FAIL)
    # every proposal after the first: 3 repeats closed as failed, then an unseen config
    assert failed == 3 * (len(keys) - 1)


def test_spaces_with_a_float_have_no_exhaustion_rule() -> None:
    out = drive(RandomSearch(), space=mlp_like_space(), budget_epochs=4 * 30)
    assert out.ended == "budget" and len(out.proposals) == 30
