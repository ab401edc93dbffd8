"""``smac``, ``smac-hb``, ``smac-parego``: SMAC3's own optimizers, through its ask/tell API.

``smac`` is SMAC3's ``HyperparameterOptimizationFacade`` (Bayesian optimisation with a
random forest, the reference optimiser of HPOBench and CARP-S), every config trained to
``max_epochs``. ``smac-hb`` is its ``MultiFidelityFacade`` (the same model with a
Hyperband intensifier, "SMAC-HB"): a trial's budget, rounded into
``min_epochs..max_epochs``, is its ``target_epochs``, and a configuration promoted to a
larger budget continues the promoted trial's weights (``resume_from``).
``smac-parego`` is the same facade on a multi-objective scenario with SMAC3's ParEGO
(issue 39): a random weighting of the normalised objectives per iteration, scalarised
by the augmented Tchebycheff norm, modelled by the forest.

SMAC3 is installed without the ``pyrfr`` forest it can use (pyrfr builds from source
with swig); it then fits scikit-learn's random forest. Three settings differ from
SMAC's defaults, each because the default breaks a benchmark run: ``deterministic =
True`` (else it re-runs a config on up to 3 seeds: identical proposals), a failed
trial costs the worst cost seen so far (an infinite one makes its forest's targets NaN),
and the run history is never written on every tell. Served another config than it
proposed (replay on a sampled table), SMAC is told the result under the served config
(a trial it did not ask for, as SMAC allows); the proposal stays a trial without a
result, which its model does not train on. SMAC's proposals depend on
Python's string hashing (it builds a ``set`` of configurations), so tunebench runs its
runs in processes whose ``PYTHONHASHSEED`` is fixed (``fixed_hash_seed``).
"""

from __future__ import annotations

import math
import warnings
from typing import Any, ClassVar

from tunebench.strategies._common import (
    Promotions,
    check_bool,
    check_int,
    check_real,
    library_seed,
    require_modules,
    scratch_folder,
)
from tunebench.strategies.base import (
    BudgetView,
    Direction,
    Exhausted,
    Fidelity,
    Proposal,
    Strategy,
    TrialResult,
    TrialStatus,
    Wait,
)
from tunebench.strategies.space import SearchSpace
from tunebench.strategies.space.convert import active_config, to_configspace, to_configuration

__all__ = ["SMACHyperband", "SMACParEGO", "SMACSearch"]


class _SMAC(Strategy):
    """SMAC3 through ask/tell; subclasses pick the facade."""

    fixed_hash_seed: ClassVar[bool] = True
    multi_fidelity: ClassVar[bool] = False
    resume: bool = True  # promotions continue from weights (SMAC-HB's parameter)

    def __init__(self, n_trials: int = 100) -> None:
        self.n_trials = n_trials

    def check_params(self) -> None:
        """``n_trials`` >= 1; SMAC3 installed."""
        check_int(self.name, "n_trials", self.n_trials, 1)
        require_modules(self.name, ("smac",), "pip install 'smac==2.4.1'")

    def setup(
        self, space: SearchSpace, fidelity: Fidelity, direction: Direction, seed: int
    ) -> None:
        """Build the facade with its files in the scratch folder."""
        self.check_params()
        super().setup(space, fidelity, direction, seed)
        from smac import Scenario

        out = scratch_folder(self.scratch_dir, "tunebench-smac-") / "smac3_output"
        smac_seed = library_seed(seed)
        scenario = Scenario(
            to_configspace(space, smac_seed),
            deterministic=True,
            n_trials=self.n_trials,  # sizes SMAC's initial design (a quarter of it at most)
            seed=smac_seed,
            objectives=self.scenario_objectives(),
            output_directory=out,
            min_budget=fidelity.min_epochs if self.multi_fidelity else None,
            max_budget=fidelity.max_epochs if self.multi_fidelity else None,
        )
        with _quiet():
            self._smac = self.make_facade(scenario)
        self._infos: dict[int, Any] = {}
        self._promotions = Promotions(self.resume)  # keyed by the config
        self._worst: float | None = None
        self._exhausted = ""

    def make_facade(self, scenario: Any) -> Any:  # pragma: no cover - subclasses
        """The SMAC facade for one run."""
        raise NotImplementedError

    def scenario_objectives(self) -> str | list[str]:
        """The scenario's objective names: SMAC's default single ``cost`` here."""
        return "cost"

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        """SMAC's next trial; a promotion to a larger budget resumes the promoted trial."""
        from smac.main.exceptions import ConfigurationSpaceExhaustedException

        if self._exhausted:
            return Exhausted(self._exhausted)
        with _quiet():
            try:
                info = self._smac.ask()
            except (StopIteration, ConfigurationSpaceExhaustedException):
                self._exhausted = "SMAC found no configuration it has not tried"
                return Exhausted(self._exhausted)
        config = active_config(self.space, dict(info.config))
        target = self.fidelity.max_epochs
        if info.budget is not None:
            target = min(max(round(info.budget), self.fidelity.min_epochs), target)
        trial_id = self.new_trial_id()
        promotable = info.budget is not None and target < self.fidelity.max_epochs
        resume_from = self._promotions.propose(
            trial_id, self.space.config_key(config), target, promotable
        )
        self._infos[trial_id] = info
        return Proposal(trial_id, config, target, resume_from)

    def evaluated_as(self, trial_id: int, config: dict[str, Any]) -> None:
        """Tell the result under the served config, and promote (SMAC-HB) that one."""
        from smac.runhistory import TrialInfo

        info = self._infos[trial_id]
        served = to_configuration(self._smac.scenario.configspace, config)
        self._infos[trial_id] = TrialInfo(
            config=served, instance=info.instance, seed=info.seed, budget=info.budget
        )
        self._promotions.rekey(trial_id, self.space.config_key(config))

    def tell(self, trial_id: int, result: TrialResult) -> None:
        """Tell SMAC the cost (minimised); a failed or cut trial costs the worst seen."""
        from smac.runhistory import TrialValue
        from smac.runhistory.enumerations import StatusType

        info = self._infos.pop(trial_id)
        self._promotions.ended(trial_id, result.epochs, result.status is TrialStatus.FAILED)
        value = result.last_value
        seconds = float(len(result.values))
        if result.status is TrialStatus.COMPLETE and value is not None and math.isfinite(value):
            cost = -value if self.direction == "maximize" else value
            self._worst = cost if self._worst is None else max(self._worst, cost)
            told = TrialValue(cost=cost, time=seconds, status=StatusType.SUCCESS)
        else:
            worst = self._worst if self._worst is not None else 0.0
            told = TrialValue(cost=worst, time=seconds, status=StatusType.CRASHED)
        with _quiet():
            self._smac.tell(info, told, save=False)

    def keep_weights(self, trial_id: int) -> bool:
        """Trials below ``max_epochs`` that SMAC-HB may promote."""
        return self._promotions.keeps(trial_id)


class SMACSearch(_SMAC):
    """SMAC3's Bayesian optimisation with a random forest; full evaluations.

    Args:
        n_trials: SMAC's planned number of trials (sizes its initial Sobol design).
    """

    name = "smac"

    def make_facade(self, scenario: Any) -> Any:
        """``HyperparameterOptimizationFacade``."""
        from smac import HyperparameterOptimizationFacade

        return HyperparameterOptimizationFacade(
            scenario, target_function=None, overwrite=True, logging_level=40
        )


class SMACHyperband(_SMAC):
    """SMAC3's random-forest model with a Hyperband intensifier (SMAC-HB).

    Args:
        n_trials: SMAC's planned number of trials (sizes its initial design).
        eta: Hyperband's reduction factor.
        resume: Promotions continue from weights (``True``) or retrain from scratch.
    """

    name = "smac-hb"
    multi_fidelity = True

    def __init__(self, n_trials: int = 100, eta: int = 3, resume: bool = True) -> None:
        super().__init__(n_trials)
        self.eta = eta
        self.resume = resume

    def check_params(self) -> None:
        """``eta`` >= 2 and ``resume`` a bool, besides the base checks."""
        check_int(self.name, "eta", self.eta, 2)
        check_bool(self.name, "resume", self.resume)
        super().check_params()

    def make_facade(self, scenario: Any) -> Any:
        """``MultiFidelityFacade`` with its Hyperband intensifier at ``eta``."""
        from smac import MultiFidelityFacade

        intensifier = MultiFidelityFacade.get_intensifier(scenario, eta=self.eta)
        return MultiFidelityFacade(
            scenario,
            target_function=None,
            intensifier=intensifier,
            overwrite=True,
            logging_level=40,
        )


class SMACParEGO(_SMAC):
    """SMAC3's multi-objective optimisation with ParEGO; full evaluations.

    SMAC3's ``HyperparameterOptimizationFacade`` on a scenario with one objective per
    entry objective (each signed to be minimised), with its ``ParEGO`` algorithm: each
    iteration draws a weight vector, scalarises every run's objectives (normalised over
    the run history) by the augmented Tchebycheff norm, and the random forest models
    that scalar. Every trial trains to ``max_epochs``: partial curves are not used; a
    trial that failed or was cut short by the budget is told as crashed, costing the
    worst value seen per objective (as ``smac`` does).

    Args:
        n_trials: SMAC's planned number of trials (sizes its initial Sobol design).
        rho: ParEGO's weight of the sum in the augmented Tchebycheff norm.
    """

    name = "smac-parego"
    multi_objective: ClassVar[bool] = True
    _worst_vector: list[float] | None = None  # per objective, signed: a crash's cost

    def __init__(self, n_trials: int = 100, rho: float = 0.05) -> None:
        super().__init__(n_trials)
        self.rho = rho

    def check_params(self) -> None:
        """``rho`` a number >= 0, besides the base checks."""
        check_real(self.name, "rho", self.rho, 0.0)
        super().check_params()

    def scenario_objectives(self) -> list[str]:
        """One SMAC objective per entry objective."""
        if self.objectives is None:
            raise ValueError(f"strategy {self.name!r} runs on multi-objective entries only")
        return list(self.objectives.names)

    def make_facade(self, scenario: Any) -> Any:
        """``HyperparameterOptimizationFacade`` with ``ParEGO``."""
        from smac import HyperparameterOptimizationFacade
        from smac.multi_objective.parego import ParEGO

        return HyperparameterOptimizationFacade(
            scenario,
            target_function=None,
            multi_objective_algorithm=ParEGO(scenario, rho=self.rho),
            overwrite=True,
            logging_level=40,
        )

    def tell(self, trial_id: int, result: TrialResult) -> None:
        """Tell SMAC the signed vector; a trial without one costs the worst seen."""
        from smac.runhistory import TrialValue
        from smac.runhistory.enumerations import StatusType

        assert self.objectives is not None
        info = self._infos.pop(trial_id)
        seconds = float(len(result.values))
        if result.objectives is not None and all(math.isfinite(v) for v in result.objectives):
            cost = list(self.objectives.signed(result.objectives))
            worst = self._worst_vector
            self._worst_vector = (
                cost if worst is None else [max(a, b) for a, b in zip(worst, cost, strict=True)]
            )
            told = TrialValue(cost=cost, time=seconds, status=StatusType.SUCCESS)
        else:
            crashed = self._worst_vector or [0.0] * len(self.objectives.names)
            told = TrialValue(cost=list(crashed), time=seconds, status=StatusType.CRASHED)
        with _quiet():
            self._smac.tell(info, told, save=False)

    def setup(
        self, space: SearchSpace, fidelity: Fidelity, direction: Direction, seed: int
    ) -> None:
        """The base setup, with no worst vector yet."""
        super().setup(space, fidelity, direction, seed)
        self._worst_vector = None


class _quiet(warnings.catch_warnings):
    """SMAC and ConfigSpace warn about deprecations and their own settings on every call."""

    def __enter__(self) -> None:
        super().__enter__()
        warnings.simplefilter("ignore")
