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
    """What the harness remembers about one trial (strategies never see ``test_value``).

    ``config`` is the config the trial was evaluated as; ``proposed`` the strategy's
    proposal when a simulated mode served it from another (recorded) config.
    """

    trial_id: int
    config: dict[str, Any]
    start_epoch: int
    values: list[float] = field(default_factory=list)
    status: TrialStatus = TrialStatus.COMPLETE
    reason: str = ""
    test_value: float | None = None
    proposed: dict[str, Any] | None = None
    full_value: float | None = None  # at max_epochs, when it ended short (simulated modes)
    full_test_value: float | None = None

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
    scoring a trial live is a pass over the test split, which
    ``bench/perf/harness_overhead.py`` times). A trial that ends behind a full-length
    trial that already ended can never win under :func:`pick_incumbent`'s rule, since
    trials that end later only add rivals; so the final incumbent was always scored.

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


def incumbent_trace(
    run: pd.DataFrame,
    sign: float,
    max_epochs: int,
    full: Mapping[int, float] | None = None,
) -> Trace:
    """The run's score over its budget: what it would return, scored at full length.

    At every epoch of the log, :func:`pick_incumbent`'s rule picks the trial the run
    would return if it stopped there (the best last value among trials that reached
    ``max_epochs``; while none has, the best latest value of any trial), and the run's
    score is that config's value at ``max_epochs``: its own value when it reached it,
    else ``full[trial]`` (replay and surrogate runs look it up at no charge; see the
    ``full_value`` of ``trial_end``), else, live, the value it reached. One point per
    change of the score; the last point is the run's final score.

    Args:
        run: Epoch rows: ``trial``, ``epoch``, ``value``, ``budget_used``, ``t``
            (failed trials already removed).
        sign: +1 when larger is better, -1 otherwise.
        max_epochs: Epochs of a full evaluation.
        full: Full-length values of trials that ended short, by trial.
    """
    run = run.sort_values(["budget_used", "t"], kind="stable")
    end_budget = float(run["budget_used"].max()) if len(run) else 0.0
    end_seconds = float(run["t"].max()) if len(run) else 0.0
    run = run[run["value"].notna()]
    full = dict(full or {})
    reached = run[run["epoch"] >= max_epochs]
    for trial, value in zip(reached["trial"], reached["value"], strict=True):
        full.setdefault(int(trial), float(value))  # its own full-length value
    latest: dict[int, float] = {}
    best_full: tuple[float, int] | None = None  # (-sign * value, trial): smaller is better
    best_any: tuple[float, int] | None = None  # the same over every trial's latest value
    budgets: list[float] = []
    seconds: list[float] = []
    values: list[float] = []
    rows = zip(run["trial"], run["epoch"], run["value"], run["budget_used"], run["t"], strict=True)
    for trial, epoch, value, budget, t in rows:
        trial, value = int(trial), float(value)
        latest[trial] = value
        key = (-sign * value, trial)
        if epoch >= max_epochs and (best_full is None or key < best_full):
            best_full = key
        if best_full is not None:
            score = -sign * best_full[0]
        else:
            if best_any is None or key < best_any:
                best_any = key
            elif best_any[1] == trial:  # the leader got worse: look again
                best_any = min((-sign * v, k) for k, v in latest.items())
            score = full.get(best_any[1], latest[best_any[1]])
        if not values or score != values[-1]:
            budgets.append(float(budget))
            seconds.append(float(t))
            values.append(score)
    return Trace(
        budget=np.asarray(budgets, dtype=float),
        seconds=np.asarray(seconds, dtype=float),
        value=np.asarray(values, dtype=float),
        end_budget=end_budget,
        end_seconds=end_seconds,
    )
