"""The report's text as a small document model: sections of paragraphs, tables and figures.

:func:`build_document` writes what the report says (setup, one section per problem,
the statistics over all problems, what is missing, how it was computed); the HTML
(:mod:`tunebench.reports.html`) and Markdown (:mod:`tunebench.reports.markdown`)
renderers only lay it out. Nothing time-dependent is written, so the same results
give byte-identical files.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tunebench.reports.analysis import Analysis, ProblemAnalysis
from tunebench.reports.fidelity import MIN_STRATEGIES, MODE_PHRASES, FidelityResult
from tunebench.reports.figures import FigureFile, slug
from tunebench.reports.stats import ALPHA

__all__ = ["Section", "Table", "build_document", "opening", "walk"]


@dataclass
class Table:
    """A table: column headers and rows of already formatted cells."""

    columns: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    """A titled section: paragraphs (str), tables, figures and subsections, in order."""

    title: str
    anchor: str
    level: int = 2
    blocks: list[Any] = field(default_factory=list)  # str (paragraph) | Table | FigureFile


def _num(v: Any, digits: int = 4) -> str:
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:.{digits}g}"
    return str(v)


def _table(
    frame: pd.DataFrame,
    columns: Sequence[tuple[str, str]],
    fmt: dict[str, Callable[[Any], str]] | None = None,
) -> Table:
    fmt = fmt or {}
    rows = []
    for rec in frame.to_dict("records"):
        rows.append([fmt.get(col, _num)(rec.get(col)) for col, _ in columns])
    return Table([title for _, title in columns], rows)


def _p(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return f"{v:.3g}"


def _config(text: Any) -> str:
    try:
        cfg = json.loads(str(text))
    except ValueError:
        return str(text)
    return ", ".join(f"{k}={v}" for k, v in cfg.items())


def _leaderboard_section(a: Analysis) -> Section | None:
    if not a.leaderboard:
        return None
    sec = Section("Leaderboard: which strategies differ, at which budget", "leaderboard")
    first = a.leaderboard[0]
    what = "problem x seed" if len(a.problems) > 1 else f"seeds of {next(iter(a.problems))}"
    k = len(first.table)
    pairs = k * (k - 1) // 2
    sec.blocks.append(
        f"Strategies complete on every problem ({k}), ranked in each of N = {first.n_blocks} "
        f"blocks ({what}) by the normalized validation regret of their incumbent at each "
        "budget (0 = the table's optimum where the runs replayed one table; 1 = random "
        "search's median final score). Strategies that share a group letter are not "
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
    lead = (
        f"Which strategies differ, per budget, over {first.n_blocks} blocks "
        "(ranked by normalized validation regret; the leaderboard below has every "
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


def _setup_section(a: Analysis) -> Section:
    d = a.data
    sec = Section("Setup", "setup")
    m = d.matrix or {}
    budget = m.get("budget", {})
    cap = (
        f"{budget.get('full_evaluations')} full evaluations"
        if budget.get("full_evaluations")
        else f"{budget.get('seconds')} s"
        if budget.get("seconds")
        else "unknown"
    )
    seeds = sorted({int(s) for s in d.complete["seed"]})
    commits = sorted({str(c)[:10] for c in d.complete["git_commit"].dropna()})
    backends = sorted({str(b) for b in d.complete["backend"].dropna()})
    rows = [
        ["matrix", d.matrix_name],
        ["results folder", str(d.results)],
        ["mode", ", ".join(sorted({p.info.mode for p in a.problems.values()}))],
        ["budget per run", cap],
        [
            "seeds",
            f"{len(seeds)} ({', '.join(map(str, seeds[:20]))}{', ...' if len(seeds) > 20 else ''})",
        ],
        [
            "problems",
            ", ".join(
                f"{p.info.name} ({p.info.metric}, {p.info.direction}, {p.info.max_epochs} epochs)"
                for p in a.problems.values()
            ),
        ],
        ["strategies", ", ".join(d.strategies)],
        ["runs", f"{len(d.complete)} complete of {d.n_planned} planned"],
        ["retrains of the incumbent", str((m.get("final") or {}).get("retrain_repeats", 0))],
        ["Keras backend", ", ".join(backends) or "n/a"],
        ["git commit(s)", ", ".join(commits) or "n/a"],
    ]
    sec.blocks.append(Table(["", ""], rows))
    return sec


def _surrogate_section(a: Analysis) -> Section | None:
    """The held-out fidelity of every surrogate the runs were served by, as fitted."""
    import json

    sec = Section("Surrogate fidelity", "surrogate-fidelity")
    for p in a.problems.values():
        if p.info.mode != "surrogate":
            continue
        record = next(iter(sorted((a.data.results / p.info.name).glob("*/seed=*/run.json"))), None)
        if record is None:
            continue
        data = (json.loads(record.read_text()).get("provenance") or {}).get("data") or {}
        fid = data.get("fidelity")
        if not fid:
            continue
        sec.blocks.append(
            f"{p.info.name}: surrogate {data.get('surrogate')}, fitted on {data.get('table')} "
            f"(sha256 {str(data.get('table_sha256'))[:12]}) with XGBoost "
            f"{(data.get('versions') or {}).get('xgboost')}; measured on configs held out from "
            f"the fit ({fid['folds']} folds by config, {fid['configs']} configs). Validation "
            f"predictions outside the metric's range: {fid['out_of_range']:.2%}. Noise: the "
            f"median |repeat 0 - repeat 1| is {fid['noise']['recorded_median_abs_diff']:.4g} in "
            f"the table and {fid['noise']['drawn_median_abs_diff']:.4g} between the "
            f"surrogate's draws (ratio {fid['noise']['ratio']:.2f}); the means are "
            f"{fid['noise']['recorded_mean_abs_diff']:.4g} and "
            f"{fid['noise']['drawn_mean_abs_diff']:.4g}."
        )
        rows = [
            [str(e), _num(fid["value"][str(e)]["spearman"], 3), _num(fid["value"][str(e)]["r2"], 3),
             _num(fid["seconds"][str(e)]["spearman"], 3), _num(fid["seconds"][str(e)]["r2"], 3)]
            for e in fid["epochs"]
        ]  # fmt: skip
        head = ["epoch", "validation Spearman", "validation R2", "seconds Spearman", "seconds R2"]
        sec.blocks.append(Table(head, rows))
    return sec if sec.blocks else None


_MISSING_COLUMNS = [(c, c) for c in ("problem", "strategy", "seed", "state", "error")]


def _missing_section(a: Analysis) -> Section | None:
    d = a.data
    if d.matrix is None:
        return Section(
            "Missing",
            "missing",
            blocks=[
                "No matrix.json in the results folder: the planned runs are unknown, so only "
                "runs found incomplete or failed can be listed."
            ]
            + (
                [
                    _table(
                        d.missing,
                        _MISSING_COLUMNS,
                    )
                ]
                if len(d.missing)
                else []
            ),
        )
    if d.missing.empty:
        return None
    counts = d.missing["state"].value_counts().sort_index()
    sec = Section("Missing", "missing")
    sec.blocks.append(
        f"{len(d.missing)} of {d.n_planned} planned runs are not in this report ("
        + ", ".join(f"{n} {state}" for state, n in counts.items())
        + "). Everything below is computed from the complete runs only; statistics use "
        "only blocks where every compared strategy is complete. Run `tunebench run` again "
        "to finish them."
    )
    sec.blocks.append(
        _table(
            d.missing,
            _MISSING_COLUMNS,
        )
    )
    return sec


def _stats_blocks(res: Any, wilcoxon: pd.DataFrame, what: str) -> list[Any]:
    blocks: list[Any] = []
    if res is None:
        return blocks
    if res.applicable:
        verdict = "differ significantly" if res.significant else "do not differ significantly"
        text = (
            f"Friedman test on final test regret over N = {res.n_blocks} blocks ({what}), "
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
            "Pairwise two-sided Wilcoxon signed-rank tests on the paired final test regrets "
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


def _problem_section(a: Analysis, p: ProblemAnalysis, figs: dict[str, FigureFile]) -> Section:
    name = p.info.name
    sec = Section(f"Problem: {name}", f"problem-{slug(name)}")
    sec.blocks.append(
        f"Metric: validation / test {p.info.metric} ({p.info.direction}), {p.info.max_epochs} "
        f"epochs per full evaluation, {p.info.mode} mode; strategies with complete runs: "
        f"{', '.join(p.strategies)}."
    )
    sub = lambda title, key: Section(title, f"{slug(name)}-{key}", 3)  # noqa: E731
    s1 = sub("Anytime performance", "anytime")
    s1.blocks.append(figs[f"anytime/{name}"])
    s2 = sub("Final test scores", "final")
    s2.blocks.append(figs[f"final/{name}"])
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
    s3.blocks.append(figs[f"regret/{name}"])
    s3.blocks.append(
        f"Validation regret: 0 = {p.val_norm.best:.4g} = {p.val_norm.zero_name}; 1 = "
        f"{p.val_norm.reference:.4g} = {p.val_norm.reference_name}. Final test regret: 0 = "
        f"{p.test_norm.best:.4g} = {p.test_norm.zero_name}; 1 = {p.test_norm.reference:.4g} "
        f"= {p.test_norm.reference_name}."
    )
    s4 = sub("Statistics", "stats")
    if f"cd/{name}" in figs:
        s4.blocks.append(figs[f"cd/{name}"])
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
    s6.blocks.append(figs[f"cost/{name}"])
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
    if f"importance/{name}" in figs:
        s7.blocks.append(figs[f"importance/{name}"])
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
    if f"early/{name}" in figs:
        s8.blocks.append(figs[f"early/{name}"])
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


def _fidelity_sections(a: Analysis, figs: dict[str, FigureFile]) -> list[Section]:
    """One section per kind of compared pair of modes, each pair's blocks in it.

    The kinds: live versus replay, surrogate versus table, surrogate versus live; none
    without a pair.
    """
    out = []
    for title in dict.fromkeys(r.title for r in a.fidelity):
        sec = Section(title, title.lower().replace(" versus ", "-vs-").replace(" ", "-"), 3)
        for r in (r for r in a.fidelity if r.title == title):
            sec.blocks += _fidelity_blocks(r, figs)
        out.append(sec)
    return out


def _fidelity_blocks(r: FidelityResult, figs: dict[str, FigureFile]) -> list[Any]:
    """A pair's paragraph, figure and per-strategy table."""
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
    if f"fidelity/{r.key}" in figs:
        blocks.append(figs[f"fidelity/{r.key}"])
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
                ],
            )
        )
    return blocks


def _overall_section(a: Analysis, figs: dict[str, FigureFile]) -> Section:
    sec = Section("All problems", "overall")
    multi = len(a.problems) > 1
    what = "problem x seed" if multi else f"seeds of {next(iter(a.problems))}"
    sec.blocks.append(
        f"Strategies compared: {', '.join(a.overall_strategies) or 'none'} (complete on every "
        f"problem); blocks: {what} where all of them are complete (N = {a.overall_blocks}). "
        "Measure: normalized final test regret, so problems with different metrics compare."
    )
    if "cd/overall" in figs:
        sec.blocks.append(figs["cd/overall"])
    wilcoxon = a.overall_wilcoxon if a.overall_wilcoxon is not None else pd.DataFrame()
    sec.blocks += _stats_blocks(a.overall_friedman, wilcoxon, what)
    if "regret/overall" in figs:
        sec.blocks.append(figs["regret/overall"])
    if "speedup" in figs:
        sec.blocks.append(figs["speedup"])
    sec.blocks += [f for k, f in figs.items() if k.startswith("concurrency/")]
    sec.blocks += _fidelity_sections(a, figs)
    return sec


def _methods_section(a: Analysis) -> Section:
    sec = Section("How this was computed", "methods")
    for text in (
        "Incumbent: as the harness picks it, the trial with the best last validation value "
        "among trials trained to max_epochs (shorter trials count only when a run has none). "
        "Anytime curves follow the incumbent over the budget charged so far (epochs, in "
        "full-evaluation equivalents) and over the run's clock (simulated from the recorded "
        "costs in replay mode); means over seeds with 95% percentile bootstrap intervals "
        "(scipy.stats.bootstrap, 2,000 resamples, fixed seed).",
        "Final test score: the incumbent's test-split score; with [final] retrain_repeats, "
        "the mean of its retrains from scratch (their standard deviation is the error bar).",
        "Normalized regret per problem: (best - score) / (best - reference) with scores "
        "negated for minimized metrics. Best (regret 0), for a problem whose complete runs "
        "all replayed one learning-curve table, is the table's optimum: the best value at "
        "max_epochs over every recorded (config, repeat) curve that did not fail, validation "
        "for validation regret and test for test regret; it is the best score any run on "
        "that table can see, so regret is >= 0 and 0 only at the table's best. For other "
        "problems (live, or runs on different tables) best is the best score any run "
        "reached on the problem. The reference (regret 1) is random search's median final "
        "score (or, without random search, or when random search is itself the best, the "
        "worst median final score of any strategy). Average rank: per block and budget "
        "point, 1 = best; a run without an incumbent yet ranks last.",
        f"Statistics (alpha = {ALPHA}): Friedman test (scipy.stats.friedmanchisquare) over "
        "blocks, Nemenyi critical difference CD = q_alpha sqrt(k(k+1)/(6N)) with q_alpha the "
        "studentized-range quantile / sqrt(2) (scipy.stats.studentized_range), pairwise "
        "two-sided Wilcoxon signed-rank tests (scipy.stats.wilcoxon) with Holm's correction "
        "(statsmodels multipletests).",
        "Leaderboard: at 20 and 50 full evaluations (where every problem's budget goes "
        "beyond them) and at the whole budget, each block's strategies ranked by the "
        "normalized validation regret of their incumbent at that budget (a run without "
        "an incumbent yet ranks last and has infinite regret); mean rank over blocks; the "
        "median regret's 95% percentile bootstrap interval (2,000 resamples, fixed seed); "
        "groups by the Nemenyi critical difference over the sorted mean ranks (compact "
        "letter display: each maximal run of strategies within CD of the run's best gets a "
        "letter); Friedman and Wilcoxon-Holm tests as above, on the same regrets. A "
        "strategy that plans on its whole budget (hyperband's brackets, secretary's "
        "observation phase) is scored mid-plan at an earlier checkpoint.",
        "Speedup: per run, the first budget at which the incumbent is at least as good as "
        "random search's median final validation score; per strategy, the median over seeds "
        "(lower middle value for even counts); speedup = random search's budget / the "
        "strategy's.",
        "Cost: the ledger's seconds (training, model setup, strategy ask/report/tell), the "
        "test evaluations and retrains, and the rest of the wall time (harness, logging, "
        "I/O); epochs saved by resuming: epochs a resumed trial's weights already had.",
        "Importance: optuna's fANOVA over all full-length trials of a problem (every "
        "strategy and seed); conditional parameters inactive in some trials are left out "
        "(fANOVA needs every parameter in every trial).",
        "Early stopping: the full learning curves of a problem are every trial trained to "
        "max_epochs by any strategy and seed, a resumed trial's curve joined to the curve of "
        "the trial it continued; exact duplicates are counted once. Spearman rank correlation "
        "(scipy.stats.spearmanr) between the validation value after k epochs and after "
        "max_epochs, for every k. Evolutionary pruning replayed on those curves: populations "
        "are drawn at random (seeded, without replacement), pruned round by round exactly as "
        "evolutionary-pruning does (drop ceil(f x alive) of the worst by their current value, "
        "never below the survivors; when at most survivors remain or the next round would reach "
        "max_epochs, keep the best survivors and train them to the end), and we count how "
        "often the population's eventual best config (by final value) is still alive at the "
        "end. The answer is the largest prune fraction f (and every smaller one) whose survival "
        "probability is at least 95%.",
    ):
        sec.blocks.append(text)
    if a.fidelity:
        sec.blocks.append(
            "Mode fidelity: a live entry is paired with the replay entry of the same "
            "registered problem and max_epochs (the one with the same problem options first), "
            "and a surrogate entry likewise with a replay entry (its table) and a live entry. "
            "Over the strategies with complete runs in both, each mode ranks them by median "
            "final test score (1 = best, ties share the mean rank); Kendall's tau-b between "
            "the two rankings with its two-sided p-value (scipy.stats.kendalltau), computed "
            f"when at least {MIN_STRATEGIES} strategies are compared; the same on the median "
            "final validation value of the incumbents."
        )
    return sec


def build_document(a: Analysis, figures: list[FigureFile]) -> list[Section]:
    """The report's sections, in order, with the figures where the text refers to them."""
    figs = {f.key: f for f in figures}
    board = _leaderboard_section(a)
    sections = [board] if board is not None else []
    sections.append(_setup_section(a))
    surrogate = _surrogate_section(a)
    if surrogate is not None:
        sections.append(surrogate)
    missing = _missing_section(a)
    if missing is not None:
        sections.append(missing)
    sections += [_problem_section(a, p, figs) for p in a.problems.values()]
    sections.append(_overall_section(a, figs))
    sections.append(_methods_section(a))
    return sections


def walk(sections: list[Section]) -> list[Section]:
    """Every section and subsection, depth first (for the table of contents)."""
    out = []
    for s in sections:
        out.append(s)
        out += walk([b for b in s.blocks if isinstance(b, Section)])
    return out
