"""``hyperband``, ``sha`` and ``median-stop``: optuna pruners that stop trials early.

Every trial targets ``max_epochs`` and reports after each epoch; the pruner's
``should_prune`` becomes :attr:`~tunebench.strategies.base.Decision.STOP`, and the harness
charges only the epochs actually trained. A pruned trial simply ends: nothing is ever
promoted or restarted, so these strategies have no ``resume`` parameter (optuna's
successive halving is the asynchronous variant, ASHA, in which a trial keeps training while
it stays in the top ``1/reduction_factor`` of its rung).

Configs come from a seeded RandomSampler (``sampler = "random"``, the default, as in the
Hyperband paper) or the built-in TPE (``sampler = "tpe"``, as in BOHB-like setups; TPE then
learns from pruned trials' intermediate values, and under Hyperband only from trials of the
same bracket, which optuna arranges itself).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import optuna

from tunebench.strategies._common import check_choice, check_int
from tunebench.strategies._optuna import SAMPLERS, OptunaStrategy, sampler_by_name

if TYPE_CHECKING:
    from optuna.pruners import BasePruner
    from optuna.samplers import BaseSampler

__all__ = ["HyperbandSearch", "MedianStopSearch", "SuccessiveHalvingSearch"]


class _PrunedSearch(OptunaStrategy):
    """An optuna pruner with a random or TPE sampler."""

    sampler: str

    def check_params(self) -> None:
        """``sampler`` is ``"random"`` or ``"tpe"``."""
        check_choice(self.name, "sampler", self.sampler, SAMPLERS)

    def make_sampler(self, seed: int) -> BaseSampler:
        """The sampler named by ``sampler``, seeded."""
        return sampler_by_name(self.name, self.sampler, seed)


class HyperbandSearch(_PrunedSearch):
    """Hyperband (optuna HyperbandPruner): successive-halving brackets, random configs.

    Epochs are the resource: ``min_resource = 1`` (the fidelity's ``min_epochs``),
    ``max_resource = max_epochs``, so there are ``floor(log_eta(max_epochs)) + 1`` brackets
    with ``eta = reduction_factor``. optuna assigns each trial to a bracket by hashing the
    study name and trial number; the study name is fixed per seed, so the same seed gives
    the same brackets. No resume: see the module docstring.

    Args:
        sampler: ``"random"`` or ``"tpe"``.
        reduction_factor: ``eta``; a rung keeps the top ``1/eta`` of its trials.
    """

    name = "hyperband"

    def __init__(self, sampler: str = "random", reduction_factor: int = 3) -> None:
        self.sampler = sampler
        self.reduction_factor = reduction_factor

    def check_params(self) -> None:
        """``sampler`` random or tpe; ``reduction_factor`` an int >= 2."""
        super().check_params()
        check_int(self.name, "reduction_factor", self.reduction_factor, 2)

    def make_pruner(self) -> BasePruner:
        """HyperbandPruner over epochs ``min_epochs..max_epochs``."""
        return optuna.pruners.HyperbandPruner(
            min_resource=self.fidelity.min_epochs,
            max_resource=self.fidelity.max_epochs,
            reduction_factor=self.reduction_factor,
        )


class SuccessiveHalvingSearch(_PrunedSearch):
    """Asynchronous successive halving (optuna SuccessiveHalvingPruner), random configs.

    Rungs at ``min_epochs * eta**(k + min_early_stopping_rate)`` epochs; at each rung a
    trial continues only if it is in the top ``1/eta`` of the trials that reached that rung.
    No resume: see the module docstring.

    Args:
        sampler: ``"random"`` or ``"tpe"``.
        reduction_factor: ``eta``.
        min_early_stopping_rate: Shifts the first rung to ``min_epochs * eta**rate`` epochs.
    """

    name = "sha"

    def __init__(
        self, sampler: str = "random", reduction_factor: int = 3, min_early_stopping_rate: int = 0
    ) -> None:
        self.sampler = sampler
        self.reduction_factor = reduction_factor
        self.min_early_stopping_rate = min_early_stopping_rate

    def check_params(self) -> None:
        """``sampler`` random or tpe; ``reduction_factor`` >= 2; the rate >= 0."""
        super().check_params()
        check_int(self.name, "reduction_factor", self.reduction_factor, 2)
        check_int(self.name, "min_early_stopping_rate", self.min_early_stopping_rate, 0)

    def make_pruner(self) -> BasePruner:
        """SuccessiveHalvingPruner with ``min_resource = min_epochs``."""
        return optuna.pruners.SuccessiveHalvingPruner(
            min_resource=self.fidelity.min_epochs,
            reduction_factor=self.reduction_factor,
            min_early_stopping_rate=self.min_early_stopping_rate,
        )


class MedianStopSearch(_PrunedSearch):
    """Median stopping rule (optuna MedianPruner), random configs.

    After each epoch a trial stops if its value is worse than the median of earlier trials'
    values at the same epoch, once ``n_startup_trials`` trials have finished and after
    ``n_warmup_steps`` epochs of the trial itself. No resume: see the module docstring.

    Args:
        sampler: ``"random"`` or ``"tpe"``.
        n_startup_trials: Finished trials needed before anything is stopped.
        n_warmup_steps: Epochs a trial always trains before it can be stopped.
    """

    name = "median-stop"

    def __init__(
        self, sampler: str = "random", n_startup_trials: int = 5, n_warmup_steps: int = 0
    ) -> None:
        self.sampler = sampler
        self.n_startup_trials = n_startup_trials
        self.n_warmup_steps = n_warmup_steps

    def check_params(self) -> None:
        """``sampler`` random or tpe; both counts ints >= 0."""
        super().check_params()
        check_int(self.name, "n_startup_trials", self.n_startup_trials, 0)
        check_int(self.name, "n_warmup_steps", self.n_warmup_steps, 0)

    def make_pruner(self) -> BasePruner:
        """MedianPruner over per-epoch reports."""
        return optuna.pruners.MedianPruner(
            n_startup_trials=self.n_startup_trials, n_warmup_steps=self.n_warmup_steps
        )
