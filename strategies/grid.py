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

    A grid of more than :attr:`MATERIALISE` points (mnist-cnn's full space has more than
    10^12) is not built: each proposal draws every active parameter's grid value
    uniformly, in space order, with the seed, and a point already proposed is drawn
    again. Building it exhausted a study worker's memory and the OS killed it.
    """

    #: The largest grid that is built and shuffled whole.
    MATERIALISE = 100_000

    name = "grid"

    def __init__(self) -> None:
        pass

    def setup(
        self, space: SearchSpace, fidelity: Fidelity, direction: Direction, seed: int
    ) -> None:
        """Build the grid and shuffle it with the seed."""
        super().setup(space, fidelity, direction, seed)
        self._size = space.grid_size()
        self._rng = np.random.default_rng(seed)
        self._seen: set[str] = set()
        self._todo: list[dict[str, Any]] | None = None
        if self._size <= self.MATERIALISE:
            grid = space.grid()
            order = self._rng.permutation(len(grid))
            self._todo = [grid[i] for i in order[::-1]]  # pop() from the end

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        """The next grid point, or Exhausted when the grid is done."""
        if self._todo is None:
            return Proposal(self.new_trial_id(), self._draw(), self.fidelity.max_epochs)
        if not self._todo:
            return Exhausted(f"all {self._size} grid points were proposed")
        return Proposal(self.new_trial_id(), self._todo.pop(), self.fidelity.max_epochs)

    def _draw(self) -> dict[str, Any]:
        """A grid point not proposed before, drawn parameter by parameter."""
        while True:
            config: dict[str, Any] = {}
            for param in self.space.params:
                if self.space.is_active(param.name, config):
                    points = param.grid_values()
                    config[param.name] = points[int(self._rng.integers(len(points)))]
            key = self.space.config_key(config)
            if key not in self._seen:
                self._seen.add(key)
                return config

    def evaluated_as(self, trial_id: int, config: dict[str, Any]) -> None:
        """Nothing to update: its order is fixed by the seed: nothing learned from a config."""
        return None

    def tell(self, trial_id: int, result: TrialResult) -> None:
        """Nothing to learn: the order is fixed by the seed."""
