"""``i-epoch``: train every candidate for ``i`` epochs, then the best ``k`` fully.

The baseline of Egele, Guyon, Sun and Balaprakash, "Is One Epoch All You Need For
Multi-Fidelity Hyperparameter Optimization?" (ESANN 2023, arXiv:2307.15422): random
configs are each trained for one epoch (``i`` here), every model but the top ``k`` is
discarded, and the top ``k`` are trained further to full length; the best of them is
the result. The paper found it as good as successive halving, Hyperband and
learning-curve extrapolation on the usual benchmarks, at a fraction of the cost, which
is why a comparison of multi-fidelity strategies should include it.

How many candidates: ``candidates`` when given; else as many as the budget allows once
the ``k`` full trainings are paid for (``(B - k * (max_epochs - i)) // i`` with a budget
of ``B`` epochs, with resume; ``k * max_epochs`` is set aside without). Under a seconds
cap it is :data:`DEFAULT_CANDIDATES`.
"""

from __future__ import annotations

import math
from typing import Any

from tunebench.strategies._common import RandomConfigs, check_bool, check_int
from tunebench.strategies.base import (
    BudgetView,
    Decision,
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

__all__ = ["DEFAULT_CANDIDATES", "IEpoch"]

#: Candidates when neither ``candidates`` nor an epoch budget says how many (seconds caps).
DEFAULT_CANDIDATES = 20


class IEpoch(Strategy):
    """Screen random configs at ``epochs`` epochs; train the best ``top_k`` to ``max_epochs``.

    Phase one proposes ``n`` distinct seeded random configs (see the module docstring for
    ``n``), each with ``target_epochs = epochs``. Once all of them have ended, the
    ``top_k`` with the best value at their last epoch (failed or budget-cut candidates
    excluded) are trained to ``max_epochs``, continuing their weights (``resume_from``,
    only the new epochs charged) unless ``resume = false``. Then the strategy is
    exhausted. With ``epochs >= max_epochs`` the screening already trains fully and
    nothing is promoted.

    Args:
        epochs: ``i``, the screening length in epochs (the paper's default: 1).
        top_k: ``k``, the candidates trained fully after the screening.
        candidates: ``n``; ``None`` takes it from the budget.
        resume: Continue the screened weights (``True``) or retrain the top ``k`` from scratch.
    """

    name = "i-epoch"

    def __init__(
        self, epochs: int = 1, top_k: int = 3, candidates: int | None = None, resume: bool = True
    ) -> None:
        self.epochs = epochs
        self.top_k = top_k
        self.candidates = candidates
        self.resume = resume

    def check_params(self) -> None:
        """``epochs`` and ``top_k`` ints >= 1; ``candidates`` >= 1 or unset; ``resume`` a bool."""
        check_int(self.name, "epochs", self.epochs, 1)
        check_int(self.name, "top_k", self.top_k, 1)
        if self.candidates is not None:
            check_int(self.name, "candidates", self.candidates, 1)
        check_bool(self.name, "resume", self.resume)

    def setup(
        self, space: SearchSpace, fidelity: Fidelity, direction: Direction, seed: int
    ) -> None:
        """Start a fresh sequence of seeded random candidates."""
        super().setup(space, fidelity, direction, seed)
        self._screen = min(self.epochs, fidelity.max_epochs)
        self._sampler = RandomConfigs(space, seed)
        self._seen: set[str] = set()
        self._n: int | None = None
        self._configs: dict[int, dict[str, Any]] = {}  # screened trial -> evaluated config
        self._values: dict[int, float | None] = {}  # told screened trials: last value or None
        self._latest: dict[int, float] = {}  # screened trials: last reported value
        self._promotions: list[Proposal] | None = None
        self._promoted = 0
        self._ended = ""

    def _candidates(self, budget: BudgetView) -> int:
        """``n``, fixed at the first ask from the budget the run has."""
        if self.candidates is not None:
            return self.candidates
        if budget.remaining_epochs is None:
            return DEFAULT_CANDIDATES
        full = self.fidelity.max_epochs
        if self._screen >= full:
            return max(1, budget.remaining_epochs // full)
        kept = self.top_k * (full - self._screen if self.resume else full)
        return max(self.top_k, (budget.remaining_epochs - kept) // self._screen)

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        """A candidate to screen, then each of the top ``k`` to train fully, then Exhausted."""
        if self._ended:
            return Exhausted(self._ended)
        if self._n is None:
            self._n = self._candidates(budget)
        if self._promotions is None:
            if len(self._configs) < self._n:
                fresh = self._sampler.distinct(1, self._seen)
                if fresh:
                    trial_id = self.new_trial_id()
                    self._configs[trial_id] = fresh[0]
                    return Proposal(trial_id, fresh[0], self._screen)
                self._n = len(self._configs)  # a finite space ran out of configs
            if len(self._values) < len(self._configs):
                return Wait("the screening is still in flight")
            self._promotions = self._promote()
        if self._promotions:
            return self._promotions.pop(0)
        self._ended = f"screened {len(self._configs)} configs at {self._screen} epochs"
        if self._screen < self.fidelity.max_epochs:
            self._ended += f" and trained the best {self._promoted} to {self.fidelity.max_epochs}"
        return Exhausted(self._ended)

    def _promote(self) -> list[Proposal]:
        """The top ``k`` screened candidates, as full-length proposals."""
        if self._screen >= self.fidelity.max_epochs:
            return []
        sign = 1.0 if self.direction == "maximize" else -1.0
        scored = [(t, v) for t, v in self._values.items() if v is not None and not math.isnan(v)]
        # Ties go to the earlier candidate: the order stays the seed's.
        best = sorted(scored, key=lambda tv: (-sign * tv[1], tv[0]))[: self.top_k]
        self._promoted = len(best)
        return [
            Proposal(
                self.new_trial_id(),
                self._configs[t],
                self.fidelity.max_epochs,
                t if self.resume else None,
            )
            for t, _ in best
        ]

    def evaluated_as(self, trial_id: int, config: dict[str, Any]) -> None:
        """Promote the served config (what was screened), and count it as seen."""
        self._seen.add(self.space.config_key(config))
        if trial_id in self._configs:
            self._configs[trial_id] = dict(config)

    def report(self, trial_id: int, epoch: int, value: float) -> Decision:
        """Note a screened candidate's latest value (its rank decides whether weights are kept)."""
        if trial_id in self._configs:
            self._latest[trial_id] = value
        return Decision.CONTINUE

    def keep_weights(self, trial_id: int) -> bool:
        """Keep a screened candidate's weights only while it ranks in the top ``k`` so far.

        Candidates told so far are a subset of all of them, so a candidate of the final top
        ``k`` is in the top ``k`` of those too and its weights are kept; the others' need not
        be (with a large screening that spares memory, or disk, in live runs).
        """
        if not (self.resume and self._promotions is None and trial_id in self._configs):
            return False
        value = self._latest.get(trial_id)
        if value is None or math.isnan(value):
            return False
        sign = 1.0 if self.direction == "maximize" else -1.0
        ahead = sum(
            1
            for other, v in self._values.items()
            if other != trial_id
            and v is not None
            and (sign * v > sign * value or (v == value and other < trial_id))
        )
        return ahead < self.top_k

    def tell(self, trial_id: int, result: TrialResult) -> None:
        """Record a screened candidate's value (none if it failed or was cut short)."""
        if trial_id not in self._configs:
            return
        screened = result.status is TrialStatus.COMPLETE and result.values
        self._values[trial_id] = float(result.values[-1]) if screened else None
