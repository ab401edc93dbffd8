"""Multi-objective strategies (issue 39): mo-random, nsga2, mo-tpe, random-scalarisation, moasha.

Each searches the objective vector of a multi-objective matrix entry
(``objectives = ["metric", "train_seconds"]``, say) and runs only there
(``multi_objective = True``). The harness tells a trial's vector
(:attr:`~tunebench.strategies.base.TrialResult.objectives`) when its weights reached
``max_epochs``. The first four are optuna studies with one direction per objective;
``moasha`` is syne-tune's multi-objective asynchronous successive halving.

**Partial curves.** optuna cannot prune a multi-objective study (``Trial.should_prune``
refuses one), so the optuna strategies never stop a trial early: every trial trains to
``max_epochs``, its per-epoch reports are read by nobody, and a trial the budget cuts
short has no vector and is told to optuna as failed (its samplers skip failed trials).
``moasha`` is the one that uses partial curves: it ranks each trial's partial vector
(:meth:`~tunebench.strategies.base.Strategy.report_objectives`) at every rung and stops
the dominated ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import optuna

from tunebench.strategies._common import check_int
from tunebench.strategies._optuna import OptunaStrategy, make_tpe
from tunebench.strategies.base import (
    BudgetView,
    Decision,
    Exhausted,
    Proposal,
    TrialResult,
    Wait,
)
from tunebench.strategies.syne_tune import RESOURCE, HalvingStrategy

if TYPE_CHECKING:
    from optuna.samplers import BaseSampler

__all__ = [
    "MOASHA",
    "NSGA2",
    "MultiObjectiveOptuna",
    "MultiObjectiveRandom",
    "MultiObjectiveTPE",
    "RandomScalarisation",
]


class MultiObjectiveOptuna(OptunaStrategy):
    """Base of the optuna multi-objective strategies: a study with several directions.

    Subclasses implement :meth:`make_sampler`. A trial with a vector is told to optuna
    complete with it; any other (cut short by the budget, or failed) as failed.
    """

    multi_objective: ClassVar[bool] = True

    def study_directions(self) -> dict[str, Any]:
        """One optuna direction per objective, in the vector's order."""
        if self.objectives is None:
            raise ValueError(f"strategy {self.name!r} runs on multi-objective entries only")
        return {"directions": ["minimize" if m else "maximize" for m in self.objectives.minimise]}

    def tell(self, trial_id: int, result: TrialResult) -> None:
        """Close the optuna trial: complete with its vector, else failed."""
        trial = self._trials.pop(trial_id)
        if result.objectives is not None:
            self.study.tell(trial, list(result.objectives))
        else:
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)


class MultiObjectiveRandom(MultiObjectiveOptuna):
    """Random search on a multi-objective entry (optuna's RandomSampler).

    The same proposals as ``random`` for the same seed; its result is the
    non-dominated set of what it trained. Every trial trains to ``max_epochs`` (see the
    module's note on partial curves).
    """

    name = "mo-random"

    def __init__(self) -> None:
        pass

    def make_sampler(self, seed: int) -> BaseSampler:
        """A seeded RandomSampler."""
        return optuna.samplers.RandomSampler(seed=seed)


class NSGA2(MultiObjectiveOptuna):
    """NSGA-II (optuna's ``NSGAIISampler``): a genetic algorithm on Pareto ranks.

    The first generation is random; each later one is bred (crossover, mutation) from
    the previous generations' elite by non-dominated sorting and crowding distance.
    Every trial trains to ``max_epochs``; a trial cut short by the budget is told as
    failed (optuna cannot prune a multi-objective study).

    Args:
        population_size: Trials per generation. Smaller than optuna's default (50)
            so that the budgets of a benchmark (tens of full evaluations) see several
            generations rather than one random one.
    """

    name = "nsga2"

    def __init__(self, population_size: int = 10) -> None:
        self.population_size = population_size

    def check_params(self) -> None:
        """``population_size`` an int >= 2 (crossover needs two parents)."""
        check_int(self.name, "population_size", self.population_size, 2)

    def make_sampler(self, seed: int) -> BaseSampler:
        """A seeded NSGAIISampler."""
        return optuna.samplers.NSGAIISampler(population_size=self.population_size, seed=seed)


class MultiObjectiveTPE(MultiObjectiveOptuna):
    """Multi-objective TPE (optuna's ``TPESampler`` on a study with several directions).

    After ``n_startup_trials`` random configs, TPE splits the finished trials into good
    and bad ones by non-dominated rank (and hypervolume contribution within a rank) and
    proposes where the good ones' density is high relative to the bad ones'. Every trial
    trains to ``max_epochs``; a trial cut short by the budget is told as failed (optuna
    cannot prune a multi-objective study).

    Args:
        n_startup_trials: Random configs before TPE takes over.
    """

    name = "mo-tpe"

    def __init__(self, n_startup_trials: int = 10) -> None:
        self.n_startup_trials = n_startup_trials

    def check_params(self) -> None:
        """``n_startup_trials`` an int >= 0."""
        check_int(self.name, "n_startup_trials", self.n_startup_trials, 0)

    def make_sampler(self, seed: int) -> BaseSampler:
        """A seeded multivariate, grouped TPESampler (as ``tpe``'s)."""
        return make_tpe(seed, self.n_startup_trials)


class RandomScalarisation(MultiObjectiveOptuna):
    """Baseline: a random weighting of the objectives per trial, driving single-objective TPE.

    For each proposal after ``n_startup_trials`` random ones, a weight vector is drawn
    uniformly from the simplex (Dirichlet(1, ..., 1)); every finished trial's vector is
    normalised min-max over the finished trials (so no objective dominates by its unit;
    raw values, so a log-scale objective such as ``params`` counts its large values most)
    and scalarised by the weighted Tchebycheff norm (the largest weighted normalised
    objective, which can reach every point of a Pareto front, unlike a weighted sum);
    a fresh single-objective TPE study over those scalars proposes the next config. The
    weights are the strategy's own seed stream, so the same seed proposes the same
    configs.

    Every trial trains to ``max_epochs``: the scalarisation is defined on full vectors
    only, so partial curves are not used; a trial cut short by the budget is told as
    failed.

    Args:
        n_startup_trials: Random configs before the scalarised TPE takes over.
    """

    name = "random-scalarisation"

    def __init__(self, n_startup_trials: int = 10) -> None:
        self.n_startup_trials = n_startup_trials

    def check_params(self) -> None:
        """``n_startup_trials`` an int >= 1 (TPE needs one finished trial)."""
        check_int(self.name, "n_startup_trials", self.n_startup_trials, 1)

    def make_sampler(self, seed: int) -> BaseSampler:
        """The study's own sampler: random, for the startup proposals."""
        # Separate stream for the weights and the per-proposal TPE seeds.
        self._weights = np.random.default_rng([seed, 1])
        return optuna.samplers.RandomSampler(seed=seed)

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        """Queue the scalarised TPE's proposal (after the startup), then ask the study."""
        suggestion = self._scalarised()
        if suggestion is not None:
            self.study.enqueue_trial(suggestion)
        return super().ask(budget)

    def _scalarised(self) -> dict[str, Any] | None:
        """The next config of a fresh TPE over the randomly weighted finished trials."""
        done = self.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if len(done) < self.n_startup_trials or self.objectives is None:
            return None
        signs = np.array([1.0 if m else -1.0 for m in self.objectives.minimise])
        values = np.array([t.values for t in done], dtype=np.float64) * signs
        low, span = values.min(axis=0), np.ptp(values, axis=0)
        normalised = (values - low) / np.where(span > 0, span, 1.0)
        weights = self._weights.dirichlet(np.ones(len(signs)))
        scalars = (normalised * weights).max(axis=1)
        side = optuna.create_study(
            direction="minimize",
            sampler=make_tpe(int(self._weights.integers(2**31 - 1)), n_startup_trials=0),
        )
        side.add_trials(
            optuna.trial.create_trial(
                params=t.params, distributions=t.distributions, value=float(s)
            )
            for t, s in zip(done, scalars, strict=True)
        )
        trial = side.ask()
        return self.space.suggest_optuna(trial)


class MOASHA(HalvingStrategy):
    """syne-tune's MOASHA: asynchronous successive halving on Pareto ranks, random configs.

    Configs are drawn at random. A trial reaching a rung (``grace_period *
    reduction_factor**k`` epochs) goes on only if its partial objective vector (the
    metric at that epoch, the seconds trained so far, the config's fixed costs) ranks
    in the top ``1 / reduction_factor`` of the vectors recorded at that rung, by
    syne-tune's non-dominated sorting; nothing waits for a rung to fill, so it runs
    asynchronously with trials in flight. A trial it stops has no full vector and does
    not count in the run's front; every trial that survives every rung trains to
    ``max_epochs``.

    Args:
        grace_period: Epochs of the first rung; default the problem's ``min_epochs``.
        reduction_factor: ``eta``; at least 2.
        brackets: 1 for MOASHA; more for Hyperband-like stopping brackets.
    """

    name = "moasha"
    multi_objective: ClassVar[bool] = True

    def _metrics(self) -> list[str]:
        if self.objectives is None:
            raise ValueError(f"strategy {self.name!r} runs on multi-objective entries only")
        return [f"objective_{i}" for i in range(len(self.objectives.names))]

    def make_scheduler(self, config_space: dict[str, Any], do_minimize: bool, seed: int) -> Any:
        """syne-tune's ``MOASHA``, every objective signed to be minimised."""
        from syne_tune.optimizer.schedulers.multiobjective.moasha import MOASHA as SyneTuneMOASHA

        return SyneTuneMOASHA(
            config_space,
            metrics=self._metrics(),
            do_minimize=True,  # vectors arrive signed (maximised objectives negated)
            **self._halving_args(),
            random_seed=seed,
        )

    def report(self, trial_id: int, epoch: int, value: float) -> Decision:
        """An epoch without a vector (a config the table has no point for): go on unranked."""
        return Decision.CONTINUE

    def report_objectives(
        self, trial_id: int, epoch: int, value: float, objectives: tuple[float, ...]
    ) -> Decision:
        """Forward the partial vector, signed; MOASHA's STOP prunes the trial."""
        from syne_tune.optimizer.scheduler import SchedulerDecision

        assert self.objectives is not None
        signed = self.objectives.signed(objectives)
        result = {RESOURCE: int(epoch), **dict(zip(self._metrics(), signed, strict=True))}
        self._last[trial_id] = result
        with self._private_rng():
            decision = self._scheduler.on_trial_result(self._trials[trial_id], result)
        if decision in (SchedulerDecision.STOP, SchedulerDecision.PAUSE):
            self._stopped.add(trial_id)
            return Decision.STOP
        return Decision.CONTINUE
