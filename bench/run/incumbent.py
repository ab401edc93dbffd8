"""The incumbent rule, in one place: which trial a run returns, and when it changed.

A run's incumbent is its best trial by last validation value among the trials
trained to ``max_epochs``. A trial cut short (pruned, or stopped by the budget)
counts only when no trial reached ``max_epochs``, because early values of
different lengths are not comparable. :func:`pick_incumbent` applies the rule to
a finished run's trials (the harness, for ``run.json``); :func:`incumbent_trace`
applies it after every epoch of a run's log (the reports' anytime curves), so the
last point of a trace is the run's ``best_value``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tunebench.strategies.base import TrialStatus

__all__ = ["IncumbentWatch", "Trace", "TrialRecord", "incumbent_trace", "pick_incumbent"]


@dataclass
class TrialRecord:
    """What the harness remembers about one trial (strategies never see ``test_value``)."""

    trial_id: int
    config: dict[str, Any]
    start_epoch: int
    values: list[float] = field(default_factory=list)
    status: TrialStatus = TrialStatus.COMPLETE
    reason: str = ""
    test_value: float | None = None

    @property
    def epochs(self) -> int:
        """Epochs the trial's weights have seen at its end."""
        return self.start_epoch + len(self.values)


def pick_incumbent(
    trials: Mapping[int, TrialRecord], direction: str, max_epochs: int
) -> TrialRecord | None:
    """The best trial: by last validation value among trials trained to ``max_epochs``.

    A trial cut short (pruned or stopped by the budget) counts only when no
    trial reached ``max_epochs``, because early values of different lengths are
    not comparable. Ties go to the lowest trial id, so the pick is deterministic.
    """
    scored = [t for t in trials.values() if t.values and t.status is not TrialStatus.FAILED]
    full = [t for t in scored if t.epochs >= max_epochs]
    pool = full or scored
    if not pool:
        return None
    sign = -1.0 if direction == "maximize" else 1.0
    return min(pool, key=lambda t: (sign * t.values[-1], t.trial_id))


class IncumbentWatch:
    """Whether a trial that just ended can still be its run's incumbent.

    Its test score matters only then (the harness scores test for such trials alone:
    scoring costs 0.1-1.4 s a trial live). A trial that ends behind a full-length trial
    that already ended can never win under :func:`pick_incumbent`'s rule, since trials
    that end later only add rivals; so the final incumbent was always scored.

    Args:
        direction: ``"maximize"`` or ``"minimize"``.
        max_epochs: Epochs of a full evaluation.
    """

    def __init__(self, direction: str, max_epochs: int) -> None:
        self._sign = -1.0 if direction == "maximize" else 1.0
        self._max_epochs = max_epochs
        self._best_full: TrialRecord | None = None  # best ended full-length trial
        self._best_any: TrialRecord | None = None  # best ended scored trial

    def _key(self, trial: TrialRecord) -> tuple[float, int]:
        return (self._sign * trial.values[-1], trial.trial_id)  # pick_incumbent's order

    def could_win(self, trial: TrialRecord) -> bool:
        """Whether ``trial`` (ending now, with values, not failed) can still win."""
        if trial.epochs >= self._max_epochs:
            return self._best_full is None or self._key(trial) < self._key(self._best_full)
        # a cut-short trial counts only while no trial reached max_epochs
        if self._best_full is not None:
            return False
        return self._best_any is None or self._key(trial) < self._key(self._best_any)

    def ended(self, trial: TrialRecord) -> None:
        """Take an ended trial into account (failed and unscored ones change nothing)."""
        if not trial.values or trial.status is TrialStatus.FAILED:
            return
        if self._best_any is None or self._key(trial) < self._key(self._best_any):
            self._best_any = trial
        if trial.epochs >= self._max_epochs and (
            self._best_full is None or self._key(trial) < self._key(self._best_full)
        ):
            self._best_full = trial


@dataclass(frozen=True)
class Trace:
    """A run's incumbent as a step function (one point per change of incumbent).

    Attributes:
        budget: Budget used when the incumbent changed (full-evaluation equivalents).
        seconds: Seconds since the run started at that moment (simulated in replay).
        value: The incumbent's validation value from then on (raw metric).
        end_budget: Budget used at the run's last epoch.
        end_seconds: Seconds at the run's last epoch.
    """

    budget: np.ndarray
    seconds: np.ndarray
    value: np.ndarray
    end_budget: float
    end_seconds: float

    @property
    def final(self) -> float:
        """The run's final incumbent value (NaN without one)."""
        return float(self.value[-1]) if len(self.value) else math.nan


def incumbent_trace(run: pd.DataFrame, sign: float, max_epochs: int) -> Trace:
    """The incumbent over one run, from its epoch rows (failed trials already removed).

    The same rule as :func:`pick_incumbent`, applied at every epoch: the last point is
    the run's final incumbent value.

    Args:
        run: Epoch rows: ``trial``, ``epoch``, ``value``, ``budget_used``, ``t``.
        sign: +1 when larger is better, -1 otherwise.
        max_epochs: Epochs of a full evaluation.
    """
    run = run.sort_values(["budget_used", "t"], kind="stable")
    end_budget = float(run["budget_used"].max()) if len(run) else 0.0
    end_seconds = float(run["t"].max()) if len(run) else 0.0
    run = run[run["value"].notna()]
    pool = run[run["epoch"] >= max_epochs]
    if pool.empty:  # as the harness: no full evaluation, so shorter trials' last values
        pool = run[run["epoch"] == run.groupby("trial")["epoch"].transform("max")]
    if pool.empty:
        empty = np.array([], dtype=float)
        return Trace(empty, empty, empty, end_budget, end_seconds)
    scored = sign * pool["value"].to_numpy(dtype=float)
    best = np.maximum.accumulate(scored)
    changed = np.r_[True, best[1:] > best[:-1]]
    return Trace(
        budget=pool["budget_used"].to_numpy(dtype=float)[changed],
        seconds=pool["t"].to_numpy(dtype=float)[changed],
        value=sign * best[changed],
        end_budget=end_budget,
        end_seconds=end_seconds,
    )
