"""The budget ledger: the harness, never the strategy, charges what is trained.

Every epoch actually trained is charged in three units at once: epochs, wall
seconds and estimated FLOPs, so reports can plot against any of them. One unit
caps the run, chosen per matrix:

* ``full_evaluations = N``: at most ``N x max_epochs`` epochs. The harness asks
  :meth:`Ledger.affordable_epochs` before training, so a trial that would pass
  the cap is cut at the cap and no epoch is ever charged beyond it.
* ``seconds = S``: wall seconds of model setup, training and strategy
  overhead. Time cannot be known before it is spent, so the epoch that crosses
  the cap is charged only up to the cap and its result is discarded: no
  strategy gets to see results bought past the budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tunebench.errors import TunebenchError
from tunebench.records.events import Cost
from tunebench.strategies.base import BudgetView

__all__ = ["BudgetExceeded", "Charge", "Ledger"]


class BudgetExceeded(TunebenchError, RuntimeError):
    """An epoch was charged when the ledger had nothing left (a harness bug)."""

    exit_code = 1


@dataclass(frozen=True)
class Charge:
    """The result of charging an epoch.

    Attributes:
        cost: What was charged (seconds capped at the budget in seconds mode).
        budget_used: Cumulative epochs charged, in full-evaluation equivalents.
        over: The epoch crossed a seconds cap; its result must be discarded.
    """

    cost: Cost
    budget_used: float
    over: bool = False


class Ledger:
    """Charges epochs, seconds and FLOPs against one run's cap.

    Args:
        max_epochs: Epochs of one full evaluation (the unit of ``budget_used``).
        full_evaluations: Cap in full evaluations, or ``None``.
        seconds: Cap in wall seconds, or ``None``. Exactly one cap must be set.
    """

    def __init__(
        self, max_epochs: int, full_evaluations: int | None = None, seconds: float | None = None
    ) -> None:
        if (full_evaluations is None) == (seconds is None):
            raise ValueError("set exactly one of full_evaluations and seconds")
        if max_epochs < 1:
            raise ValueError(f"max_epochs must be >= 1, got {max_epochs}")
        if full_evaluations is not None and full_evaluations <= 0:
            raise ValueError(f"full_evaluations must be > 0, got {full_evaluations}")
        if seconds is not None and seconds <= 0:
            raise ValueError(f"seconds must be > 0, got {seconds}")
        self.max_epochs = max_epochs
        self.cap_epochs = None if full_evaluations is None else full_evaluations * max_epochs
        self.cap_seconds = seconds
        self.epochs = 0
        self.train_seconds = 0.0
        self.setup_seconds = 0.0
        self.overhead_seconds = 0.0
        self.flops = 0.0

    @classmethod
    def capped_in_epochs(cls, max_epochs: int, epochs: int) -> Ledger:
        """A ledger whose cap is a number of epochs (not whole full evaluations)."""
        if epochs <= 0:
            raise ValueError(f"the epoch cap must be > 0, got {epochs}")
        ledger = cls(max_epochs, full_evaluations=1)
        ledger.cap_epochs = epochs
        return ledger

    @property
    def seconds(self) -> float:
        """All seconds that count against a seconds cap."""
        return self.train_seconds + self.setup_seconds + self.overhead_seconds

    @property
    def budget_used(self) -> float:
        """Epochs charged, in full-evaluation equivalents."""
        return self.epochs / self.max_epochs

    @property
    def exhausted(self) -> bool:
        """Whether nothing more can be trained."""
        if self.cap_epochs is not None:
            return self.epochs >= self.cap_epochs
        assert self.cap_seconds is not None
        return self.seconds >= self.cap_seconds

    def fraction_used(self) -> float:
        """Share of the cap spent, 0..1, in the capping unit."""
        if self.cap_epochs is not None:
            return min(1.0, self.epochs / self.cap_epochs)
        assert self.cap_seconds is not None
        return min(1.0, self.seconds / self.cap_seconds)

    def affordable_epochs(self) -> int | None:
        """Epochs that can still be charged, or ``None`` under a seconds cap."""
        if self.cap_epochs is None:
            return None
        return max(0, self.cap_epochs - self.epochs)

    def _seconds_left(self) -> float:
        assert self.cap_seconds is not None
        return max(0.0, self.cap_seconds - self.seconds)

    def charge_epoch(self, seconds: float, flops: float) -> Charge:
        """Charge one trained epoch.

        Raises:
            BudgetExceeded: The ledger was already exhausted.
        """
        if self.exhausted:
            raise BudgetExceeded(
                f"epoch charged past the cap ({self.budget_used:.3f} full evaluations used)"
            )
        over = False
        if self.cap_seconds is not None and seconds > self._seconds_left():
            seconds, over = self._seconds_left(), True
        self.epochs += 1
        self.train_seconds += seconds
        self.flops += flops
        return Charge(Cost(1, seconds, flops), self.budget_used, over)

    def charge_setup(self, seconds: float) -> Cost:
        """Charge a trial's fixed cost (model build, restore); epochs stay unchanged."""
        if self.cap_seconds is not None:
            seconds = min(seconds, self._seconds_left())
        self.setup_seconds += seconds
        return Cost(0, seconds, 0.0)

    def charge_overhead(self, seconds: float) -> None:
        """Charge the strategy's own time (ask, report, tell)."""
        if self.cap_seconds is not None:
            seconds = min(seconds, self._seconds_left())
        self.overhead_seconds += seconds

    def view(self) -> BudgetView:
        """What a strategy may see of the budget."""
        return BudgetView(
            used=self.budget_used,
            total=None if self.cap_epochs is None else self.cap_epochs / self.max_epochs,
            remaining_epochs=self.affordable_epochs(),
            seconds_used=self.seconds,
            seconds_total=self.cap_seconds,
        )

    def totals(self) -> dict[str, Any]:
        """Everything charged, for ``run.json``."""
        return {
            "epochs": self.epochs,
            "full_evaluations": self.budget_used,
            "train_seconds": self.train_seconds,
            "setup_seconds": self.setup_seconds,
            "strategy_seconds": self.overhead_seconds,
            "flops": self.flops,
        }
