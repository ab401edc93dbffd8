"""``one-at-a-time``: tune one parameter at a time, as people do by hand."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

import numpy as np

from tunebench.strategies._common import check_int, complete_config
from tunebench.strategies.base import (
    BudgetView,
    Exhausted,
    Proposal,
    Strategy,
    TrialResult,
    TrialStatus,
    Wait,
)

if TYPE_CHECKING:
    from tunebench.strategies.base import Direction, Fidelity
    from tunebench.strategies.space import SearchSpace

__all__ = ["OneAtATime"]


class OneAtATime(Strategy):
    """Sweep one parameter at a time from the defaults, keep the best, move on; full evals.

    Start from the space's defaults. Take the parameters in an order shuffled by the seed;
    for each, train the current config with that parameter set to each of its grid values
    (the others fixed), and keep the best as the new current config (ties keep the current
    one). A sweep that changes a parent such as ``n_layers`` gives new layers their default
    values, and a parameter that becomes active is swept later in the same pass. A config is
    never trained twice: results are cached by config, so the current value is measured once
    and reused. After ``passes`` passes over the parameters the strategy is
    :class:`Exhausted`.

    Trials of one sweep may run concurrently; between sweeps the strategy answers
    :class:`Wait` until every trial of the sweep has been told.

    Args:
        passes: Passes over all parameters (2 = an optional second pass that revisits
            every parameter from the improved config).
    """

    name = "one-at-a-time"

    def __init__(self, passes: int = 1) -> None:
        self.passes = passes

    def check_params(self) -> None:
        """``passes`` an int >= 1."""
        check_int(self.name, "passes", self.passes, 1)

    def setup(
        self, space: SearchSpace, fidelity: Fidelity, direction: Direction, seed: int
    ) -> None:
        """Start the first pass from the defaults."""
        super().setup(space, fidelity, direction, seed)
        self.check_params()
        self._rng = np.random.default_rng(seed)
        self.current: dict[str, Any] = complete_config(space, space.defaults())
        # config key -> last value (None: failed or no epoch trained)
        self._results: dict[str, float | None] = {}
        self._in_flight: dict[int, str] = {}
        self._pass = 0
        self._queue: deque[str] = deque()
        self._seen_in_pass: set[str] = set()
        self._sweep: list[dict[str, Any]] = []  # candidate configs of the running sweep
        self._todo: deque[dict[str, Any]] = deque()  # candidates not proposed yet
        self._exhausted: str | None = None
        self.history: list[tuple[str, dict[str, Any]]] = []  # (swept parameter, kept config)
        self._start_pass()
        self._next_sweep()

    # -- the plan ---------------------------------------------------------------------------

    def _shuffled(self, names: list[str]) -> list[str]:
        return [names[i] for i in self._rng.permutation(len(names))]

    def _start_pass(self) -> None:
        self._pass += 1
        self._queue = deque(self._shuffled(self.space.active_names(self.current)))
        self._seen_in_pass = set(self._queue)

    def _next_sweep(self) -> None:
        """Set up the next parameter's sweep (or the next pass, or exhaust)."""
        while True:
            while self._queue:
                name = self._queue.popleft()
                if not self.space.is_active(name, self.current):
                    continue
                self._sweep_param = name
                self._sweep = self._candidates(name)
                self._todo = deque(
                    c for c in self._sweep if self.space.config_key(c) not in self._results
                )
                return
            if self._pass >= self.passes:
                self._exhausted = f"{self.passes} pass(es) over the parameters done"
                return
            self._start_pass()

    def _candidates(self, name: str) -> list[dict[str, Any]]:
        """The current config first, then one config per other grid value of ``name``."""
        out = [self.current]
        keys = {self.space.config_key(self.current)}
        for value in self.space[name].grid_values():
            config = complete_config(self.space, {**self.current, name: value})
            key = self.space.config_key(config)
            if key not in keys:
                keys.add(key)
                out.append(config)
        return out

    def _finish_sweep(self) -> None:
        """Keep the best candidate of the finished sweep; queue newly active parameters."""
        best = self.current
        best_value = self._results[self.space.config_key(best)]
        for config in self._sweep[1:]:
            value = self._results[self.space.config_key(config)]
            if value is not None and (best_value is None or self.better(value, best_value)):
                best, best_value = config, value
        before = set(self.space.active_names(self.current))
        self.current = best
        self.history.append((self._sweep_param, best))
        new = [n for n in self.space.active_names(best) if n not in before]
        new = [n for n in new if n not in self._seen_in_pass]
        for name in self._shuffled(new):
            self._queue.append(name)
            self._seen_in_pass.add(name)
        self._next_sweep()

    # -- the protocol -----------------------------------------------------------------------

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        """The next candidate of the sweep, Wait for the sweep to finish, or Exhausted."""
        while self._exhausted is None:
            if self._todo:
                config = self._todo.popleft()
                trial_id = self.new_trial_id()
                self._in_flight[trial_id] = self.space.config_key(config)
                return Proposal(trial_id, config, self.fidelity.max_epochs)
            if self._in_flight:
                return Wait(f"sweep of {self._sweep_param!r}: {len(self._in_flight)} in flight")
            self._finish_sweep()
        return Exhausted(self._exhausted)

    def evaluated_as(self, trial_id: int, config: dict[str, Any]) -> None:
        """The candidate is the served config: the sweep compares (and keeps) that one."""
        old = self._in_flight[trial_id]
        self._in_flight[trial_id] = self.space.config_key(config)
        self._sweep = [dict(config) if self.space.config_key(c) == old else c for c in self._sweep]
        if self.space.config_key(self.current) == old:
            self.current = dict(config)

    def tell(self, trial_id: int, result: TrialResult) -> None:
        """Cache the trial's last value (``None`` when it failed)."""
        key = self._in_flight.pop(trial_id)
        failed = result.status is TrialStatus.FAILED
        self._results[key] = None if failed else result.last_value
