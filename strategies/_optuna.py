"""Adapter: any optuna sampler (and optional pruner) behind the strategy protocol.

optuna's ask-and-tell interface maps one-to-one onto ``ask``/``report``/``tell``:
``study.ask()`` opens a trial, the space suggests a config on it define-by-run
(so conditional parameters work), per-epoch reports go to ``trial.report`` and
the pruner's ``should_prune`` becomes :attr:`Decision.STOP`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import optuna

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

__all__ = ["OptunaStrategy"]


class OptunaStrategy(Strategy):
    """Base for strategies that are an optuna sampler plus an optional pruner.

    Subclasses implement :meth:`make_sampler` (and :meth:`make_pruner` to prune).
    """

    def make_sampler(self, seed: int) -> BaseSampler:
        """Build the optuna sampler for one run, seeded from the strategy stream."""
        raise NotImplementedError

    def make_pruner(self) -> BasePruner | None:
        """Build the optuna pruner, or ``None`` to train every trial to the end."""
        return None

    def setup(
        self, space: SearchSpace, fidelity: Fidelity, direction: Direction, seed: int
    ) -> None:
        """Create an in-memory optuna study for this run."""
        super().setup(space, fidelity, direction, seed)
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._pruner = self.make_pruner()
        self.study = optuna.create_study(
            direction=direction,
            sampler=self.make_sampler(seed),
            pruner=self._pruner if self._pruner is not None else optuna.pruners.NopPruner(),
        )
        self._trials: dict[int, optuna.Trial] = {}

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        """Open an optuna trial and propose its config for a full evaluation."""
        if budget.remaining_epochs == 0:
            return Exhausted("budget spent")
        trial = self.study.ask()
        config = self.space.suggest_optuna(trial)
        trial_id = self.new_trial_id()
        self._trials[trial_id] = trial
        return Proposal(trial_id, config, self.fidelity.max_epochs)

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
