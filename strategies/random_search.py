"""``random``: uniform random search with optuna's RandomSampler."""

from __future__ import annotations

from typing import TYPE_CHECKING

import optuna

from tunebench.strategies._optuna import OptunaStrategy

if TYPE_CHECKING:
    from optuna.samplers import BaseSampler

__all__ = ["RandomSearch"]


class RandomSearch(OptunaStrategy):
    """Sample every config independently at random; train each to max epochs.

    The baseline every other strategy is compared against. Sampling is done by
    :class:`optuna.samplers.RandomSampler` seeded from the run's strategy seed,
    so the same run seed proposes the same configs.
    """

    name = "random"

    def __init__(self) -> None:
        pass

    def make_sampler(self, seed: int) -> BaseSampler:
        """Return a seeded RandomSampler."""
        return optuna.samplers.RandomSampler(seed=seed)
