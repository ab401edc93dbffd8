"""Mode fidelity: does a cheap mode rank the strategies as its reference does?

A matrix may hold one problem in several modes: replayed from a learning-curve table,
served by a surrogate, and trained live (results under ``covertype-mlp/``,
``covertype-mlp@surrogate/`` and ``covertype-mlp@live/``). Each such pair is compared:
replay against live, surrogate against table (replay) and surrogate against live. For
each pair this module ranks the strategies present in both by their median final test
score in each mode and measures how well the two rankings agree with Kendall's tau-b
(:func:`scipy.stats.kendalltau`). The first entry of a pair is the one *tested* (the
cheaper stand-in), the second its *reference*.

Over the seeds complete for every compared strategy in both modes it also asks the
questions a leaderboard answers: the strategies' mean ranks (rank 1 = best in each
seed) in each mode, their Kendall's tau-b with a bootstrap interval over seeds, and for
every pair of strategies the verdict of each mode (Wilcoxon signed-rank over seeds,
Holm-corrected within the mode) and whether the two verdicts agree.

Two entries are compared only when they ran the same experiment but for the mode: the
same budget, the same seeds and the same data (checksum, variant, subsample). Otherwise
the result says in one line which setting differs, and nothing is compared.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from tunebench.backends.registry import BACKENDS, backend_class, compared_modes
from tunebench.reports.analysis.agreement import (
    MIN_STRATEGIES,
    VERDICT_COLUMNS,
    block_ranks,
    paired_blocks,
    rank_tau,
    settings_difference,
    verdicts,
)
from tunebench.reports.inputs.load import ProblemInfo

__all__ = [
    "MIN_STRATEGIES",
    "MODE_NAMES",
    "MODE_PHRASES",
    "PAIR_ANCHORS",
    "PAIR_MODES",
    "PAIR_TITLES",
    "TABLE_COLUMNS",
    "FidelityResult",
    "compare",
    "fidelity",
    "pairs",
]

#: (tested mode, reference mode) of every compared pair, in the order they are reported.
PAIR_MODES = tuple(compared_modes())
#: How the report names each mode's runs ("3 live seeds, 30 replayed").
MODE_NAMES = {mode: cls.runs_are for mode, cls in BACKENDS.items()}
#: How the report's text and captions name what each mode does ("trained live").
MODE_PHRASES = {mode: cls.does for mode, cls in BACKENDS.items()}
#: The report's heading of each kind of pair: the question it answers.
PAIR_TITLES = {
    (t, r): f"Does {BACKENDS[t].as_subject} predict {BACKENDS[r].as_object}?" for t, r in PAIR_MODES
}
#: The anchor of each kind of pair's section in the report.
PAIR_ANCHORS = {(t, r): f"{t}-vs-{BACKENDS[r].short_name}" for t, r in PAIR_MODES}
TABLE_COLUMNS = [
    "strategy",
    "tested_runs",
    "reference_runs",
    "tested_median",
    "reference_median",
    "tested_q25",
    "tested_q75",
    "reference_q25",
    "reference_q75",
    "tested_rank",
    "reference_rank",
    "tested_val_median",
    "reference_val_median",
    "tested_val_rank",
    "reference_val_rank",
    "tested_mean_rank",
    "reference_mean_rank",
]


@dataclass(frozen=True)
class FidelityResult:
    """How one problem's strategy ranking in a tested mode compares with a reference mode.

    Attributes:
        problem: The registered problem name both entries run.
        tested: Label of the tested entry (e.g. ``stocks-mlp`` replayed).
        reference: Label of the reference entry (e.g. ``stocks-mlp@live``).
        metric: Keras metric name.
        direction: ``"maximize"`` or ``"minimize"``.
        max_epochs: Epochs of one full evaluation (the same in both entries).
        strategies: Strategies with a final test score in both modes (sorted).
        tested_seeds: Distinct seeds of those strategies' complete tested runs.
        reference_seeds: Distinct seeds of their complete reference runs.
        tau: Kendall's tau-b between the rankings by median final test score;
            ``None`` when not computed (see ``note``).
        pvalue: Its two-sided p-value (``None`` with ``tau``).
        val_tau: The same on the median final validation value of the incumbents.
        val_pvalue: Its p-value.
        note: Why ``tau`` (or ``val_tau``) is not computed; empty when both are.
        tested_backend: The Keras backend behind the tested entry's curves.
        reference_backend: The Keras backend behind the reference entry's curves.
        tested_mode: ``"replay"`` or ``"surrogate"``.
        reference_mode: ``"live"`` or ``"replay"``.
        table: Per strategy (columns :data:`TABLE_COLUMNS`): complete runs, median and
            quartiles of the final test score, rank (1 = best, ties share the mean
            rank), median and rank of the final validation value, and mean rank over
            the paired seeds, in each mode.
        refused: Why the two entries are not compared (the settings that differ, one
            line); empty when they are.
        paired_seeds: Seeds complete for every compared strategy in both modes: the
            blocks of the mean ranks and the pairwise tests.
        rank_tau: Kendall's tau-b between the two modes' mean ranks (``None`` when not
            computed: fewer than :data:`MIN_STRATEGIES` strategies or 2 paired seeds).
        rank_pvalue: Its two-sided p-value.
        rank_tau_interval: Its 95% percentile interval over
            :data:`BOOTSTRAP_RESAMPLES` resamples of the paired seeds (the same seeds
            drawn in both modes, since a seed fixes the strategy's random stream in
            both).
        verdicts: Per pair of strategies (columns :data:`VERDICT_COLUMNS`): the better
            one in each mode by the median paired difference (``"tie"`` when none),
            Holm-adjusted p, whether significant at :data:`ALPHA`, and ``agreement``:
            ``agree`` or ``disagree`` (significant in both modes, same or opposite
            winner), ``only <mode>, same way`` / ``only <mode>, other way`` (significant
            in one mode; the other mode's winner is the same or the opposite one),
            ``only <mode>`` (the other mode ties), or ``neither``.
    """

    problem: str
    tested: str
    reference: str
    metric: str
    direction: str
    max_epochs: int
    strategies: list[str]
    tested_seeds: int
    reference_seeds: int
    tau: float | None
    pvalue: float | None
    val_tau: float | None = None
    val_pvalue: float | None = None
    note: str = ""
    table: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TABLE_COLUMNS))
    tested_backend: str | None = None
    reference_backend: str | None = None
    tested_mode: str = "replay"
    reference_mode: str = "live"
    refused: str = ""
    paired_seeds: int = 0
    rank_tau: float | None = None
    rank_pvalue: float | None = None
    rank_tau_interval: tuple[float, float] | None = None
    verdicts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=VERDICT_COLUMNS))

    @property
    def key(self) -> str:
        """``tested~reference``: names the pair's figure."""
        return f"{self.tested}~{self.reference}"

    @property
    def title(self) -> str:
        """The report's heading of this kind of pair (``Does replay predict live?``)."""
        return PAIR_TITLES[(self.tested_mode, self.reference_mode)]

    @property
    def anchor(self) -> str:
        """The anchor of this kind of pair's report section (``replay-vs-live``)."""
        return PAIR_ANCHORS[(self.tested_mode, self.reference_mode)]

    def verdict_counts(self) -> dict[str, int]:
        """Pairs of strategies counted by agreement.

        Returns:
            ``pairs``, ``both`` (significant in both modes), ``agree``, ``disagree``,
            ``one`` (significant in one mode only), ``one_same_way`` (of those, the
            other mode's winner is the same) and ``neither``.
        """
        v = self.verdicts
        kinds = v["agreement"].astype(str) if len(v) else pd.Series([], dtype=str)
        one = kinds.str.startswith("only ")
        return {
            "pairs": len(v),
            "both": int(kinds.isin(["agree", "disagree"]).sum()),
            "agree": int((kinds == "agree").sum()),
            "disagree": int((kinds == "disagree").sum()),
            "one": int(one.sum()),
            "one_same_way": int(kinds.str.endswith("same way").sum()),
            "neither": int((kinds == "neither").sum()),
        }

    def rank_tau_text(self) -> str:
        """``Kendall's tau-b of mean ranks = 0.73 (95% bootstrap interval 0.47 to 0.87)``."""
        if self.rank_tau is None:
            return "Kendall's tau-b of mean ranks not computed"
        interval = (
            f"95% bootstrap interval {self.rank_tau_interval[0]:.2f} to "
            f"{self.rank_tau_interval[1]:.2f}"
            if self.rank_tau_interval is not None
            else ""
        )
        p = f"p = {self.rank_pvalue:.3g}" if self.rank_pvalue is not None else ""
        inside = "; ".join(x for x in (interval, p) if x)
        return f"Kendall's tau-b of mean ranks = {self.rank_tau:.2f}" + (
            f" ({inside})" if inside else ""
        )

    @property
    def backend_flag(self) -> str:
        """A warning when the two modes' curves come from different Keras backends."""
        if None in (self.tested_backend, self.reference_backend):
            return ""
        if self.tested_backend == self.reference_backend:
            return ""
        return (
            f"{BACKENDS[self.tested_mode].curves_made} on {self.tested_backend} and "
            f"{BACKENDS[self.reference_mode].curves_made} on {self.reference_backend}, so the "
            "backends' numerical differences are part of any disagreement (leave [execution] "
            "backend unset to train on the table's)"
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
    """Pair entries of one problem in two modes: (tested, reference), per :data:`PAIR_MODES`.

    Replay is paired with live, a surrogate with replay (its table) and with live. A
    reference entry qualifies when it runs the same registered problem with the same
    ``max_epochs`` (otherwise the two would not train the same models); among several,
    the one with the same problem options is preferred, then the first in matrix order.

    Args:
        infos: Problem label -> its info, in matrix order.

    Returns:
        ``(tested, reference)`` pairs: the replay-live pairs first, then surrogate-replay,
        then surrogate-live, each in the matrix order of the entry that is not the
        replay entry (live for the first kind, the surrogate for the others).
    """
    out = []
    for tested_mode, reference_mode in PAIR_MODES:
        # the entry that picks its partner: the one of the rarer mode
        pick_tested = not backend_class(tested_mode).serves_table
        anchors = [
            i for i in infos.values() if i.mode == (tested_mode if pick_tested else reference_mode)
        ]
        candidates = [
            i for i in infos.values() if i.mode == (reference_mode if pick_tested else tested_mode)
        ]
        for anchor in anchors:
            matches = [
                c
                for c in candidates
                if _problem_name(c) == _problem_name(anchor) and c.max_epochs == anchor.max_epochs
            ]
            if matches:
                same_params = [c for c in matches if c.params == anchor.params]
                partner = (same_params or matches)[0]
                out.append((anchor, partner) if pick_tested else (partner, anchor))
    return out


def _ranks(median: pd.Series, sign: float) -> np.ndarray:
    """Rank 1 = best median (``sign`` makes larger better); ties share the mean rank."""
    # Keras metrics are float32: differences below 1e-6 are rounding, not results
    values = np.round(-sign * median.to_numpy(dtype=float), 6)
    return np.asarray(sps.rankdata(values, method="average"))


def _kendall(
    a: np.ndarray, b: np.ndarray, what: str, modes: tuple[str, str]
) -> tuple[float | None, float | None, str]:
    """Kendall's tau-b between two rankings (of ``modes``), or why there is none."""
    if len(a) < MIN_STRATEGIES:
        return (
            None,
            None,
            f"{len(a)} strategies have a {what} in both modes; Kendall's tau needs at least "
            f"{MIN_STRATEGIES}",
        )
    for ranks, mode in zip((a, b), modes, strict=True):
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
    tested: ProblemInfo,
    tested_final: pd.DataFrame,
    reference: ProblemInfo,
    reference_final: pd.DataFrame,
) -> FidelityResult:
    """Compare the strategy rankings of two entries of one problem in two modes.

    Args:
        tested: The tested entry (replay or surrogate).
        tested_final: Its complete runs, one row each: strategy, seed, val (final
            validation value of the incumbent) and score (the reported final test score),
            as in :attr:`tunebench.reports.analysis.analyze.ProblemAnalysis.final`.
        reference: The reference entry (live, or replay for a surrogate).
        reference_final: Its complete runs, the same columns.

    Returns:
        Medians, ranks and Kendall's tau-b over the strategies scored in both modes.
    """
    sign = tested.sign
    modes = (tested.mode, reference.mode)
    refused = settings_difference(tested, reference)
    if refused:
        return FidelityResult(
            problem=_problem_name(reference),
            tested=tested.name,
            reference=reference.name,
            metric=reference.metric,
            direction=reference.direction,
            max_epochs=reference.max_epochs,
            strategies=[],
            tested_seeds=int(tested_final["seed"].nunique()),
            reference_seeds=int(reference_final["seed"].nunique()),
            tau=None,
            pvalue=None,
            note=f"not compared, the entries differ in {refused}",
            tested_backend=tested.backend,
            reference_backend=reference.backend,
            tested_mode=str(tested.mode),
            reference_mode=str(reference.mode),
            refused=refused,
        )
    t_test, r_test = _summary(tested_final, "score"), _summary(reference_final, "score")
    common = sorted(set(t_test.index) & set(r_test.index))
    t_test, r_test = t_test.reindex(common), r_test.reindex(common)
    t_val = _summary(tested_final, "val")["median"].reindex(common)
    r_val = _summary(reference_final, "val")["median"].reindex(common)
    table = pd.DataFrame(
        {
            "strategy": common,
            "tested_runs": t_test["runs"].to_numpy(dtype=int),
            "reference_runs": r_test["runs"].to_numpy(dtype=int),
            "tested_median": t_test["median"].to_numpy(dtype=float),
            "reference_median": r_test["median"].to_numpy(dtype=float),
            "tested_q25": t_test["q25"].to_numpy(dtype=float),
            "tested_q75": t_test["q75"].to_numpy(dtype=float),
            "reference_q25": r_test["q25"].to_numpy(dtype=float),
            "reference_q75": r_test["q75"].to_numpy(dtype=float),
            "tested_rank": _ranks(t_test["median"], sign),
            "reference_rank": _ranks(r_test["median"], sign),
            "tested_val_median": t_val.to_numpy(dtype=float),
            "reference_val_median": r_val.to_numpy(dtype=float),
        }
    )
    tau, p, note = _kendall(
        table["tested_rank"].to_numpy(),
        table["reference_rank"].to_numpy(),
        "final test score",
        modes,
    )
    # validation ranks only over strategies with a validation value in both modes
    has_val = table["tested_val_median"].notna() & table["reference_val_median"].notna()
    table["tested_val_rank"] = np.nan
    table["reference_val_rank"] = np.nan
    table.loc[has_val, "tested_val_rank"] = _ranks(table.loc[has_val, "tested_val_median"], sign)
    table.loc[has_val, "reference_val_rank"] = _ranks(
        table.loc[has_val, "reference_val_median"], sign
    )
    val_tau, val_p, val_note = _kendall(
        table.loc[has_val, "tested_val_rank"].to_numpy(),
        table.loc[has_val, "reference_val_rank"].to_numpy(),
        "final validation value",
        modes,
    )
    seeds = [
        final.loc[final["strategy"].isin(common) & final["score"].notna(), "seed"].nunique()
        for final in (tested_final, reference_final)
    ]
    t_blocks, r_blocks, paired = paired_blocks(tested_final, reference_final, common, sign)
    t_ranks, r_ranks = block_ranks(t_blocks), block_ranks(r_blocks)
    has_blocks = len(paired) > 0
    table["tested_mean_rank"] = t_ranks.mean(axis=0) if has_blocks else np.nan
    table["reference_mean_rank"] = r_ranks.mean(axis=0) if has_blocks else np.nan
    tau_of_ranks, rank_p, interval = rank_tau(
        t_ranks, r_ranks, zlib.crc32(f"{tested.name}~{reference.name}".encode())
    )
    return FidelityResult(
        problem=_problem_name(reference),
        tested=tested.name,
        reference=reference.name,
        metric=reference.metric,
        direction=reference.direction,
        max_epochs=reference.max_epochs,
        strategies=common,
        tested_seeds=int(seeds[0]),
        reference_seeds=int(seeds[1]),
        tau=tau,
        pvalue=p,
        val_tau=val_tau,
        val_pvalue=val_p,
        note="; ".join(dict.fromkeys(n for n in (note, val_note) if n)),
        table=table[TABLE_COLUMNS],
        tested_backend=tested.backend,
        reference_backend=reference.backend,
        tested_mode=str(tested.mode),
        reference_mode=str(reference.mode),
        paired_seeds=len(paired),
        rank_tau=tau_of_ranks,
        rank_pvalue=rank_p,
        rank_tau_interval=interval,
        verdicts=verdicts(t_blocks, r_blocks, common, modes),
    )


def fidelity(
    infos: Mapping[str, ProblemInfo], finals: Mapping[str, pd.DataFrame]
) -> list[FidelityResult]:
    """Mode fidelity of every problem that ran in two comparable modes.

    Args:
        infos: Problem label -> its info, in matrix order.
        finals: Problem label -> its complete runs' final scores (see :func:`compare`).

    Returns:
        One result per ``(tested, reference)`` pair of :func:`pairs`; empty when no
        problem ran in two comparable modes.
    """
    return [
        compare(tested, finals[tested.name], reference, finals[reference.name])
        for tested, reference in pairs(infos)
    ]
