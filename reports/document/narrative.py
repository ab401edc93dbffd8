"""The summary list at the top of the report, written from the numbers.

One bullet per finding, so a reader scans it. Every statement is computed from the
:class:`~tunebench.reports.analysis.analyze.Analysis`: the matrix; per problem, who has
the best median final test score (against random search), who leads the mean
best-so-far validation curve early (a quarter of the budget) and at the full budget,
and the speedup over random search; the Friedman/Nemenyi/Wilcoxon verdicts; where the
leaderboard and the critical-difference diagram rank differently; how well replay ranks
the strategies as live training does (where a problem ran both ways); and what early
epochs say about pruning.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tunebench.reports.analysis.analyze import Analysis, ProblemAnalysis

__all__ = ["EARLY_SHARE", "ranking_difference", "summary_points"]

EARLY_SHARE = 0.25  # "small budget": this share of the budget
MAX_DETAILED = 4  # problems described one by one; more are summarised by counts


def _f(v: float) -> str:
    """A score with 3 significant decimals."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return f"{v:.3f}" if abs(v) < 100 else f"{v:.4g}"


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _evals(x: float) -> str:
    """``1 full evaluation``, ``1.5 full evaluations``."""
    return f"{x:.2g} full evaluation" + ("" if abs(x - 1) < 1e-9 else "s")


def _leader(p: ProblemAnalysis, share: float) -> tuple[str, float, float, list[str]] | None:
    """Best mean best-so-far validation value at ``share`` of the budget.

    Returns:
        (strategy, value, budget point, strategies without an incumbent there) or None.
    """
    curves = p.anytime[p.anytime["axis"] == "budget"]
    if curves.empty:
        return None
    xs = np.sort(curves["x"].unique())
    x = float(xs[min(len(xs) - 1, max(0, round(share * len(xs)) - 1))])
    at = curves[np.isclose(curves["x"], x)].set_index("strategy")["mean"]
    defined = at.dropna()
    if defined.empty:
        return None
    best = max(defined.index, key=lambda s: (p.info.sign * defined[s], s))
    undefined = sorted(set(p.strategies) - set(defined.index))
    return str(best), float(defined[best]), x, undefined


def _problem_sentence(a: Analysis, p: ProblemAnalysis) -> str:
    table = p.final_table.set_index("strategy")
    med = table["median"].dropna()
    if med.empty:
        return f"On {p.info.name} no run has a test score."
    best = max(med.index, key=lambda s: (p.info.sign * med[s], s))
    text = (
        f"On {p.info.name}, {best} has the best median final test {p.info.metric} ({_f(med[best])}"
    )
    if a.random_label and a.random_label in med.index and best != a.random_label:
        text += f"; {a.random_label} {_f(med[a.random_label])}"
    worst = min(med.index, key=lambda s: (p.info.sign * med[s], s))
    if worst not in (best, a.random_label):
        text += f"; worst {worst} {_f(med[worst])}"
    text += f", {_n(int(table['runs'].max()), 'seed', 'seeds')})"
    early = _leader(p, EARLY_SHARE)
    full = _leader(p, 1.0)
    if early and full:
        text += (
            f"; by mean best-so-far validation {p.info.metric}, {early[0]} leads at "
            f"{_evals(early[2])} ({_f(early[1])})"
        )
        if early[3]:
            text += f", where {', '.join(early[3])} had no full-length evaluation yet"
        if full[0] == early[0]:
            text += f", and still at the full budget of {full[2]:.2g} ({_f(full[1])})"
        else:
            text += f", and {full[0]} at the full budget of {full[2]:.2g} ({_f(full[1])})"
    fast = p.speedup.dropna(subset=["speedup"])
    fast = fast[fast["strategy"] != a.random_label] if a.random_label else fast
    if len(fast):
        top = fast.sort_values(["speedup", "strategy"], ascending=[False, True]).iloc[0]
        if top["speedup"] > 1:
            text += (
                f"; {top['strategy']} reaches random search's median final validation score "
                f"({_f(p.speedup_target)}) {top['speedup']:.1f}x sooner"
            )
        else:
            text += "; no strategy reaches random search's median final validation score sooner"
    return text + "."


def _counts_sentence(a: Analysis) -> str:
    wins: dict[str, list[str]] = {}
    for p in a.problems.values():
        med = p.final_table.set_index("strategy")["median"].dropna()
        if len(med):
            best = max(med.index, key=lambda s: (p.info.sign * med[s], s))
            wins.setdefault(str(best), []).append(p.info.name)
    parts = [
        f"{s} on {len(v)} ({', '.join(v)})"
        for s, v in sorted(wins.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]
    return "The best median final test score goes to " + "; ".join(parts) + "."


def _stats_sentence(a: Analysis) -> str:
    res = a.overall_friedman
    if res is None:
        return ""
    multi = len(a.problems) > 1
    blocks = "problem x seed blocks" if multi else "seeds"
    if not res.applicable:
        text = f"Over {res.n_blocks} {blocks} no Friedman test applies ({res.note})"
    else:
        verdict = "finds" if res.significant else "does not find"
        text = (
            f"Over {res.n_blocks} {blocks} the Friedman test {verdict} a significant difference "
            f"in final test regret at alpha = {res.alpha} (chi2 = {res.statistic:.2f}, "
            f"p = {res.pvalue:.3g})"
        )
    if len(res.avg_ranks) > 1:
        best = min(res.avg_ranks, key=lambda s: (res.avg_ranks[s], s))
        text += f"; best average rank: {best} ({res.avg_ranks[best]:.2f}"
        text += f", Nemenyi CD = {res.cd:.2f})" if not math.isnan(res.cd) else ")"
    w = a.overall_wilcoxon
    if w is not None and len(w):
        sig = w[w["significant"]]
        text += (
            f"; {len(sig)} of {len(w)} pairwise Wilcoxon signed-rank tests are significant "
            "after Holm correction"
        )
        if len(sig):
            pairs = [
                f"{r.a} beats {r.b}" if r.median_diff < 0 else f"{r.b} beats {r.a}"
                for r in sig.itertuples(index=False)
            ][:3]
            text += f" ({'; '.join(pairs)})"
    if res.note and res.applicable:
        text += f"; caveat: {res.note}"
    return text + "."


def _early_sentence(a: Analysis) -> str:
    """What early epochs say, one short clause per problem after a lead that names the measures."""
    parts = []
    pruned = False
    for p in list(a.problems.values())[:MAX_DETAILED]:
        sp = p.spearman.dropna(subset=["rho"]) if len(p.spearman) else pd.DataFrame()
        if sp.empty:
            continue
        first = sp.iloc[0]
        part = (
            f"{p.info.name} rho = {first['rho']:.2f} after "
            f"{_n(int(first['epoch']), 'epoch', 'epochs')} (n = {int(first['n'])})"
        )
        if p.prune is not None:
            pruned = True
            part += ", safe pruning " + (
                f"up to {p.safe_fraction:.2f}"
                if not math.isnan(p.safe_fraction)
                else "at none of 0.05-0.50"
            )
        parts.append(part)
    if not parts:
        return ""
    lead = "Early epochs (Spearman rho of an early validation score with the final one"
    if pruned:
        lead += (
            "; safe pruning: the largest share per round that evolutionary pruning can drop "
            "and still keep the eventual best config with >= 95% probability"
        )
    return f"{lead}): " + "; ".join(parts) + "."


def _fidelity_sentences(a: Analysis) -> list[str]:
    """How far each cheaper mode's leaderboard is confirmed by its reference mode.

    Returns:
        One sentence per kind of comparison (replay against live, ...).
    """
    from tunebench.reports.analysis.fidelity import MODE_NAMES

    sentences = []
    for title in dict.fromkeys(r.title for r in a.fidelity):
        parts = []
        for r in (r for r in a.fidelity if r.title == title):
            if r.refused:
                parts.append(
                    f"on {r.problem} the entries are not compared (they differ in {r.refused})"
                )
                continue
            seeds = (
                f"{r.reference_seeds} {MODE_NAMES[r.reference_mode]} seeds, "
                f"{r.tested_seeds} {MODE_NAMES[r.tested_mode]}"
            )
            if r.tau is None or r.pvalue is None:
                parts.append(f"on {r.problem} the rankings are not compared ({r.note}; {seeds})")
                continue
            c = r.verdict_counts()
            pairs = (
                f"of the {c['both']} strategy pairs significant in both modes {c['agree']} "
                f"agree in sign and {c['disagree']} disagree ({c['one']} more are "
                "significant in one mode only)"
                if c["both"]
                else "no strategy pair is significant in both modes "
                f"({c['one']} of {c['pairs']} in one mode only)"
            )
            by_ranks = (
                f"over the {r.paired_seeds} seeds complete in both modes, "
                f"{r.rank_tau_text()}, and {pairs}; "
                if r.paired_seeds
                else ""
            )
            by_val = (
                f", and by the incumbents' median validation {r.metric} with tau-b = "
                f"{r.val_tau:.2f} (p = {r.val_pvalue:.3g})"
                if r.val_tau is not None and r.val_pvalue is not None
                else ""
            )
            parts.append(
                f"on {r.problem}, {by_ranks}the rankings of the {r.n} strategies by median "
                f"final test {r.metric} correlate with Kendall's tau-b = {r.tau:.2f} (p = "
                f"{r.pvalue:.3g}; {seeds}){by_val}"
            )
        text = "; ".join(parts)
        sentences.append(f"{title} {text[:1].upper()}{text[1:]}.")
    return sentences


def ranking_difference(a: Analysis) -> str:
    """One sentence where the leaderboard and the critical-difference diagram rank differently.

    The leaderboard ranks by validation regret at each budget (what a strategy could know
    when it chose), the diagram by final test regret; the two orders may differ, and a
    reader comparing the table with the figure should not have to find that out alone.

    Returns:
        The sentence, or ``""`` where the orders agree or either is missing.
    """
    res = a.overall_friedman
    if not a.leaderboard or res is None or len(res.avg_ranks) < 2:
        return ""
    cp = a.leaderboard[-1]
    val = {str(r["strategy"]): float(r["mean_rank"]) for r in cp.table.to_dict("records")}
    common = sorted(set(val) & set(res.avg_ranks))
    by_val = sorted(common, key=lambda s: (val[s], s))
    by_test = sorted(common, key=lambda s: (res.avg_ranks[s], s))
    if by_val == by_test:
        return ""
    same = sum(x == y for x, y in zip(by_val, by_test, strict=True))
    tops = (
        f"{by_val[0]} first in both"
        if by_val[0] == by_test[0]
        else f"first {by_val[0]} by validation, {by_test[0]} by test"
    )
    return (
        f"The leaderboard ranks by validation regret at {cp.label} and the critical-difference "
        f"diagram by final test regret, and their orders differ: {tops}, and {same} of "
        f"{len(common)} strategies hold the same place in both."
    )


def _front_sentence(p: ProblemAnalysis) -> str:
    """A multi-objective problem: who ends nearest the true front, who leads early."""
    f = p.fronts
    if f is None or f.final_table.empty:
        return ""
    med = f.final_table.set_index("strategy")["regret_median"].dropna()
    if med.empty:
        return ""
    best = min(med.index, key=lambda s: (med[s], s))
    worst = max(med.index, key=lambda s: (med[s], s))
    text = (
        f"On {p.info.name} ({' against '.join(f.objectives)}), {best} has the lowest median "
        f"final hypervolume regret ({_f(med[best])}"
        + (f"; worst {worst} {_f(med[worst])}" if worst != best else "")
        + f", {_n(int(f.final_table['runs'].max()), 'seed', 'seeds')}; the true front's "
        f"hypervolume is {_f(f.frame.front_hypervolume)})"
    )
    curves = f.anytime[f.anytime["axis"] == "budget"] if len(f.anytime) else f.anytime
    if len(curves):
        xs = np.sort(curves["x"].unique())
        x = float(xs[min(len(xs) - 1, max(0, round(EARLY_SHARE * len(xs)) - 1))])
        at = curves[np.isclose(curves["x"], x)].set_index("strategy")["mean"].dropna()
        if len(at):
            lead = min(at.index, key=lambda s: (at[s], s))
            text += f"; by mean hypervolume regret {lead} leads at {_evals(x)} ({_f(at[lead])})"
    return text + "."


def _front_board_sentence(a: Analysis) -> str:
    """Which strategy leads the hypervolume leaderboard at each budget."""
    parts = []
    for cp in a.leaderboard:
        top = cp.table.iloc[0]
        parts.append(f"at {cp.label}, {top['strategy']} (mean rank {top['mean_rank']:.2f})")
    if not parts:
        return ""
    return (
        "Compared on hypervolume regret, in each problem's fixed frame (0 = the table's true "
        "Pareto front); first on the leaderboard " + "; ".join(parts) + "."
    )


def summary_points(a: Analysis) -> list[str]:
    """The report's opening findings, one bullet each, with numbers.

    The matrix first, then one bullet per problem (or the counts, past ``MAX_DETAILED``
    problems), the statistics, where the leaderboard and the critical-difference diagram
    disagree, each comparison of modes, and early epochs; empty findings are left out.
    A multi-objective report says instead what leads its hypervolume leaderboard, and per
    problem who ends nearest the true front and who leads early.
    """
    d = a.data
    n_done = len(d.complete)
    seeds = sorted({int(s) for s in d.complete["seed"]})
    budget = d.budget_full_evaluations
    modes = sorted({p.info.mode for p in a.problems.values()})
    head = (
        f"Matrix {d.matrix_name}: {n_done} complete runs of {d.n_planned} planned"
        + (f" ({len(d.missing)} missing, listed below)" if len(d.missing) else "")
        + f"; {_n(len(d.strategies), 'strategy', 'strategies')} on "
        f"{_n(len(a.problems), 'problem', 'problems')}, "
        f"{_n(len(seeds), 'seed', 'seeds')}, "
        + (f"a budget of {budget:g} full evaluations per run" if budget else "a seconds budget")
        + f" ({'/'.join(modes)})."
    )
    problems = list(a.problems.values())
    if a.multi_objective:
        shown = problems[:MAX_DETAILED]
        body = [_front_board_sentence(a), *(_front_sentence(p) for p in shown)]
        return [s for s in (head, *body) if s]
    if len(problems) <= MAX_DETAILED:
        body = [_problem_sentence(a, p) for p in problems]
    else:
        body = [_counts_sentence(a)]
    return [
        s
        for s in (
            head,
            *body,
            _stats_sentence(a),
            ranking_difference(a),
            *_fidelity_sentences(a),
            _early_sentence(a),
        )
        if s
    ]
