"""Anytime performance: each run's incumbent over budget and time, regret, ranks, speedup.

A run's score at budget ``b`` is the full-length (``max_epochs``) value of the config
it would return if it ended there (the rule of :mod:`tunebench.run.incumbent`): the best
last validation value among trials trained to ``max_epochs`` by then, or, while none is,
the best latest value of any trial, that config then scored by its value at
``max_epochs`` (replay and surrogate runs look it up at no charge, as HPOBench and YAHPO
Gym score an incumbent; live runs have only what they trained). Every strategy is scored
the same way, whether or not it trains trials to full length. The mean curves of a
strategy start where every seed has a score; the last point of every curve is the run's
``score_value``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from tunebench.reports.inputs.load import ProblemInfo
from tunebench.run.incumbent import Trace, incumbent_trace

__all__ = [
    "BEST_RUN",
    "BOOTSTRAP_SEED",
    "CONFIDENCE",
    "N_GRID",
    "Normalizer",
    "Trace",
    "average_ranks",
    "budget_to_reach",
    "mean_ci",
    "normalizer",
    "run_traces",
    "speedup_table",
    "step_values",
]

N_GRID = 200  # points of the common budget / time grid
CONFIDENCE = 0.95
BOOTSTRAP_SEED = 20240601  # fixed: the same results give the same intervals, byte for byte
N_RESAMPLES = 2000
#: Regret's 0-point unless a better one is known (see :class:`Normalizer`).
BEST_RUN = "the best score any run reached on the problem"


def run_traces(
    epochs: pd.DataFrame, trials: pd.DataFrame, runs: pd.DataFrame, info: ProblemInfo
) -> dict[tuple[str, int], Trace]:
    """Incumbent traces of a problem's complete runs.

    Args:
        epochs: The collected ``epochs`` table (any problems).
        trials: The collected ``trials`` table (failed trials are left out).
        runs: The complete runs to trace.
        info: The problem.

    Returns:
        ``(strategy, seed) -> Trace`` for every run of ``runs`` on the problem.
    """
    mine = runs[runs["problem"] == info.name]
    key = ["strategy", "seed"]
    ep = epochs[epochs["problem"] == info.name] if len(epochs) else epochs
    if len(trials):
        failed = trials[(trials["problem"] == info.name) & (trials["status"] == "failed")]
        if len(failed):
            drop = failed[[*key, "trial"]].assign(_failed=True)
            ep = ep.merge(drop, on=[*key, "trial"], how="left")
            ep = ep[ep["_failed"].isna()].drop(columns="_failed")
    groups = dict(iter(ep.groupby(key, sort=False))) if len(ep) else {}
    full: dict[tuple[str, int], dict[int, float]] = {}  # looked up at max_epochs, per run
    if len(trials) and "full_value" in trials.columns:
        known = trials[(trials["problem"] == info.name) & trials["full_value"].notna()]
        for s, seed, trial, value in zip(known["strategy"], known["seed"], known["trial"],
                                         known["full_value"], strict=True):  # fmt: skip
            full.setdefault((str(s), int(seed)), {})[int(trial)] = float(value)
    out: dict[tuple[str, int], Trace] = {}
    for row in mine.itertuples(index=False):
        k = (str(row.strategy), int(row.seed))
        run = groups.get(k)
        if run is None:
            run = (
                ep.iloc[0:0]
                if len(ep)
                else pd.DataFrame(columns=["trial", "epoch", "value", "budget_used", "t"])
            )
        out[k] = incumbent_trace(run, info.sign, info.max_epochs, full.get(k))
    return out


def step_values(x: np.ndarray, y: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Evaluate a right-continuous step function (``y[i]`` from ``x[i]`` on) on ``grid``.

    Returns:
        NaN where ``grid`` lies before the first step.
    """
    out = np.full(len(grid), np.nan)
    if len(x) == 0:
        return out
    idx = np.searchsorted(x, grid, side="right") - 1
    ok = idx >= 0
    out[ok] = y[idx[ok]]
    return out


def _bootstrap_kwargs(seed: int) -> dict[str, object]:
    """Scipy >= 1.15 takes ``rng``; older releases ``random_state``."""
    gen = np.random.default_rng(seed)
    params = inspect.signature(stats.bootstrap).parameters
    return {"rng": gen} if "rng" in params else {"random_state": gen}


def mean_ci(
    matrix: np.ndarray, confidence: float = CONFIDENCE, seed: int = BOOTSTRAP_SEED
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over rows (seeds) per column, with a percentile bootstrap interval.

    Columns where any row is NaN are left NaN (a mean over a changing set of seeds
    would jump). With fewer than two rows the interval is NaN.

    Args:
        matrix: Seeds x grid points.
        confidence: Confidence level of the interval.
        seed: Seed of the bootstrap's generator (fixed, so reports are reproducible).

    Returns:
        ``(mean, low, high)``, one value per column.
    """
    matrix = np.asarray(matrix, dtype=float)
    n_cols = matrix.shape[1] if matrix.ndim == 2 else 0
    mean = np.full(n_cols, np.nan)
    low = np.full(n_cols, np.nan)
    high = np.full(n_cols, np.nan)
    if matrix.ndim != 2 or matrix.shape[0] == 0:
        return mean, low, high
    defined = ~np.isnan(matrix).any(axis=0)
    if not defined.any():
        return mean, low, high
    data = matrix[:, defined]
    mean[defined] = data.mean(axis=0)
    if matrix.shape[0] < 2:
        return mean, low, high
    spread = np.ptp(data, axis=0) > 0
    low[defined] = mean[defined]
    high[defined] = mean[defined]
    if spread.any():
        res = stats.bootstrap(
            (data[:, spread],),
            np.mean,
            axis=0,
            vectorized=True,
            n_resamples=N_RESAMPLES,
            confidence_level=confidence,
            method="percentile",
            **_bootstrap_kwargs(seed),
        )
        cols = np.flatnonzero(defined)[spread]
        low[cols] = res.confidence_interval.low
        high[cols] = res.confidence_interval.high
    return mean, low, high


@dataclass(frozen=True)
class Normalizer:
    """Normalized regret of one problem: 0 at the best score known, 1 at the reference.

    ``regret(s) = (best - s) / (best - reference)`` in "larger is better" terms (scores
    of a minimized metric are negated first). By default ``best`` is the best score any
    run reached on the problem; for a problem replayed from one learning-curve table it
    is the table's optimum instead (:mod:`tunebench.reports.analysis.optimum`), the best score any
    run on it can see, so regret is >= 0 and 0 only at the table's best. 1 is the
    reference: random search's median final score, or, when random search is not in the
    matrix (or is itself the best), the worst median final score of any strategy.

    Attributes:
        best: The score mapped to 0 (raw metric).
        reference: The score mapped to 1 (raw metric).
        reference_name: What the reference is, in words.
        sign: +1 for a maximized metric, -1 for a minimized one.
        zero_name: What ``best`` is, in words.
    """

    best: float
    reference: float
    reference_name: str
    sign: float
    zero_name: str = BEST_RUN

    def __call__(self, values: np.ndarray | float) -> np.ndarray:
        """Regret of raw scores (NaN stays NaN; 0 everywhere if best == reference)."""
        values = np.asarray(values, dtype=float)
        gap = self.sign * (self.best - self.reference)
        if not gap > 0:
            return np.where(np.isnan(values), np.nan, 0.0)
        return self.sign * (self.best - values) / gap


def normalizer(
    finals: Mapping[str, Sequence[float]],
    sign: float,
    random_label: str | None,
    best: float | None = None,
    zero_name: str | None = None,
) -> Normalizer:
    """The regret normalizer of one problem from each strategy's final scores.

    Args:
        finals: Strategy label -> final scores of its runs (raw metric).
        sign: +1 when larger is better.
        random_label: Label of random search in the matrix, if it is there.
        best: The score to map to 0 when it is known (a table's optimum); ``None``: the
            best of ``finals``.
        zero_name: What ``best`` is, in words (required with ``best``; default
            :data:`BEST_RUN`).

    Returns:
        The normalizer (see :class:`Normalizer` for the fallback when random is absent).
    """
    if best is not None and zero_name is None:
        raise ValueError("a known best needs its zero_name")
    zero = zero_name or BEST_RUN
    cleaned = {k: [v for v in vals if not math.isnan(v)] for k, vals in finals.items()}
    cleaned = {k: v for k, v in cleaned.items() if v}
    if not cleaned:
        return Normalizer(math.nan if best is None else best, math.nan, "no scores", sign, zero)
    if best is None:
        best = sign * max(sign * v for vals in cleaned.values() for v in vals)
    medians = {k: float(np.median(v)) for k, v in cleaned.items()}
    if random_label in medians and sign * (best - medians[random_label]) > 0:
        return Normalizer(
            best, medians[random_label], f"median final score of {random_label}", sign, zero
        )
    worst_label = min(medians, key=lambda k: (sign * medians[k], k))
    why = "random search absent" if random_label not in medians else "random search is best"
    return Normalizer(
        best,
        medians[worst_label],
        f"worst median final score ({worst_label}; {why})",
        sign,
        zero,
    )


def average_ranks(blocks: np.ndarray) -> np.ndarray:
    """Average rank of each strategy over blocks, per grid point (1 = best).

    Args:
        blocks: Blocks (problem x seed) x strategies x grid points, "larger is better"
            scores; NaN (no incumbent yet) ranks last, ties share the average rank.

    Returns:
        Strategies x grid points.
    """
    if blocks.size == 0:
        return np.full(blocks.shape[1:], np.nan)
    filled = np.where(np.isnan(blocks), -np.inf, blocks)
    # rank descending along the strategy axis: rank of -score, ties averaged
    ranks = stats.rankdata(-filled, axis=1, method="average")
    return np.asarray(ranks.mean(axis=0))


def budget_to_reach(
    trace_x: np.ndarray, trace_value: np.ndarray, target: float, sign: float
) -> float:
    """First budget (or time) at which a run's incumbent is at least as good as ``target``.

    Returns:
        ``inf`` when the run never reaches it.
    """
    good = sign * np.asarray(trace_value, dtype=float) >= sign * target - 1e-12
    hits = np.flatnonzero(good)
    return float(trace_x[hits[0]]) if len(hits) else math.inf


def _lower_median(values: Sequence[float]) -> float:
    """Median; of an even count, the lower middle value (so half the seeds reached it)."""
    return float(np.quantile(np.asarray(values, dtype=float), 0.5, method="lower"))


def speedup_table(
    traces: Mapping[tuple[str, int], Trace], sign: float, random_label: str | None
) -> tuple[pd.DataFrame, float]:
    """Budget each strategy needs to reach random search's median final score.

    The target is the median over seeds of random search's final incumbent (validation).
    Each run's budget to reach it is the first budget at which its incumbent is at
    least as good (``inf`` if never); a strategy's budget is the median over its seeds
    (the lower middle value for an even number of seeds, so that half of them got there).
    The speedup is random search's own median budget to the target divided by the
    strategy's (> 1: faster than random search).

    Args:
        traces: ``(strategy, seed) -> Trace`` of one problem.
        sign: +1 when larger is better.
        random_label: Label of random search; without it there is no table.

    Returns:
        The table (strategy, seeds, reached, budget_median, speedup) and the target.
    """
    cols = ["strategy", "seeds", "reached", "budget_median", "speedup"]
    if random_label is None or not any(k[0] == random_label for k in traces):
        return pd.DataFrame(columns=cols), math.nan
    target = float(np.median([t.final for k, t in traces.items() if k[0] == random_label]))
    per: dict[str, list[float]] = {}
    for (label, _seed), trace in sorted(traces.items()):
        per.setdefault(label, []).append(budget_to_reach(trace.budget, trace.value, target, sign))
    reference = _lower_median(per[random_label])
    rows = []
    for label, budgets in per.items():
        med = _lower_median(budgets)
        # NaN: the median seed never reached the target within the budget
        speed = reference / med if math.isfinite(med) and med > 0 else math.nan
        rows.append(
            {
                "strategy": label,
                "seeds": len(budgets),
                "reached": int(np.isfinite(budgets).sum()),
                "budget_median": med,
                "speedup": speed,
            }
        )
    return pd.DataFrame(rows, columns=cols), target
