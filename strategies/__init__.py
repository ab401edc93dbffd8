"""Search strategies behind one protocol, and their registry.

Built-in strategies are listed here; installed packages add more through the
``tunebench.strategies`` entry-point group (see :mod:`tunebench.plugins`).
:mod:`tunebench.strategies.testing` is the conformance kit every strategy must pass.
"""

from __future__ import annotations

from tunebench.plugins import load_registry
from tunebench.strategies._optuna import OptunaStrategy
from tunebench.strategies.base import (
    BudgetView,
    Decision,
    Exhausted,
    Fidelity,
    Objectives,
    Proposal,
    Strategy,
    TrialResult,
    TrialStatus,
    Wait,
)
from tunebench.strategies.dehb import DEHBSearch
from tunebench.strategies.evolutionary import EvolutionaryMutation, EvolutionaryPruning
from tunebench.strategies.grid import GridSearch
from tunebench.strategies.i_epoch import IEpoch
from tunebench.strategies.keras_tuner import (
    KerasTunerBayesian,
    KerasTunerHyperband,
    KerasTunerRandom,
)
from tunebench.strategies.multi_objective import (
    MOASHA,
    NSGA2,
    MultiObjectiveOptuna,
    MultiObjectiveRandom,
    MultiObjectiveTPE,
    RandomScalarisation,
)
from tunebench.strategies.one_at_a_time import OneAtATime
from tunebench.strategies.optuna_samplers import GPSearch, OptunaSamplerByName, TPESearch
from tunebench.strategies.pruners import HyperbandSearch, MedianStopSearch, SuccessiveHalvingSearch
from tunebench.strategies.random_search import RandomSearch
from tunebench.strategies.secretary import Secretary
from tunebench.strategies.smac import SMACHyperband, SMACParEGO, SMACSearch
from tunebench.strategies.syne_tune import (
    ASHA,
    BOHB,
    RegularizedEvolution,
    SyneTuneSchedulerByName,
)
from tunebench.strategies.syne_tune_pbt import PopulationBasedTraining

__all__ = [
    "ASHA",
    "BOHB",
    "MOASHA",
    "NSGA2",
    "BudgetView",
    "DEHBSearch",
    "Decision",
    "EvolutionaryMutation",
    "EvolutionaryPruning",
    "Exhausted",
    "Fidelity",
    "GPSearch",
    "GridSearch",
    "HyperbandSearch",
    "IEpoch",
    "KerasTunerBayesian",
    "KerasTunerHyperband",
    "KerasTunerRandom",
    "MedianStopSearch",
    "MultiObjectiveOptuna",
    "MultiObjectiveRandom",
    "MultiObjectiveTPE",
    "Objectives",
    "OneAtATime",
    "OptunaSamplerByName",
    "OptunaStrategy",
    "PopulationBasedTraining",
    "Proposal",
    "RandomScalarisation",
    "RandomSearch",
    "RegularizedEvolution",
    "SMACHyperband",
    "SMACParEGO",
    "SMACSearch",
    "Secretary",
    "Strategy",
    "SuccessiveHalvingSearch",
    "SyneTuneSchedulerByName",
    "TPESearch",
    "TrialResult",
    "TrialStatus",
    "Wait",
    "available_strategies",
]

_BUILTINS: dict[str, type[Strategy]] = {
    cls.name: cls
    for cls in (
        GridSearch,
        RandomSearch,
        TPESearch,
        GPSearch,
        OptunaSamplerByName,
        HyperbandSearch,
        SuccessiveHalvingSearch,
        MedianStopSearch,
        EvolutionaryPruning,
        EvolutionaryMutation,
        OneAtATime,
        Secretary,
        IEpoch,
        ASHA,
        BOHB,
        RegularizedEvolution,
        SyneTuneSchedulerByName,
        PopulationBasedTraining,
        DEHBSearch,
        SMACSearch,
        SMACHyperband,
        KerasTunerRandom,
        KerasTunerBayesian,
        KerasTunerHyperband,
        MultiObjectiveRandom,
        NSGA2,
        MultiObjectiveTPE,
        RandomScalarisation,
        MOASHA,
        SMACParEGO,
    )
}


def available_strategies() -> dict[str, type[Strategy]]:
    """Return every known strategy class by name (built-ins and plug-ins)."""
    return load_registry("tunebench.strategies", _BUILTINS, Strategy)
