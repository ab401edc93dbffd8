"""The report's opening answer: which strategies differ, at which budget.

At each budget checkpoint (20 and 50 full evaluations where a run's budget reaches
them, and the whole budget) every block (problem x seed) ranks the strategies
compared on every problem by the normalized validation regret of their incumbent at
that budget, the quantity each strategy optimizes and the one the anytime figures
show. Per checkpoint: the mean rank, the median regret with a bootstrap interval, the
Friedman test, the Nemenyi groups (strategies sharing a letter are not significantly
different) and the number of pairwise Wilcoxon-Holm differences.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from tunebench.reports.analysis import anytime, stats
from tunebench.reports.analysis.anytime import Normalizer, Trace
from tunebench.reports.analysis.stats import FriedmanResult

__all__ = ["CHECKPOINTS", "Checkpoint", "ProblemRuns", "leaderboard", "nemenyi_groups"]

#: Budgets (full evaluations) the leaderboard reports where a run's budget reaches them.
CHECKPOINTS = (20.0, 50.0)


@dataclass(frozen=True)
class ProblemRuns:
    """What the leaderboard needs of one problem.

    Attributes:
        name: The problem.
        traces: ``(strategy, seed) -> Trace`` of its complete runs.
        blocks: Seeds where every strategy of the problem is complete.
        val_norm: Its validation regret normalizer.
        budget_max: Its budget (full-evaluation equivalents).
    """

    name: str
    traces: Mapping[tuple[str, int], Trace]
    blocks: Sequence[int]
    val_norm: Normalizer
    budget_max: float


@dataclass
class Checkpoint:
    """The leaderboard at one budget.

    Attributes:
        label: How the budget is named (``"20 full evaluations"``, ``"the whole budget"``).
        budget: Full evaluations, or ``None`` for each problem's whole budget.
        table: One row per strategy, best mean rank first: strategy, mean_rank,
            regret_median, regret_low, regret_high, group, wins (significant pairwise
            wins), losses.
        friedman: Friedman test and Nemenyi CD over the blocks.
        wilcoxon: Pairwise Wilcoxon-Holm table.
        n_blocks: Blocks (problem x seed) compared.
    """

    label: str
    budget: float | None
    table: pd.DataFrame
    friedman: FriedmanResult
    wilcoxon: pd.DataFrame
    n_blocks: int

    @property
    def n_significant(self) -> int:
        """Significant pairwise differences (Wilcoxon-Holm)."""
        return int(self.wilcoxon["significant"].sum()) if len(self.wilcoxon) else 0


def nemenyi_groups(avg_ranks: Mapping[str, float], cd: float) -> dict[str, str]:
    """Compact letter display of the Nemenyi test.

    Each maximal run of strategies (ordered by average rank) whose ranks lie within
    ``cd`` of each other gets a letter; two strategies that share no letter differ
    significantly.

    Args:
        avg_ranks: Strategy -> average rank (1 = best).
        cd: The critical difference (NaN: no test, every strategy in one group).

    Returns:
        Strategy -> its letters, e.g. ``"ab"``.
    """
    order = sorted(avg_ranks, key=lambda s: (avg_ranks[s], s))
    if not order:
        return {}
    if math.isnan(cd):
        return dict.fromkeys(order, "")
    runs = stats.nemenyi_runs([avg_ranks[s] for s in order], cd)
    letters = string.ascii_lowercase
    out = dict.fromkeys(order, "")
    for n, (i, j) in enumerate(runs):
        letter = letters[n] if n < len(letters) else f"[{n}]"
        for s in order[i : j + 1]:
            out[s] += letter
    return out


def _median_ci(values: np.ndarray, seed: int) -> tuple[float, float, float]:
    """Median with a 95% percentile-bootstrap interval (inf: a run without incumbent)."""
    med = float(np.median(values))
    if len(values) < 2 or (values == values[0]).all():
        return med, med, med
    # inf (no incumbent) is worse than every finite regret: bootstrap a finite stand-in
    finite = values[np.isfinite(values)]
    top = float(finite.max()) if len(finite) else 0.0
    data = np.where(np.isfinite(values), values, top + 1.0)
    res = sps.bootstrap(
        (data,),
        np.median,
        vectorized=True,
        n_resamples=anytime.N_RESAMPLES,
        confidence_level=anytime.CONFIDENCE,
        method="percentile",
        **anytime._bootstrap_kwargs(seed),  # one bootstrap rule for the report
    )
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    # a bootstrap median above every finite regret has an inf in it: inf
    some_inf = len(finite) < len(values)
    back = lambda v: math.inf if some_inf and v > top else v  # noqa: E731
    return med, back(low), back(high)


def _at(
    problems: Sequence[ProblemRuns], strategies: list[str], budget: float | None
) -> pd.DataFrame:
    """Blocks x strategies of validation regret at ``budget`` (``None``: the whole budget)."""
    rows, index = [], []
    for p in problems:
        at = p.budget_max if budget is None else budget
        for seed in p.blocks:
            vals = np.array(
                [
                    anytime.step_values(
                        p.traces[(s, seed)].budget, p.traces[(s, seed)].value, np.array([at])
                    )[0]
                    for s in strategies
                ]
            )
            regret = np.asarray(p.val_norm(vals), dtype=float)
            # no incumbent yet at this budget: the worst regret there is
            rows.append(np.where(np.isnan(regret), np.inf, regret))
            index.append(f"{p.name}/seed={seed}")
    return pd.DataFrame(rows, index=index, columns=strategies, dtype=float)


def _checkpoints(problems: Sequence[ProblemRuns]) -> list[tuple[str, float | None]]:
    caps = [p.budget_max for p in problems]
    reach = min(caps) if caps else 0.0
    out: list[tuple[str, float | None]] = [
        (f"{b:g} full evaluations", b) for b in CHECKPOINTS if b < reach - 1e-9
    ]
    if len(set(caps)) == 1:
        out.append((f"{caps[0]:g} full evaluations (the whole budget)", None))
    else:
        out.append(("each problem's whole budget", None))
    return out


def leaderboard(problems: Sequence[ProblemRuns], strategies: list[str]) -> list[Checkpoint]:
    """The leaderboard at every checkpoint the runs reach.

    Args:
        problems: The problems compared.
        strategies: Strategies complete on every problem.

    Returns:
        One :class:`Checkpoint` per budget, smallest first; empty without strategies.
    """
    if not strategies or not problems:
        return []
    out = []
    for label, budget in _checkpoints(problems):
        scores = _at(problems, strategies, budget)
        # inf (no incumbent) ranks last; the tests need finite values, so cap it
        finite = scores.replace(np.inf, np.nan)
        worst = float(np.nanmax(finite.to_numpy())) if finite.notna().any().any() else 1.0
        tested = scores.replace(np.inf, worst + 1.0)
        fried = stats.friedman_nemenyi(tested)
        wil = stats.wilcoxon_holm(tested)
        groups = nemenyi_groups(fried.avg_ranks, fried.cd if fried.applicable else math.nan)
        beats = _significant_wins(wil)
        rows = []
        for j, s in enumerate(strategies):
            med, low, high = _median_ci(scores[s].to_numpy(dtype=float), anytime.BOOTSTRAP_SEED + j)
            rows.append(
                {
                    "strategy": s,
                    "mean_rank": fried.avg_ranks.get(s, math.nan),
                    "regret_median": med,
                    "regret_low": low,
                    "regret_high": high,
                    "group": groups.get(s, ""),
                    "wins": sum(1 for w, _ in beats if w == s),
                    "losses": sum(1 for _, lo in beats if lo == s),
                }
            )
        table = pd.DataFrame(rows).sort_values(["mean_rank", "strategy"], ignore_index=True)
        out.append(Checkpoint(label, budget, table, fried, wil, len(scores)))
    return out


def _significant_wins(wilcoxon: pd.DataFrame) -> list[tuple[str, str]]:
    """``(winner, loser)`` of every significant pair: the one lower in more blocks wins."""
    out: list[tuple[str, str]] = []
    if not len(wilcoxon):
        return out
    for row in wilcoxon[wilcoxon["significant"]].itertuples(index=False):
        a_wins = (row.wins_a, -row.median_diff) > (row.wins_b, row.median_diff)
        out.append((str(row.a), str(row.b)) if a_wins else (str(row.b), str(row.a)))
    return out
