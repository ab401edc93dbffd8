"""``grid``: the space's finite grid, in an order shuffled by the seed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tunebench.strategies.base import (
    BudgetView,
    Exhausted,
    Proposal,
    Strategy,
    TrialResult,
    Wait,
)

if TYPE_CHECKING:
    from tunebench.strategies.base import Direction, Fidelity
    from tunebench.strategies.space import SearchSpace

__all__ = ["GridSearch"]


class GridSearch(Strategy):
    """Every point of the space's grid once, in a seeded random order; full evaluations.

    The grid is :meth:`SearchSpace.grid` (each parameter's ``grid_values``; conditional
    parameters expanded per parent value, so no config repeats). The order is shuffled
    with the seed, so a budget that covers only part of the grid samples it without
    replacement and runs with different seeds see different parts. When every grid point
    was proposed the strategy is :class:`Exhausted`.
    """

    name = "grid"

    def __init__(self) -> None:
        pass

    def setup(
        self, space: SearchSpace, fidelity: Fidelity, direction: Direction, seed: int
    ) -> None:
        """Build the grid and shuffle it with the seed."""
        super().setup(space, fidelity, direction, seed)
        grid = space.grid()
        order = np.random.default_rng(seed).permutation(len(grid))
        self._todo: list[dict[str, Any]] = [grid[i] for i in order[::-1]]  # pop() from the end
        self._size = len(grid)

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        """The next grid point, or Exhausted when the grid is done."""
        if not self._todo:
            return Exhausted(f"all {self._size} grid points were proposed")
        return Proposal(self.new_trial_id(), self._todo.pop(), self.fidelity.max_epochs)

    def tell(self, trial_id: int, result: TrialResult) -> None:
        """Nothing to learn: the order is fixed by the seed."""
