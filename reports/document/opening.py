"""What the report opens with: which strategies differ per budget, and the leaderboard."""

from __future__ import annotations

from typing import Any

from tunebench.reports.analysis.analyze import Analysis
from tunebench.reports.analysis.stats import ALPHA
from tunebench.reports.document.model import Section, Table, _num
from tunebench.reports.figures.style import slug

__all__ = ["opening"]


def _leaderboard_section(a: Analysis) -> Section | None:
    if not a.leaderboard:
        return None
    sec = Section("Leaderboard: which strategies differ, at which budget", "leaderboard")
    first = a.leaderboard[0]
    what = "problem x seed" if len(a.problems) > 1 else f"seeds of {next(iter(a.problems))}"
    k = len(first.table)
    pairs = k * (k - 1) // 2
    ranked = (
        "by the hypervolume regret of their full evaluations at each budget (the table's "
        "true front's hypervolume minus theirs, in the problem's fixed frame; 0 = the true "
        "front)"
        if a.multi_objective
        else "by the normalized validation regret of their incumbent at each budget (0 = "
        "the table's optimum where the runs replayed one table; 1 = random search's median "
        "final score)"
    )
    sec.blocks.append(
        f"Strategies complete on every problem ({k}), ranked in each of N = {first.n_blocks} "
        f"blocks ({what}) {ranked}. Strategies that share a group letter are not "
        f"significantly different (Nemenyi, alpha = {ALPHA}); wins and losses count the "
        f"significant pairwise Wilcoxon-Holm differences, of {pairs} pairs."
    )
    verdicts = []
    for cp in a.leaderboard:
        res = cp.friedman
        friedman = (
            f"Friedman p = {res.pvalue:.3g}, CD = {res.cd:.3f}"
            if res.applicable
            else f"Friedman test not run: {res.note}"
        )
        verdicts.append(
            [cp.label, str(cp.n_blocks), friedman, f"{cp.n_significant} of {len(cp.wilcoxon)}"]
        )
    sec.blocks.append(
        Table(["budget", "blocks", "Friedman", "significant pairs (Wilcoxon-Holm)"], verdicts)
    )
    for cp in a.leaderboard:
        sub = Section(f"At {cp.label}", f"leaderboard-{slug(cp.label)}", 3)
        rows = [
            [
                str(i + 1),
                str(r["strategy"]),
                f"{r['mean_rank']:.2f}",
                _num(r["regret_median"], 3),
                f"[{_num(r['regret_low'], 3)}, {_num(r['regret_high'], 3)}]",
                str(r["group"]),
                str(r["wins"]),
                str(r["losses"]),
            ]
            for i, r in enumerate(cp.table.to_dict("records"))
        ]
        sub.blocks.append(
            Table(
                [
                    "#",
                    "strategy",
                    "mean rank",
                    "median regret",
                    "95% interval",
                    "group",
                    "significant wins",
                    "significant losses",
                ],
                rows,
            )
        )
        sec.blocks.append(sub)
    return sec


def _names(strategies: list[str]) -> str:
    return ", ".join(strategies) if strategies else "none"


def opening(a: Analysis) -> list[Any]:
    """The answer a report opens with, above its summary: which strategies differ, per budget.

    One row per leaderboard budget: the Friedman p-value, how many pairs differ
    (Wilcoxon-Holm), the first strategy, the strategies the Nemenyi test cannot tell
    from it (its group letter), those no strategy beats significantly, and the last one.

    Returns:
        A lead paragraph and a table, or an empty list when the report has no leaderboard.
    """
    if not a.leaderboard:
        return []
    first = a.leaderboard[0]
    rows = []
    for cp in a.leaderboard:
        recs = cp.table.to_dict("records")
        top, last = recs[0], recs[-1]
        letter = str(top["group"])[:1]
        tied = [str(r["strategy"]) for r in recs[1:] if letter and letter in str(r["group"])]
        unbeaten = [str(r["strategy"]) for r in recs if int(r["losses"]) == 0]
        rows.append(
            [
                cp.label,
                f"{cp.friedman.pvalue:.3g}" if cp.friedman.applicable else "not run",
                f"{cp.n_significant} of {len(cp.wilcoxon)}",
                f"{top['strategy']} ({top['mean_rank']:.2f})",
                _names(tied),
                _names(unbeaten),
                f"{last['strategy']} ({last['mean_rank']:.2f})",
            ]
        )
    measure = "hypervolume regret" if a.multi_objective else "normalized validation regret"
    lead = (
        f"Which strategies differ, per budget, over {first.n_blocks} blocks "
        f"(ranked by {measure}; the leaderboard below has every "
        f"strategy's rank, regret interval and group; alpha = {ALPHA}):"
    )
    table = Table(
        [
            "budget",
            "Friedman p",
            "pairs that differ (Wilcoxon-Holm)",
            "first (mean rank)",
            "not different from the first (Nemenyi)",
            "beaten by none (Wilcoxon-Holm)",
            "last (mean rank)",
        ],
        rows,
    )
    return [lead, table]
