"""The optimal-stopping (secretary) rule: when to stop trying new configs.

Random configs are trained to full fidelity, one after another. Of the ``n``
candidates the budget allows, the first ``floor(observe * n)`` are only
observed; after them, the first config whose final value beats every observed
one is kept and the search stops. With ``observe = 1/e`` (the default) this is
the classical rule that picks the best of ``n`` candidates in random order with
probability about 1/e, the best possible without knowing the values' scale.
"""

from __future__ import annotations

import math
from typing import Any

from tunebench.strategies._common import RandomConfigs, check_fraction, check_int
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

__all__ = ["Secretary"]

#: Candidates when neither ``candidates`` nor an epoch budget says how many (seconds caps).
DEFAULT_CANDIDATES = 20


class Secretary(Strategy):
    """Observe the first ``observe`` share of the candidates; keep the first that beats them.

    ``n``, the number of candidates, is ``candidates`` when given, else the budget's
    full evaluations (rounded down; :data:`DEFAULT_CANDIDATES` under a seconds cap).
    Every candidate is a distinct random config trained to ``max_epochs``. The rule is
    applied in proposal order, so with trials in flight a later candidate waits for
    the observed ones before it can be kept. A failed or cut candidate has no value: it
    is observed without setting the bar, and it is never kept. When no candidate beats
    the observed ones, all ``n`` are tried and the harness's incumbent is the best of
    them.

    Args:
        observe: Share of the candidates only observed, in (0, 1).
        candidates: ``n``; ``None`` takes it from the budget.
    """

    name = "secretary"

    def __init__(self, observe: float = 1 / math.e, candidates: int | None = None) -> None:
        self.observe = observe
        self.candidates = candidates

    def check_params(self) -> None:
        """``observe`` in (0, 1); ``candidates`` an integer >= 1 or unset."""
        check_fraction(self.name, "observe", self.observe)
        if self.candidates is not None:
            check_int(self.name, "candidates", self.candidates, 1)

    def setup(
        self, space: SearchSpace, fidelity: Fidelity, direction: Direction, seed: int
    ) -> None:
        """Start a fresh sequence of seeded random candidates."""
        super().setup(space, fidelity, direction, seed)
        self._sign = 1.0 if direction == "maximize" else -1.0
        self._sampler = RandomConfigs(space, seed)
        self._seen: set[str] = set()
        self._n: int | None = None
        self._order: list[int] = []  # trial ids in proposal order
        self._values: dict[int, float | None] = {}  # told trials: final value or None
        self._kept: int | None = None
        self._ended = ""

    @property
    def kept(self) -> int | None:
        """The trial the rule kept, once it has."""
        return self._kept

    def _observed(self) -> int:
        assert self._n is not None
        return math.floor(self.observe * self._n)

    def _decide(self) -> None:
        """Apply the rule to the candidates told so far, in proposal order."""
        k = self._observed()
        if self._kept is not None or any(t not in self._values for t in self._order[:k]):
            return
        scored = [self._values[t] for t in self._order[:k]]
        bar = max((self._sign * v for v in scored if v is not None), default=-math.inf)
        for trial in self._order[k:]:
            if trial not in self._values:
                return  # an earlier candidate is still in flight: keep the order
            value = self._values[trial]
            if value is not None and self._sign * value > bar:
                self._kept = trial
                return

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        """The next candidate; Exhausted once one is kept or all ``n`` are tried."""
        if self._ended:
            return Exhausted(self._ended)
        if self._n is None:  # fixed at the first ask, from the budget the run has
            total = self.candidates or (math.floor(budget.total) if budget.total else 0)
            self._n = max(1, total or DEFAULT_CANDIDATES)
        in_flight = len(self._order) > len(self._values)
        if self._kept is not None:
            self._ended = (
                f"kept trial {self._kept}, the first to beat the {self._observed()} observed "
                f"of {self._n} candidates"
            )
            return Exhausted(self._ended)
        fresh = self._sampler.distinct(1, self._seen) if len(self._order) < self._n else []
        if not fresh:
            if in_flight:
                return Wait()
            tried = len(self._order)
            self._ended = f"tried {tried} candidates; none beat the {self._observed()} observed"
            return Exhausted(self._ended)
        trial_id = self.new_trial_id()
        self._order.append(trial_id)
        return Proposal(trial_id, fresh[0], self.fidelity.max_epochs)

    def evaluated_as(self, trial_id: int, config: dict[str, Any]) -> None:
        """Count the served config as seen (the rule itself uses values only)."""
        self._seen.add(self.space.config_key(config))

    def tell(self, trial_id: int, result: TrialResult) -> None:
        """Record the candidate's final value (none if it failed or was cut) and decide."""
        full = result.status is TrialStatus.COMPLETE and result.values
        self._values[trial_id] = float(result.values[-1]) if full else None
        self._decide()
