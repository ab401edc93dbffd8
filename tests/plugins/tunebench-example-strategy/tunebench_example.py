"""An example tunebench strategy living in its own package."""

from __future__ import annotations

import numpy as np

from tunebench.strategies import (
    BudgetView,
    Decision,
    Exhausted,
    Fidelity,
    Proposal,
    Strategy,
    TrialResult,
    Wait,
)
from tunebench.strategies.base import Direction
from tunebench.strategies.space import SearchSpace


class ExampleStrategy(Strategy):
    """Random grid points, none twice; stops trials that start below the median."""

    name = "example-random"

    def __init__(self, warmup: int = 3) -> None:
        self.warmup = warmup  # constructors only store their arguments

    def check_params(self) -> None:
        if not isinstance(self.warmup, int) or self.warmup < 0:
            raise ValueError(f"warmup = {self.warmup!r} is not allowed; allowed: an int >= 0")

    def setup(
        self, space: SearchSpace, fidelity: Fidelity, direction: Direction, seed: int
    ) -> None:
        super().setup(space, fidelity, direction, seed)
        self.check_params()
        self.todo = space.grid()
        np.random.default_rng(seed).shuffle(self.todo)  # every random choice from the seed
        self.first_epoch: list[float] = []

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        if not self.todo:
            return Exhausted("every grid point was proposed")
        return Proposal(self.new_trial_id(), self.todo.pop(), self.fidelity.max_epochs)

    def report(self, trial_id: int, epoch: int, value: float) -> Decision:
        if epoch != 1:
            return Decision.CONTINUE
        earlier, self.first_epoch = self.first_epoch, [*self.first_epoch, value]
        if len(earlier) < self.warmup or not self.better(float(np.median(earlier)), value):
            return Decision.CONTINUE
        return Decision.STOP  # the harness charges only the epochs trained

    def tell(self, trial_id: int, result: TrialResult) -> None:
        pass  # a smarter strategy learns from result.status and result.values here
