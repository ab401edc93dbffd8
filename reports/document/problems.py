"""The results sections: one per problem, and one over all problems (statistics, fidelity)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from tunebench.reports.analysis.analyze import Analysis, ProblemAnalysis
from tunebench.reports.analysis.fidelity import MODE_PHRASES, FidelityResult
from tunebench.reports.analysis.fronts import FrontAnalysis
from tunebench.reports.analysis.stats import ALPHA
from tunebench.reports.document.model import Section, _config, _p, _table
from tunebench.reports.figures.draw import Figures, ProblemFigures
from tunebench.reports.figures.style import slug


def _stats_blocks(
    res: Any, wilcoxon: pd.DataFrame, what: str, measure: str = "final test regret"
) -> list[Any]:
    blocks: list[Any] = []
    if res is None:
        return blocks
    if res.applicable:
        verdict = "differ significantly" if res.significant else "do not differ significantly"
        text = (
            f"Friedman test on {measure} over N = {res.n_blocks} blocks ({what}), "
            f"k = {len(res.strategies)} strategies: chi-square = {res.statistic:.3f}, "
            f"p = {res.pvalue:.3g}; at alpha = {res.alpha} the strategies {verdict}. Nemenyi "
            f"critical difference of average ranks: CD = {res.cd:.3f}."
        )
        if res.note:
            text += f" Caveat: {res.note}."
    else:
        text = f"Friedman test not run over N = {res.n_blocks} blocks ({what}): {res.note}."
    blocks.append(text)
    if len(wilcoxon):
        blocks.append(
            f"Pairwise two-sided Wilcoxon signed-rank tests on the paired {measure}s "
            f"(N = {int(wilcoxon['n'].max())} blocks per pair), p-values Holm-corrected over "
            f"{len(wilcoxon)} pairs at alpha = {ALPHA}; wins count blocks where a strategy had "
            "the lower regret; median diff is regret(a) - regret(b)."
        )
        blocks.append(
            _table(
                wilcoxon,
                [
                    ("a", "a"),
                    ("b", "b"),
                    ("n", "N"),
                    ("wins_a", "wins a"),
                    ("ties", "ties"),
                    ("wins_b", "wins b"),
                    ("median_diff", "median diff"),
                    ("statistic", "W"),
                    ("p", "p"),
                    ("p_holm", "p (Holm)"),
                    ("significant", f"p_Holm < {ALPHA}"),
                    ("note", "note"),
                ],
                {"p": _p, "p_holm": _p},
            )
        )
    return blocks


def _problem_section(a: Analysis, p: ProblemAnalysis, figs: ProblemFigures) -> Section:
    name = p.info.name
    sec = Section(f"Problem: {name}", f"problem-{slug(name)}")
    sec.blocks.append(
        f"Metric: validation / test {p.info.metric} ({p.info.direction}), {p.info.max_epochs} "
        f"epochs per full evaluation, {p.info.mode} mode; strategies with complete runs: "
        f"{', '.join(p.strategies)}."
    )
    sub = lambda title, key: Section(title, f"{slug(name)}-{key}", 3)  # noqa: E731
    if p.fronts is not None:
        sec.blocks += _front_sections(p, p.fronts, figs, sub)
    s1 = sub("Anytime performance", "anytime")
    s1.blocks.append(figs.anytime)
    s2 = sub("Final test scores", "final")
    s2.blocks.append(figs.final)
    s2.blocks.append(
        _table(
            p.final_table,
            [
                ("strategy", "strategy"),
                ("runs", "runs"),
                ("mean", "mean"),
                ("std", "std"),
                ("median", "median"),
                ("val_mean", "validation mean"),
                ("regret_median", "median regret"),
            ],
        )
    )
    s3 = sub("Normalized regret and rank", "regret")
    s3.blocks.append(figs.regret)
    s3.blocks.append(
        f"Validation regret: 0 = {p.val_norm.best:.4g} = {p.val_norm.zero_name}; 1 = "
        f"{p.val_norm.reference:.4g} = {p.val_norm.reference_name}. Final test regret: 0 = "
        f"{p.test_norm.best:.4g} = {p.test_norm.zero_name}; 1 = {p.test_norm.reference:.4g} "
        f"= {p.test_norm.reference_name}."
    )
    s4 = sub("Statistics", "stats")
    if figs.cd is not None:
        s4.blocks.append(figs.cd)
    s4.blocks += _stats_blocks(p.friedman, p.wilcoxon, f"seeds of {name}")
    s5 = sub("Speedup over random search", "speedup")
    if len(p.speedup):
        s5.blocks.append(
            f"Target: {a.random_label}'s median final validation {p.info.metric} "
            f"({p.speedup_target:.4g}). Budget to reach it in full-evaluation equivalents "
            "(median over seeds; inf: not reached) and the speedup relative to "
            f"{a.random_label}."
        )
        s5.blocks.append(
            _table(
                p.speedup,
                [
                    ("strategy", "strategy"),
                    ("seeds", "seeds"),
                    ("reached", "seeds that reached it"),
                    ("budget_median", "budget to target"),
                    ("speedup", "speedup (x)"),
                ],
            )
        )
    else:
        s5.blocks.append("No random search in this matrix: no speedup is computed.")
    s6 = sub("Cost breakdown", "cost")
    s6.blocks.append(figs.cost)
    s6.blocks.append(
        _table(
            p.cost,
            [
                ("strategy", "strategy"),
                ("train_seconds", "training s"),
                ("setup_seconds", "setup s"),
                ("strategy_seconds", "strategy s"),
                ("eval_seconds", "eval+retrain s"),
                ("other_seconds", "harness+I/O s"),
                ("wall_seconds", "wall s"),
                ("trials", "trials"),
                ("epochs_trained", "epochs trained"),
                ("epochs_saved_by_resume", "epochs saved by resuming"),
            ],
        )
    )
    s7 = sub("Hyperparameter importance and best configs", "importance")
    if figs.importance is not None:
        s7.blocks.append(figs.importance)
    else:
        s7.blocks.append(f"No importance estimate: {p.importance_note}.")
    if len(p.best):
        s7.blocks.append(
            "Best configs (distinct) by final validation value, full-length "
            "trials of every strategy and seed:"
        )
        s7.blocks.append(
            _table(
                p.best,
                [
                    ("rank", "#"),
                    ("config", "config"),
                    ("value", "validation"),
                    ("test_value", "test"),
                    ("times", "times trained"),
                    ("strategy", "found by"),
                    ("seed", "seed"),
                ],
                {"config": _config},
            )
        )
    s8 = sub("Early-stopping evidence", "early")
    if figs.early is not None:
        s8.blocks.append(figs.early)
        s8.blocks.append(
            _table(
                p.spearman,
                [("epoch", "epoch k"), ("rho", "Spearman rho"), ("p", "p"), ("n", "curves")],
                {"p": _p},
            )
        )
        if p.prune is not None:
            s8.blocks.append(
                _table(
                    p.prune,
                    [
                        ("fraction", "prune fraction"),
                        ("survival", "P(best kept)"),
                        ("rounds", "pruning rounds"),
                        ("population", "population"),
                        ("survivors", "survivors"),
                    ],
                )
            )
    else:
        s8.blocks.append(f"Too few full learning curves ({p.n_curves}) for this analysis.")
    sec.blocks += [s1, s2, s3, s4, s5, s6, s7, s8]
    return sec


def _front_sections(
    p: ProblemAnalysis,
    f: FrontAnalysis,
    figs: ProblemFigures,
    sub: Callable[[str, str], Section],
) -> list[Any]:
    """A multi-objective problem's sections: hypervolume regret, fronts, statistics.

    The single-objective sections after them rank the problem's metric alone; a lead
    paragraph says so.
    """
    name = p.info.name
    frame = f.frame
    scales = "; ".join(
        f"{s.objective} {'log10, ' if s.log_scale else ''}"
        f"{'minimised' if s.minimise else 'maximised'}, table range "
        f"{_span(s.low, s.high, s.log_scale, s.minimise)}"
        for s in frame.scales
    )
    lead = (
        f"Objectives: {' against '.join(f.objectives)} ({scales}). Hypervolume in the "
        "problem's fixed frame, recorded in every run: each objective min-max normalised "
        "over the table's configs (0 = the table's best value, 1 = its worst), reference "
        f"point {', '.join(f'{r:g}' for r in frame.reference)}; the table's true front has "
        f"{frame.front_size} of {frame.configs} configs and hypervolume "
        f"{frame.front_hypervolume:.4g}, so a run's hypervolume regret lies between 0 (it "
        f"found the true front) and {frame.front_hypervolume:.4g} (no full evaluation)."
    )
    s1 = sub("Hypervolume regret over budget and time", "hypervolume")
    if figs.hypervolume is not None:
        s1.blocks.append(figs.hypervolume)
    s1.blocks.append(
        _table(
            f.final_table,
            [
                ("strategy", "strategy"),
                ("runs", "runs"),
                ("regret_median", "median final regret"),
                ("regret_mean", "mean final regret"),
                ("hypervolume_median", "median hypervolume"),
                ("front_size_mean", "mean front size"),
            ],
        )
    )
    s2 = sub("Pareto fronts", "fronts")
    if figs.fronts is not None:
        s2.blocks.append(figs.fronts)
    else:
        s2.blocks.append(
            f"Fronts are drawn for two objectives; this problem has {len(f.objectives)}. "
            "tables/fronts.csv and tables/attainment.csv hold the points."
        )
    if f.note:
        s2.blocks.append(f"No true front: {f.note}.")
    s3 = sub("Hypervolume statistics", "hypervolume-stats")
    s3.blocks += _stats_blocks(
        f.friedman, f.wilcoxon, f"seeds of {name}", "final hypervolume regret"
    )
    tail = (
        "The sections below rank the problem's metric alone (validation and test "
        f"{p.info.metric} of each run's best full evaluation by it), for comparison."
    )
    return [lead, s1, s2, s3, tail]


def _span(low: float, high: float, log_scale: bool, minimise: bool) -> str:
    """A scale's table range back in raw units, best value first."""
    ends = [v if minimise else -v for v in (low, high)]
    if log_scale:
        ends = [10**v for v in ends]
    return f"best {ends[0]:.4g}, worst {ends[1]:.4g}"


def _fidelity_sections(a: Analysis, figs: Figures) -> list[Section]:
    """One section per kind of compared pair of modes, each pair's blocks in it.

    The kinds: live versus replay, surrogate versus table, surrogate versus live; none
    without a pair.
    """
    out = []
    for title in dict.fromkeys(r.title for r in a.fidelity):
        kind = [r for r in a.fidelity if r.title == title]
        sec = Section(title, kind[0].anchor, 3)
        for r in kind:
            sec.blocks += _fidelity_blocks(r, figs)
        out.append(sec)
    return out


def _verdict_paragraph(r: FidelityResult) -> str:
    """Mean ranks' tau and how many pairwise verdicts agree, over the paired seeds."""
    t, ref = r.tested_mode, r.reference_mode
    if r.paired_seeds == 0:
        return (
            f"No seed is complete for every compared strategy in both {t} and {ref}, so "
            "the mean ranks and pairwise verdicts are not computed."
        )
    c = r.verdict_counts()
    tau = r.rank_tau_text()
    return (
        f"Over the {r.paired_seeds} seeds complete for all {r.n} strategies in both modes "
        f"(a seed is one block: rank 1 = best in it), {tau}; the interval resamples the "
        "seeds, the same ones in both modes. Pairwise verdicts (two-sided Wilcoxon "
        f"signed-rank over those seeds, Holm-corrected at {ALPHA} within each mode): of "
        f"{c['pairs']} pairs, {c['both']} are significant in both modes, of which "
        f"{c['agree']} agree and {c['disagree']} disagree in sign; {c['one']} are "
        f"significant in one mode only ({c['one_same_way']} with the other mode's median "
        f"pointing the same way); {c['neither']} in neither."
    )


def _fidelity_blocks(r: FidelityResult, figs: Figures) -> list[Any]:
    """A pair's paragraphs, figure, per-strategy table and pairwise verdicts."""
    if r.refused:
        return [
            f"{r.problem}: {r.tested} ({MODE_PHRASES[r.tested_mode]}) and {r.reference} "
            f"({MODE_PHRASES[r.reference_mode]}) are not compared, they differ in "
            f"{r.refused}."
        ]
    val = (
        f"Kendall's tau-b = {r.val_tau:.2f} (p = {r.val_pvalue:.3g})"
        if r.val_tau is not None and r.val_pvalue is not None
        else "not computed"
    )
    agree = (
        f"the two rankings correlate with Kendall's tau-b = {r.tau:.2f} (p = "
        f"{r.pvalue:.3g}, two-sided test of tau = 0, scipy.stats.kendalltau)"
        if r.tau is not None and r.pvalue is not None
        else f"the two rankings are not compared: {r.note}"
    )
    blocks: list[Any] = [
        f"{r.problem} ({r.max_epochs} epochs per full evaluation) ran "
        f"{MODE_PHRASES[r.tested_mode]} as {r.tested} ({r.tested_seeds} seeds) and "
        f"{MODE_PHRASES[r.reference_mode]} as {r.reference} ({r.reference_seeds} seeds). "
        "Ranking "
        f"the {r.n} strategies with runs in both modes by median final test {r.metric} "
        f"(rank 1 = best, ties share the mean rank), {agree}. By median final validation "
        f"{r.metric}: {val}."
        + (f" Note: {r.note}." if r.note and r.tau is not None else "")
        + (
            f" Both modes' curves come from Keras on {r.reference_backend}."
            if r.reference_backend and not r.backend_flag
            else ""
        )
        + (f" Caveat, different backends: {r.backend_flag}." if r.backend_flag else "")
    ]
    blocks.append(_verdict_paragraph(r))
    if r.key in figs.fidelity:
        blocks.append(figs.fidelity[r.key])
    if len(r.table):
        t, ref = r.tested_mode, r.reference_mode
        blocks.append(
            _table(
                r.table,
                [
                    ("strategy", "strategy"),
                    ("tested_runs", f"{t} runs"),
                    ("reference_runs", f"{ref} runs"),
                    ("tested_median", f"{t} median"),
                    ("reference_median", f"{ref} median"),
                    ("tested_rank", f"{t} rank"),
                    ("reference_rank", f"{ref} rank"),
                    ("tested_val_median", f"{t} validation median"),
                    ("reference_val_median", f"{ref} validation median"),
                    ("tested_mean_rank", f"{t} mean rank"),
                    ("reference_mean_rank", f"{ref} mean rank"),
                ],
            )
        )
    if len(r.verdicts):
        blocks.append(
            _table(
                r.verdicts,
                [
                    ("a", "strategy A"),
                    ("b", "strategy B"),
                    ("tested_winner", f"better in {t}"),
                    ("tested_p_holm", f"p (Holm) {t}"),
                    ("reference_winner", f"better in {ref}"),
                    ("reference_p_holm", f"p (Holm) {ref}"),
                    ("agreement", "verdicts"),
                ],
                {"tested_p_holm": _p, "reference_p_holm": _p},
            )
        )
    return blocks


def _overall_section(a: Analysis, figs: Figures) -> Section:
    sec = Section("All problems", "overall")
    multi = len(a.problems) > 1
    what = "problem x seed" if multi else f"seeds of {next(iter(a.problems))}"
    sec.blocks.append(
        f"Strategies compared: {', '.join(a.overall_strategies) or 'none'} (complete on every "
        f"problem); blocks: {what} where all of them are complete (N = {a.overall_blocks}). "
        "Measure: normalized final test regret, so problems with different metrics compare."
    )
    if figs.cd is not None:
        sec.blocks.append(figs.cd)
    wilcoxon = a.overall_wilcoxon if a.overall_wilcoxon is not None else pd.DataFrame()
    sec.blocks += _stats_blocks(a.overall_friedman, wilcoxon, what)
    if figs.regret is not None:
        sec.blocks.append(figs.regret)
    if figs.speedup is not None:
        sec.blocks.append(figs.speedup)
    sec.blocks += figs.concurrency
    sec.blocks += _fidelity_sections(a, figs)
    return sec
