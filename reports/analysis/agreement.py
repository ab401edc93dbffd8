"""How far two modes agree on a leaderboard: mean ranks over paired seeds, and verdicts.

A leaderboard says two things: the order of the strategies (their mean ranks, rank 1 =
best in each seed) and which differences are real (pairwise tests over seeds). For two
modes of one experiment (say replay and live) this module computes both in each mode,
over the seeds complete for every strategy in both: Kendall's tau-b of the mean ranks
with a bootstrap interval over seeds, and each pair's verdict in each mode (two-sided
Wilcoxon signed-rank, Holm-corrected within the mode) with whether they agree. It also
says when two entries are not one experiment: they differ in budget, seeds or data.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as sps

from tunebench.reports.analysis.stats import ALPHA, wilcoxon_holm
from tunebench.reports.inputs.collect import DATA_SETTING_KEYS
from tunebench.reports.inputs.load import ProblemInfo

__all__ = [
    "BOOTSTRAP_RESAMPLES",
    "MIN_STRATEGIES",
    "VERDICT_COLUMNS",
    "block_ranks",
    "paired_blocks",
    "rank_tau",
    "settings_difference",
    "verdicts",
]

MIN_STRATEGIES = 3  # Kendall's tau of two or fewer items says nothing
#: Bootstrap resamples of the seeds behind the mean-rank tau's interval.
BOOTSTRAP_RESAMPLES = 2000
#: Columns of :attr:`FidelityResult.verdicts`, one row per pair of strategies.
VERDICT_COLUMNS = [
    "a",
    "b",
    "tested_winner",
    "tested_p_holm",
    "tested_significant",
    "reference_winner",
    "reference_p_holm",
    "reference_significant",
    "agreement",
]


def _seeds_text(seeds: tuple[int, ...]) -> str:
    """``20 seeds (0-19)``, or the seeds themselves when they are not one run of numbers."""
    ordered = sorted(seeds)
    n = f"{len(ordered)} seed{'s' if len(ordered) != 1 else ''}"
    if ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{n} ({ordered[0]}-{ordered[-1]})" if len(ordered) > 1 else f"{n} ({ordered[0]})"
    shown = ", ".join(str(x) for x in ordered[:6]) + (", ..." if len(ordered) > 6 else "")
    return f"{n} ({shown})"


def _budget_text(budget: tuple[float | None, float | None]) -> str:
    """``20 full evaluations`` / ``600 s`` / both."""
    evals, seconds = budget
    parts = ([f"{evals:g} full evaluations"] if evals is not None else []) + (
        [f"{seconds:g} s"] if seconds is not None else []
    )
    return " and ".join(parts) or "no cap"


#: How a setting is named where two entries differ in it (default: ``data <key>``).
_SETTING_NAMES = {"space": "search space (fingerprint)"}


def settings_difference(tested: ProblemInfo, reference: ProblemInfo) -> str:
    """Which settings two entries of one problem differ in, besides their mode.

    Budget, seeds and data settings are compared where both entries record them (a
    surrogate's runs, for example, record no data checksum).

    Returns:
        One line naming each differing setting with both values; empty when none differs.
    """
    t, r = tested.mode, reference.mode
    diffs = []
    tb, rb = tested.budget, reference.budget
    if tb is not None and rb is not None and tb != rb:
        diffs.append(f"budget: {_budget_text(tb)} in {t}, {_budget_text(rb)} in {r}")
    if tested.seeds and reference.seeds and set(tested.seeds) != set(reference.seeds):
        diffs.append(
            f"seeds: {_seeds_text(tested.seeds)} in {t}, {_seeds_text(reference.seeds)} in {r}"
        )
    for key in DATA_SETTING_KEYS:
        both = key in tested.data and key in reference.data
        if both and tested.data[key] != reference.data[key]:
            what = _SETTING_NAMES.get(key, f"data {key}")
            diffs.append(f"{what}: {tested.data[key]} in {t}, {reference.data[key]} in {r}")
    return "; ".join(diffs)


def paired_blocks(
    tested_final: pd.DataFrame,
    reference_final: pd.DataFrame,
    strategies: list[str],
    sign: float,
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Final test scores per seed and strategy (larger is better) in each mode.

    Returns:
        Seeds x strategies in the tested and the reference mode, over the seeds complete
        for every strategy in both modes, and those seeds.
    """
    wide = [
        final.dropna(subset=["score"])
        .pivot_table(index="seed", columns="strategy", values="score", aggfunc="first")
        .reindex(columns=strategies)
        .dropna()
        for final in (tested_final, reference_final)
    ]
    seeds = sorted(set(wide[0].index) & set(wide[1].index))
    return (
        sign * wide[0].loc[seeds].to_numpy(dtype=float),
        sign * wide[1].loc[seeds].to_numpy(dtype=float),
        [int(x) for x in seeds],
    )


def block_ranks(blocks: np.ndarray) -> np.ndarray:
    """Rank of each strategy within each seed (1 = best; ties share the mean rank)."""
    # Keras metrics are float32: differences below 1e-6 are rounding, not results
    return np.asarray(sps.rankdata(-np.round(blocks, 6), axis=1, method="average"))


def _tau_b(a: np.ndarray, b: np.ndarray) -> float:
    """Kendall's tau-b (NaN when a ranking is constant)."""
    if np.unique(a).size < 2 or np.unique(b).size < 2:
        return math.nan
    return float(sps.kendalltau(a, b, variant="b").statistic)


def rank_tau(
    tested_ranks: np.ndarray, reference_ranks: np.ndarray, seed: int
) -> tuple[float | None, float | None, tuple[float, float] | None]:
    """Tau-b of the mean ranks, its p-value and its bootstrap interval over seeds."""
    n, k = tested_ranks.shape
    if k < MIN_STRATEGIES or n < 2:
        return None, None, None
    a, b = tested_ranks.mean(axis=0), reference_ranks.mean(axis=0)
    if np.unique(a).size < 2 or np.unique(b).size < 2:
        return None, None, None
    res = sps.kendalltau(a, b, variant="b")
    tau, p = float(res.statistic), float(res.pvalue)
    if math.isnan(tau):
        return None, None, None
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(BOOTSTRAP_RESAMPLES, n))
    taus = np.array(
        [_tau_b(tested_ranks[d].mean(axis=0), reference_ranks[d].mean(axis=0)) for d in draws]
    )
    taus = taus[np.isfinite(taus)]
    interval = (
        (float(np.percentile(taus, 2.5)), float(np.percentile(taus, 97.5))) if len(taus) else None
    )
    return tau, p, interval


def _winner(row: pd.Series) -> str:
    """The better strategy of a Wilcoxon row (lower is better), or ``tie``."""
    diff = float(row["median_diff"])
    if diff < 0 or (diff == 0 and row["wins_a"] > row["wins_b"]):
        return str(row["a"])
    if diff > 0 or (diff == 0 and row["wins_b"] > row["wins_a"]):
        return str(row["b"])
    return "tie"


def verdicts(
    tested_blocks: np.ndarray,
    reference_blocks: np.ndarray,
    strategies: list[str],
    modes: tuple[str, str],
) -> pd.DataFrame:
    """Each mode's verdict on every pair of strategies, and whether the two agree."""
    if len(strategies) < 2 or len(tested_blocks) == 0:
        return pd.DataFrame(columns=VERDICT_COLUMNS)
    tests = [
        wilcoxon_holm(pd.DataFrame(-blocks, columns=strategies), ALPHA)
        for blocks in (tested_blocks, reference_blocks)
    ]
    rows = []
    pairs_of = zip(tests[0].itertuples(index=False), tests[1].itertuples(index=False), strict=True)
    for t, r in pairs_of:
        tw, rw = _winner(pd.Series(t._asdict())), _winner(pd.Series(r._asdict()))
        ts, rs = bool(t.significant), bool(r.significant)
        if ts and rs:
            agreement = "agree" if tw == rw else "disagree"
        elif ts or rs:
            mode, other = (modes[0], rw) if ts else (modes[1], tw)
            winner = tw if ts else rw
            agreement = (
                f"only {mode}"
                if other == "tie"
                else f"only {mode}, {'same' if other == winner else 'other'} way"
            )
        else:
            agreement = "neither"
        rows.append(
            {
                "a": t.a,
                "b": t.b,
                "tested_winner": tw,
                "tested_p_holm": float(t.p_holm),
                "tested_significant": ts,
                "reference_winner": rw,
                "reference_p_holm": float(r.p_holm),
                "reference_significant": rs,
                "agreement": agreement,
            }
        )
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)
