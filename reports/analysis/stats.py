"""Statistical comparison of strategies over blocks (problem x seed).

* Friedman test (:func:`scipy.stats.friedmanchisquare`) on the strategies' scores in
  each block; average ranks (1 = best) and the Nemenyi critical difference
  ``CD = q_alpha * sqrt(k (k + 1) / (6 N))`` with ``q_alpha`` the studentized-range
  quantile (:func:`scipy.stats.studentized_range`) divided by sqrt(2) (Demšar, 2006).
* Pairwise two-sided Wilcoxon signed-rank tests (:func:`scipy.stats.wilcoxon`; exact
  p-values for up to 14 non-zero differences, ties included) with Holm's step-down
  correction (:func:`statsmodels.stats.multitest.multipletests`).

Small samples are reported, not hidden: each result carries a note saying when a test
does not apply or cannot reach significance with so few blocks.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "ALPHA",
    "FriedmanResult",
    "friedman_nemenyi",
    "holm",
    "nemenyi_cd",
    "nemenyi_runs",
    "wilcoxon_holm",
]

ALPHA = 0.05


@dataclass(frozen=True)
class FriedmanResult:
    """Friedman test, average ranks and the Nemenyi critical difference.

    Attributes:
        strategies: The strategies compared, in column order.
        n_blocks: Number of blocks (N).
        statistic: Friedman chi-square (NaN when not applicable).
        pvalue: Its p-value (NaN when not applicable).
        alpha: Significance level.
        avg_ranks: Strategy -> average rank over blocks (1 = best).
        cd: Nemenyi critical difference of average ranks (NaN when not applicable).
        note: Why the test does not apply, or a caveat about its power; empty otherwise.
    """

    strategies: list[str]
    n_blocks: int
    statistic: float
    pvalue: float
    alpha: float
    avg_ranks: dict[str, float] = field(default_factory=dict)
    cd: float = math.nan
    note: str = ""

    @property
    def applicable(self) -> bool:
        """Whether the test was run."""
        return not math.isnan(self.pvalue)

    @property
    def significant(self) -> bool:
        """Whether the strategies differ at ``alpha``."""
        return self.applicable and self.pvalue < self.alpha


def nemenyi_cd(k: int, n: int, alpha: float = ALPHA) -> float:
    """Nemenyi critical difference of average ranks for ``k`` strategies over ``n`` blocks."""
    if k < 2 or n < 1:
        return math.nan
    q = float(stats.studentized_range.ppf(1 - alpha, k, np.inf)) / math.sqrt(2)
    return q * math.sqrt(k * (k + 1) / (6.0 * n))


def nemenyi_runs(sorted_ranks: list[float], cd: float) -> list[tuple[int, int]]:
    """Maximal runs of strategies not significantly different under Nemenyi's test.

    Args:
        sorted_ranks: Average ranks in ascending order.
        cd: The critical difference.

    Returns:
        ``(first, last)`` index pairs, singletons included, none inside another: each
        run starts at a strategy and reaches every later one within ``cd`` of it.
    """
    runs: list[tuple[int, int]] = []
    k = len(sorted_ranks)
    for i in range(k):
        j = max(jj for jj in range(i, k) if sorted_ranks[jj] - sorted_ranks[i] < cd)
        if not any(r0 <= i and j <= r1 for r0, r1 in runs):
            runs.append((i, j))
    return runs


def friedman_nemenyi(scores: pd.DataFrame, alpha: float = ALPHA) -> FriedmanResult:
    """Friedman test over blocks with average ranks and the Nemenyi critical difference.

    Args:
        scores: Blocks x strategies, lower is better (e.g. normalized regret); rows with
            a missing value are dropped.
        alpha: Significance level.

    Returns:
        The result; ``note`` explains when the test does not apply.
    """
    full = scores.dropna()
    labels = [str(c) for c in full.columns]
    k, n = len(labels), len(full)
    if k == 0 or n == 0:
        return FriedmanResult(labels, n, math.nan, math.nan, alpha, note="no complete block")
    ranks = stats.rankdata(full.to_numpy(dtype=float), axis=1, method="average")
    avg = {label: float(r) for label, r in zip(labels, ranks.mean(axis=0), strict=True)}
    if k == 1:
        return FriedmanResult(
            labels, n, math.nan, math.nan, alpha, avg, note="1 strategy: nothing to compare"
        )
    if k < 3:
        return FriedmanResult(
            labels,
            n,
            math.nan,
            math.nan,
            alpha,
            avg,
            note=f"{k} strategies: the Friedman test needs at least 3 "
            "(see the pairwise Wilcoxon test)",
        )
    if n < 2:
        return FriedmanResult(
            labels, n, math.nan, math.nan, alpha, avg, note="1 block: no test is possible"
        )
    columns = [full[c].to_numpy(dtype=float) for c in full.columns]
    if all(np.ptp(row) == 0 for row in full.to_numpy(dtype=float)):
        return FriedmanResult(
            labels,
            n,
            0.0,
            1.0,
            alpha,
            avg,
            nemenyi_cd(k, n, alpha),
            note="all strategies tie in every block",
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = stats.friedmanchisquare(*columns)
    note = ""
    if n < 10:
        note = f"N = {n} blocks: the chi-square approximation is rough and the power low"
    return FriedmanResult(
        labels,
        n,
        float(res.statistic),
        float(res.pvalue),
        alpha,
        avg,
        nemenyi_cd(k, n, alpha),
        note,
    )


def holm(pvalues: list[float] | np.ndarray, alpha: float = ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """Holm's step-down correction.

    Args:
        pvalues: Raw p-values (NaN stays NaN and is not counted).
        alpha: Family-wise error rate.

    Returns:
        ``(adjusted p-values, reject)``.
    """
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    reject = np.zeros(p.shape, dtype=bool)
    ok = ~np.isnan(p)
    if ok.any():
        rej, adj, _, _ = multipletests(p[ok], alpha=alpha, method="holm")
        adjusted[ok] = adj
        reject[ok] = rej
    return adjusted, reject


EXACT_MAX = 14  # up to this many non-zero differences: exact sign-flip distribution


def _asymptotic(d: np.ndarray) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            return stats.wilcoxon(d, alternative="two-sided", method="asymptotic")
        except ValueError:  # scipy < 1.14 names the normal approximation "approx"
            return stats.wilcoxon(d, alternative="two-sided", method="approx")


def _wilcoxon(d: np.ndarray) -> tuple[float, float]:
    """Two-sided Wilcoxon signed-rank test of paired differences; ``(statistic, p)``.

    Zero differences are dropped (Wilcoxon's convention). With at most
    :data:`EXACT_MAX` left, the p-value is exact under ties too: the signed-rank
    statistic's full sign-flip distribution (:func:`scipy.stats.permutation_test`, as
    ``scipy.stats.wilcoxon`` with a ``PermutationMethod``, vectorized). Beyond that:
    scipy's exact distribution without ties (n <= 50), else the normal approximation
    with tie correction.
    """
    nz = d[d != 0]
    if len(nz) < 2:  # one difference: min(T+, T-) = 0, and both signs are equally likely
        return 0.0, 1.0
    statistic = float(_asymptotic(nz).statistic)
    tied = len(np.unique(np.abs(nz))) < len(nz)
    if len(nz) <= EXACT_MAX:
        ranks = stats.rankdata(np.abs(nz))

        def positive_rank_sum(x: np.ndarray, axis: int = -1) -> np.ndarray:
            return np.asarray(np.sum(ranks * (x > 0), axis=axis))

        res = stats.permutation_test(
            (nz,),
            positive_rank_sum,
            permutation_type="samples",
            vectorized=True,
            n_resamples=np.inf,
            alternative="two-sided",
        )
        return statistic, float(res.pvalue)
    if not tied and len(nz) <= 50:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return statistic, float(stats.wilcoxon(nz, method="exact").pvalue)
    return statistic, float(_asymptotic(nz).pvalue)


def wilcoxon_holm(scores: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """Pairwise two-sided Wilcoxon signed-rank tests with Holm's correction.

    Args:
        scores: Blocks x strategies, lower is better; rows with a missing value are dropped.
        alpha: Family-wise significance level.

    Returns:
        One row per pair: a, b, n (blocks), wins_a, ties, wins_b, median_diff (a - b),
        statistic, p, p_holm, significant, note.
    """
    full = scores.dropna()
    cols = [
        "a",
        "b",
        "n",
        "wins_a",
        "ties",
        "wins_b",
        "median_diff",
        "statistic",
        "p",
        "p_holm",
        "significant",
        "note",
    ]
    rows = []
    for a, b in itertools.combinations(full.columns, 2):
        d = full[a].to_numpy(dtype=float) - full[b].to_numpy(dtype=float)
        nonzero = int(np.count_nonzero(d))
        stat, p, note = math.nan, math.nan, ""
        if len(d) == 0:
            note = "no paired blocks"
        elif nonzero == 0:
            p, note = 1.0, "identical in every block"
        else:
            stat, p = _wilcoxon(d)
            if 2.0 / 2**nonzero > alpha:
                note = f"{nonzero} non-tied blocks: p < {alpha} is impossible"
        rows.append(
            {
                "a": str(a),
                "b": str(b),
                "n": len(d),
                "wins_a": int((d < 0).sum()),
                "ties": len(d) - nonzero,
                "wins_b": int((d > 0).sum()),
                "median_diff": float(np.median(d)) if len(d) else math.nan,
                "statistic": stat,
                "p": p,
                "note": note,
            }
        )
    table = pd.DataFrame(rows, columns=[c for c in cols if c not in ("p_holm", "significant")])
    adjusted, reject = holm(table["p"].to_numpy(dtype=float), alpha)
    table["p_holm"] = adjusted
    table["significant"] = reject
    return table[cols]
