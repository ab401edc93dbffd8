"""The library adapters learn the config they were served, not the one they proposed.

Replay on a sampled table serves a proposal from the nearest recorded config; the loop
then calls ``evaluated_as``, and each adapter must put the served config into its
library's own history (SMAC's run history, DEHB's config repository, keras-tuner's
oracle trials), where the library's model or promotions read it.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import optuna
import pytest

from tunebench.strategies import DEHBSearch, SMACHyperband, SMACSearch
from tunebench.strategies.base import (
    BudgetView,
    Objectives,
    Proposal,
    Strategy,
    TrialResult,
    TrialStatus,
)
from tunebench.strategies.keras_tuner import KerasTunerBayesian, KerasTunerHyperband
from tunebench.strategies.multi_objective import NSGA2, MultiObjectiveRandom
from tunebench.strategies.space.convert import active_config, to_configuration
from tunebench.strategies.testing import FIDELITY, mlp_like_space

SPACE = mlp_like_space()
SERVED = SPACE.canonical(
    {
        "n_layers": 3,
        "units_1": 100,
        "units_2": 50,
        "units_3": 20,
        "optimizer": "sgd",
        "learning_rate": 0.05,
        "dropout": 0.33,
        "batch_size": 256,
    }
)
BUDGET = BudgetView(used=0.0, total=10.0, remaining_epochs=40, seconds_used=0.0, seconds_total=None)


def _served_once(strategy: Strategy) -> Proposal:
    """Ask once, serve SERVED in its place, and end the trial with a value per epoch."""
    strategy.setup(SPACE, FIDELITY, "maximize", 3)
    proposal = strategy.ask(BUDGET)
    assert isinstance(proposal, Proposal)
    assert proposal.config != SERVED  # else the test would not tell the two apart
    strategy.evaluated_as(proposal.trial_id, dict(SERVED))
    values = tuple(0.5 for _ in range(proposal.target_epochs))
    strategy.tell(proposal.trial_id, TrialResult(TrialStatus.COMPLETE, values))
    return proposal


@pytest.mark.parametrize("cls", [SMACSearch, SMACHyperband])
def test_smac_is_told_the_served_config(cls: type[Strategy]) -> None:
    from smac.runhistory.enumerations import StatusType

    strategy: Any = cls()
    _served_once(strategy)
    history = strategy._smac.runhistory
    told = [
        active_config(SPACE, dict(history.get_config(key.config_id)))
        for key, value in history.items()
        if value.status == StatusType.SUCCESS
    ]
    assert told == [SERVED]


@pytest.mark.skipif(importlib.util.find_spec("dehb") is None, reason="dehb is not installed")
def test_dehb_selects_from_the_served_config() -> None:
    strategy: Any = DEHBSearch()
    strategy.setup(SPACE, FIDELITY, "maximize", 3)
    proposal = strategy.ask(BUDGET)
    job = strategy._jobs[proposal.trial_id]
    strategy.evaluated_as(proposal.trial_id, dict(SERVED))
    strategy.tell(proposal.trial_id, TrialResult(TrialStatus.COMPLETE, (0.5,)))
    dehb = strategy._dehb
    expected = dehb.configspace_to_vector(to_configuration(dehb.cs, SERVED))
    assert (dehb.config_repository.get(int(job["config_id"])) == expected).all()


@pytest.mark.parametrize("cls", [KerasTunerBayesian, KerasTunerHyperband])
def test_keras_tuner_oracle_records_the_served_config(cls: type[Strategy]) -> None:
    strategy: Any = cls()
    proposal = _served_once(strategy)
    assert proposal.trial_id == 0
    (trial,) = strategy._oracle.trials.values()
    assert trial.status == "COMPLETED"
    assert strategy.space.from_keras_tuner(trial.hyperparameters.values) == SERVED


def _served_run(strategy: Strategy, trials: int) -> list[dict[str, Any]]:
    """Serve every proposal as itself through ``evaluated_as``; return the proposals."""
    strategy.objectives = Objectives(("metric", "params"), (False, True))
    strategy.setup(SPACE, FIDELITY, "maximize", 5)
    proposals = []
    for _ in range(trials):
        proposal = strategy.ask(BUDGET)
        assert isinstance(proposal, Proposal)
        proposals.append(proposal.config)
        # served a recorded config: here the proposal's own values, through the same path
        strategy.evaluated_as(proposal.trial_id, dict(proposal.config))
        units = float(proposal.config["units_1"])
        vector = (units / 128.0, float(proposal.config["batch_size"]) * units)
        values = (vector[0],) * proposal.target_epochs
        result = TrialResult(TrialStatus.COMPLETE, values, objectives=vector)
        strategy.tell(proposal.trial_id, result)
    return proposals


def test_nsga2_breeds_generations_when_every_trial_is_served() -> None:
    # A served trial's params are all enqueued, so optuna never samples it; it must
    # still join the generation its proposal was drawn for, or NSGA-II stays random.
    population = 4
    nsga2: Any = NSGA2(population_size=population)
    bred = _served_run(nsga2, 4 * population)
    random = _served_run(MultiObjectiveRandom(), 4 * population)
    assert bred[:population] == random[:population]  # the first generation is random
    assert bred[population:] != random[population:]
    key = "NSGAIISampler:generation"
    told = nsga2.study.get_trials(deepcopy=False, states=[optuna.trial.TrialState.COMPLETE])
    assert len(told) == 4 * population
    assert sorted({t.system_attrs[key] for t in told}) == [0, 1, 2, 3]
