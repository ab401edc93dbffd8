"""Live-versus-replay fidelity: does replay rank the strategies as live training does?

A matrix may hold one problem twice: replayed from a learning-curve table and trained
live (e.g. a replay study with a small live confirmation, results under ``stocks-mlp/``
and ``stocks-mlp@live/``). For every such pair this module ranks the strategies present
in both by their median final test score in each mode and measures how well the two
rankings agree with Kendall's tau-b (:func:`scipy.stats.kendalltau`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from tunebench.reports.data import ProblemInfo

__all__ = ["MIN_STRATEGIES", "TABLE_COLUMNS", "FidelityResult", "compare", "fidelity", "pairs"]

MIN_STRATEGIES = 3  # Kendall's tau of two or fewer items says nothing
TABLE_COLUMNS = [
    "strategy",
    "replay_runs",
    "live_runs",
    "replay_median",
    "live_median",
    "replay_q25",
    "replay_q75",
    "live_q25",
    "live_q75",
    "replay_rank",
    "live_rank",
    "replay_val_median",
    "live_val_median",
    "replay_val_rank",
    "live_val_rank",
]


@dataclass(frozen=True)
class FidelityResult:
    """How one problem's strategy ranking in replay compares with its live ranking.

    Attributes:
        problem: The registered problem name both entries run.
        replay: Label of the replay entry (e.g. ``stocks-mlp``).
        live: Label of the live entry (e.g. ``stocks-mlp@live``).
        metric: Keras metric name.
        direction: ``"maximize"`` or ``"minimize"``.
        max_epochs: Epochs of one full evaluation (the same in both entries).
        strategies: Strategies with a final test score in both modes (sorted).
        replay_seeds: Distinct seeds of those strategies' complete replay runs.
        live_seeds: Distinct seeds of their complete live runs.
        tau: Kendall's tau-b between the rankings by median final test score;
            ``None`` when not computed (see ``note``).
        pvalue: Its two-sided p-value (``None`` with ``tau``).
        val_tau: The same on the median final validation value of the incumbents.
        val_pvalue: Its p-value.
        note: Why ``tau`` (or ``val_tau``) is not computed; empty when both are.
        replay_backend: The Keras backend the replayed table was recorded with.
        live_backend: The Keras backend the live runs trained on.
        table: Per strategy (columns :data:`TABLE_COLUMNS`): complete runs, median and
            quartiles of the final test score, rank (1 = best, ties share the mean
            rank), and median and rank of the final validation value, in each mode.
    """

    problem: str
    replay: str
    live: str
    metric: str
    direction: str
    max_epochs: int
    strategies: list[str]
    replay_seeds: int
    live_seeds: int
    tau: float | None
    pvalue: float | None
    val_tau: float | None = None
    val_pvalue: float | None = None
    note: str = ""
    table: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TABLE_COLUMNS))
    replay_backend: str | None = None
    live_backend: str | None = None

    @property
    def backend_flag(self) -> str:
        """A warning when the two modes' curves come from different Keras backends."""
        if None in (self.replay_backend, self.live_backend):
            return ""
        if self.replay_backend == self.live_backend:
            return ""
        return (
            f"the table was recorded on {self.replay_backend} and the live runs trained on "
            f"{self.live_backend}, so the backends' numerical differences are part of "
            "any disagreement (leave [execution] backend unset to train on the table's)"
        )

    @property
    def n(self) -> int:
        """Number of strategies compared."""
        return len(self.strategies)

    def tau_text(self) -> str:
        """``Kendall's tau-b = 0.62 (p = 0.003)``, or why it is not computed."""
        if self.tau is None or self.pvalue is None:
            return f"Kendall's tau not computed: {self.note}"
        return f"Kendall's tau-b = {self.tau:.2f} (p = {self.pvalue:.3g})"


def _problem_name(info: ProblemInfo) -> str:
    """The registered name; older results record only the label (``name@mode``)."""
    if info.registered == info.name and "@" in info.name:
        return info.name.rsplit("@", 1)[0]
    return info.registered


def pairs(infos: Mapping[str, ProblemInfo]) -> list[tuple[ProblemInfo, ProblemInfo]]:
    """Pair every live entry with a replay entry of the same problem.

    A replay entry qualifies when it runs the same registered problem with the same
    ``max_epochs`` (otherwise the two would not train the same models); among several,
    the one with the same problem options is preferred, then the first in matrix order.

    Args:
        infos: Problem label -> its info, in matrix order.

    Returns:
        ``(replay, live)`` pairs, in the matrix order of the live entries.
    """
    replays = [i for i in infos.values() if i.mode == "replay"]
    out = []
    for live in (i for i in infos.values() if i.mode == "live"):
        matches = [
            r
            for r in replays
            if _problem_name(r) == _problem_name(live) and r.max_epochs == live.max_epochs
        ]
        if matches:
            same_params = [r for r in matches if r.params == live.params]
            out.append(((same_params or matches)[0], live))
    return out


def _ranks(median: pd.Series, sign: float) -> np.ndarray:
    """Rank 1 = best median (``sign`` makes larger better); ties share the mean rank."""
    # Keras metrics are float32: differences below 1e-6 are rounding, not results
    values = np.round(-sign * median.to_numpy(dtype=float), 6)
    return np.asarray(sps.rankdata(values, method="average"))


def _kendall(a: np.ndarray, b: np.ndarray, what: str) -> tuple[float | None, float | None, str]:
    """Kendall's tau-b between two rankings, or why there is none."""
    if len(a) < MIN_STRATEGIES:
        return (
            None,
            None,
            f"{len(a)} strategies have a {what} in both modes; Kendall's tau needs at least "
            f"{MIN_STRATEGIES}",
        )
    for ranks, mode in ((a, "replay"), (b, "live")):
        if np.unique(ranks).size == 1:
            return None, None, f"every strategy has the same median {what} in {mode}, no ranking"
    res = sps.kendalltau(a, b, variant="b")
    tau, p = float(res.statistic), float(res.pvalue)
    if math.isnan(tau):
        return None, None, f"Kendall's tau of {what} is undefined"
    return tau, p, ""


def _summary(final: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per strategy: runs with a value, median and quartiles of ``column``."""
    rows = final.dropna(subset=[column]).groupby("strategy", sort=True)[column]
    return pd.DataFrame(
        {
            "runs": rows.count(),
            "median": rows.median(),
            "q25": rows.quantile(0.25),
            "q75": rows.quantile(0.75),
        }
    )


def compare(
    replay: ProblemInfo,
    replay_final: pd.DataFrame,
    live: ProblemInfo,
    live_final: pd.DataFrame,
) -> FidelityResult:
    """Compare the strategy rankings of a replay entry and a live entry of one problem.

    Args:
        replay: The replay entry.
        replay_final: Its complete runs, one row each: strategy, seed, val (final
            validation value of the incumbent) and score (the reported final test score),
            as in :attr:`tunebench.reports.analysis.ProblemAnalysis.final`.
        live: The live entry.
        live_final: Its complete runs, the same columns.

    Returns:
        Medians, ranks and Kendall's tau-b over the strategies scored in both modes.
    """
    sign = replay.sign
    r_test, l_test = _summary(replay_final, "score"), _summary(live_final, "score")
    common = sorted(set(r_test.index) & set(l_test.index))
    r_test, l_test = r_test.reindex(common), l_test.reindex(common)
    r_val = _summary(replay_final, "val")["median"].reindex(common)
    l_val = _summary(live_final, "val")["median"].reindex(common)
    table = pd.DataFrame(
        {
            "strategy": common,
            "replay_runs": r_test["runs"].to_numpy(dtype=int),
            "live_runs": l_test["runs"].to_numpy(dtype=int),
            "replay_median": r_test["median"].to_numpy(dtype=float),
            "live_median": l_test["median"].to_numpy(dtype=float),
            "replay_q25": r_test["q25"].to_numpy(dtype=float),
            "replay_q75": r_test["q75"].to_numpy(dtype=float),
            "live_q25": l_test["q25"].to_numpy(dtype=float),
            "live_q75": l_test["q75"].to_numpy(dtype=float),
            "replay_rank": _ranks(r_test["median"], sign),
            "live_rank": _ranks(l_test["median"], sign),
            "replay_val_median": r_val.to_numpy(dtype=float),
            "live_val_median": l_val.to_numpy(dtype=float),
        }
    )
    tau, p, note = _kendall(
        table["replay_rank"].to_numpy(), table["live_rank"].to_numpy(), "final test score"
    )
    # validation ranks only over strategies with a validation value in both modes
    has_val = table["replay_val_median"].notna() & table["live_val_median"].notna()
    table["replay_val_rank"] = np.nan
    table["live_val_rank"] = np.nan
    table.loc[has_val, "replay_val_rank"] = _ranks(table.loc[has_val, "replay_val_median"], sign)
    table.loc[has_val, "live_val_rank"] = _ranks(table.loc[has_val, "live_val_median"], sign)
    val_tau, val_p, val_note = _kendall(
        table.loc[has_val, "replay_val_rank"].to_numpy(),
        table.loc[has_val, "live_val_rank"].to_numpy(),
        "final validation value",
    )
    seeds = {
        mode: final.loc[final["strategy"].isin(common) & final["score"].notna(), "seed"].nunique()
        for mode, final in (("replay", replay_final), ("live", live_final))
    }
    return FidelityResult(
        problem=_problem_name(live),
        replay=replay.name,
        live=live.name,
        metric=live.metric,
        direction=live.direction,
        max_epochs=live.max_epochs,
        strategies=common,
        replay_seeds=int(seeds["replay"]),
        live_seeds=int(seeds["live"]),
        tau=tau,
        pvalue=p,
        val_tau=val_tau,
        val_pvalue=val_p,
        note="; ".join(dict.fromkeys(n for n in (note, val_note) if n)),
        table=table[TABLE_COLUMNS],
        replay_backend=replay.backend,
        live_backend=live.backend,
    )


def fidelity(
    infos: Mapping[str, ProblemInfo], finals: Mapping[str, pd.DataFrame]
) -> list[FidelityResult]:
    """Live-versus-replay fidelity of every problem that ran in both modes.

    Args:
        infos: Problem label -> its info, in matrix order.
        finals: Problem label -> its complete runs' final scores (see :func:`compare`).

    Returns:
        One result per ``(replay, live)`` pair of :func:`pairs`; empty when no problem
        ran in both modes.
    """
    return [
        compare(replay, finals[replay.name], live, finals[live.name])
        for replay, live in pairs(infos)
    ]
