"""Adapter: any optuna sampler (and optional pruner) behind the strategy protocol.

optuna's ask-and-tell interface maps one-to-one onto ``ask``/``report``/``tell``:
``study.ask()`` opens a trial, the space suggests a config on it define-by-run
(so conditional parameters work), per-epoch reports go to ``trial.report`` and
the pruner's ``should_prune`` becomes :attr:`Decision.STOP`.

Two details keep runs reproducible and budgets honest:

* The study has a fixed name derived from the strategy and seed: optuna's
  HyperbandPruner assigns trials to brackets by hashing the study name, so a
  random name would make the same seed prune differently.
* On a finite space (no float parameter, at most 100,000 configs) a config is
  never proposed twice, as scikit-learn's ``ParameterSampler`` does for lists: a
  repeat is closed as failed in optuna and sampled again; after 3 repeats in a
  row an unseen config is picked at random; when every config was proposed the
  strategy is :class:`Exhausted`. Spaces with a float parameter are unaffected.
  Three, not more: on the shipped replay tables a sampler that repeated itself
  three times in a row almost never found an unseen config in the asks that followed
  (TPE and GP had converged on configs already proposed), while each ask costs a
  full model fit; for the random sampler the fallback is the same distribution,
  uniform over the unseen configs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import optuna

from tunebench.strategies._common import (
    FINITE_REPEATS,
    UnseenConfigs,
    check_choice,
    finite_size,
)
from tunebench.strategies.base import (
    BudgetView,
    Decision,
    Exhausted,
    Proposal,
    Strategy,
    TrialResult,
    TrialStatus,
    Wait,
)

if TYPE_CHECKING:
    from optuna.pruners import BasePruner
    from optuna.samplers import BaseSampler

    from tunebench.strategies.base import Direction, Fidelity
    from tunebench.strategies.space import SearchSpace

__all__ = ["SAMPLERS", "OptunaStrategy", "make_tpe", "sampler_by_name"]

# Repeats in a row on a finite space before an unseen config is picked directly.
_MAX_REPEATS = FINITE_REPEATS

SAMPLERS = ("random", "tpe")


def make_tpe(seed: int, n_startup_trials: int = 10, group: bool = True) -> BaseSampler:
    """The TPE sampler the built-ins use: multivariate, grouped for conditional spaces.

    ``group=True`` models each set of parameters that occur together jointly, so the
    conditional ``units_k`` are modelled rather than sampled independently; optuna marks it
    experimental, and its warning is silenced here.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(
            seed=seed, multivariate=True, group=group, n_startup_trials=n_startup_trials
        )


def sampler_by_name(strategy: str, sampler: str, seed: int) -> BaseSampler:
    """``"random"`` or ``"tpe"`` (defaults of :func:`make_tpe`), seeded."""
    check_choice(strategy, "sampler", sampler, SAMPLERS)
    if sampler == "tpe":
        return make_tpe(seed)
    return optuna.samplers.RandomSampler(seed=seed)


class OptunaStrategy(Strategy):
    """Base for strategies that are an optuna sampler plus an optional pruner.

    Subclasses implement :meth:`make_sampler` (and :meth:`make_pruner` to prune).
    Every trial targets ``max_epochs``; a pruner stops it early through ``report``.
    """

    def make_sampler(self, seed: int) -> BaseSampler:
        """Build the optuna sampler for one run, seeded from the strategy stream."""
        raise NotImplementedError

    def make_pruner(self) -> BasePruner | None:
        """Build the optuna pruner, or ``None`` to train every trial to the end.

        Called in :meth:`setup`, after ``self.fidelity`` is set.
        """
        return None

    def study_directions(self) -> dict[str, Any]:
        """The study's direction keyword: ``direction`` here, ``directions`` for several.

        Called in :meth:`setup`, after ``self.direction`` (and, on a multi-objective
        run, ``self.objectives``) is set.
        """
        return {"direction": self.direction}

    def setup(
        self, space: SearchSpace, fidelity: Fidelity, direction: Direction, seed: int
    ) -> None:
        """Create an in-memory optuna study for this run."""
        super().setup(space, fidelity, direction, seed)
        self.check_params()
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._pruner = self.make_pruner()
        self.study = optuna.create_study(
            **self.study_directions(),
            sampler=self.make_sampler(seed),
            pruner=self._pruner if self._pruner is not None else optuna.pruners.NopPruner(),
            study_name=f"tunebench-{self.name}-{seed}",
        )
        self._trials: dict[int, optuna.Trial] = {}
        self._finite_size = finite_size(space)
        self._unseen = UnseenConfigs(space)
        self._proposed: set[str] = set()
        self._rng = np.random.default_rng(seed)
        self._exhausted: str | None = None

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        """Open an optuna trial and propose its config for a full evaluation."""
        if self._exhausted is None and budget.remaining_epochs == 0:
            self._exhausted = "budget spent"
        size = self._finite_size
        if self._exhausted is None and size is not None and len(self._proposed) >= size:
            self._exhausted = f"all {size} configs of the space were proposed"
        if self._exhausted is not None:
            return Exhausted(self._exhausted)
        repeats = 0
        while True:
            if repeats >= _MAX_REPEATS:
                self.study.enqueue_trial(self._unseen.pick(self._rng, self._proposed))
            trial = self.study.ask()
            config = self.space.suggest_optuna(trial)
            if self._finite_size is None:
                break
            key = self.space.config_key(config)
            if key not in self._proposed:
                self._proposed.add(key)
                break
            # A repeat on a finite space: close it untrained (samplers skip failed trials).
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
            repeats += 1
        trial_id = self.new_trial_id()
        self._trials[trial_id] = trial
        return Proposal(trial_id, config, self.fidelity.max_epochs)

    def evaluated_as(self, trial_id: int, config: dict[str, Any]) -> None:
        """Replace the trial's proposal by the config it is evaluated as, in optuna's history.

        optuna fixes a trial's params when they are suggested, so the proposal's trial is
        closed as failed (samplers and pruners skip failed trials) and a trial with the
        served params is opened in its place (``enqueue_trial``, then ``ask``); reports and
        the end of the trial go to that one. It also takes the proposal's place in the
        sampler's own bookkeeping (:meth:`_take_sampler_state`).
        """
        proposal = self._trials[trial_id]
        self.study.tell(proposal, state=optuna.trial.TrialState.FAIL)
        self.study.enqueue_trial(config)
        trial = self.study.ask()
        self.space.suggest_optuna(trial)  # takes the enqueued values
        self._take_sampler_state(proposal, trial)
        self._trials[trial_id] = trial
        if self._finite_size is not None:
            self._proposed.add(self.space.config_key(config))

    def _take_sampler_state(self, proposal: optuna.Trial, served: optuna.Trial) -> None:
        """Copy the sampler's per-trial records from the proposal to the served trial.

        Population samplers keep their state in trial system attributes written while
        sampling (NSGA-II's generation, CMA-ES's generation and optimizer): a trial whose
        params were all enqueued is never sampled, so without them the served trial,
        the only one told complete, belongs to no generation, and the sampler stays in
        its random first generation for the whole run. optuna has no public way to set
        a system attribute; its samplers write them through the study's storage, as here.
        """
        frozen = self.study.get_trials(deepcopy=False)
        have = frozen[served.number].system_attrs
        for key, value in frozen[proposal.number].system_attrs.items():
            if key not in have:
                self.study._storage.set_trial_system_attr(served._trial_id, key, value)

    def report(self, trial_id: int, epoch: int, value: float) -> Decision:
        """Forward the value to optuna and ask the pruner."""
        if self._pruner is None:
            return Decision.CONTINUE
        trial = self._trials[trial_id]
        trial.report(value, epoch)
        return Decision.STOP if trial.should_prune() else Decision.CONTINUE

    def tell(self, trial_id: int, result: TrialResult) -> None:
        """Close the optuna trial: complete with its last value, pruned, or failed."""
        trial = self._trials.pop(trial_id)
        last = result.last_value
        if result.status is TrialStatus.COMPLETE and last is not None:
            self.study.tell(trial, last)
        elif result.status is TrialStatus.STOPPED and last is not None:
            # optuna's samplers learn from pruned trials' intermediate values.
            self.study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
