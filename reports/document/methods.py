"""The section saying how every number of the report was computed."""

from __future__ import annotations

from tunebench.reports.analysis.analyze import Analysis
from tunebench.reports.analysis.fidelity import MIN_STRATEGIES
from tunebench.reports.analysis.stats import ALPHA
from tunebench.reports.document.model import Section


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
    if a.multi_objective:
        sec.blocks.append(
            "Multi-objective problems: a run's points are its configs evaluated to max_epochs, "
            "scored on the table's values (mean over the table's repeats). Hypervolume "
            "(moocore) in the problem's fixed frame, recorded in every run's provenance: "
            "log10 for params and FLOPs, maximised objectives negated, min-max over the "
            "table's configs, reference point 1.1 in each; hypervolume regret = the true "
            "front's hypervolume minus the run's, 0 at the table's true Pareto front. A trial's "
            "point joins its run's set when its last epoch ends, so the anytime curves step "
            "down over budget and (simulated) time from the whole front's hypervolume. Median "
            "attainment surface: the points attained by at least half of a strategy's runs "
            "(moocore.eaf). The leaderboard and the hypervolume statistics rank hypervolume "
            "regret as recorded, with the statistics above; the metric-only sections rank the "
            "metric as in a single-objective report."
        )
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
