"""Everything the report shows, computed once from the loaded results.

:func:`analyze` turns :class:`~tunebench.reports.inputs.load.ReportData` into an
:class:`Analysis`: per problem the anytime curves, final scores, regret and ranks,
statistics, speedup, costs, importance and early-stopping evidence, the same
statistics over all problems, and for a problem run both replayed and live how well
the two strategy rankings agree. A multi-objective problem adds its hypervolume-regret
curves, fronts and attainment surfaces (:mod:`~tunebench.reports.analysis.fronts`), and
when every problem is one, the leaderboard ranks hypervolume regret. Figures, tables and
text are all drawn from it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tunebench.backends.registry import backend_class
from tunebench.curves.table import TableError
from tunebench.reports.analysis import anytime, early, importance, stats
from tunebench.reports.analysis.anytime import Normalizer, Trace
from tunebench.reports.analysis.fidelity import FidelityResult, fidelity
from tunebench.reports.analysis.fronts import AS_RECORDED, FrontAnalysis, front_analysis
from tunebench.reports.analysis.leaderboard import Checkpoint, ProblemRuns, leaderboard
from tunebench.reports.analysis.optimum import TableOptimum, table_optimum
from tunebench.reports.analysis.palette import Dash, Palette, line_styles, strategy_palette
from tunebench.reports.analysis.stats import FriedmanResult
from tunebench.reports.inputs.load import ProblemInfo, ReportData

__all__ = ["Analysis", "ProblemAnalysis", "analyze"]

SCORE_TEXT = (
    "test score of each run's incumbent: the mean of its retrains from scratch "
    "([final] retrain_repeats) where recorded, else the test score of the incumbent's own model"
)


@dataclass
class ProblemAnalysis:
    """The analyses of one problem.

    Attributes:
        info: The problem.
        strategies: Strategies with complete runs on it (sorted).
        traces: ``(strategy, seed) -> Trace`` of each complete run.
        budget_max: End of the budget axis (full-evaluation equivalents).
        time_max: End of the wall-clock axis (seconds; simulated in replay).
        anytime: Long table: axis (budget|seconds), strategy, x, mean, low, high, seeds.
        final: One row per complete run: strategy, seed, val, test, retrain_mean,
            retrain_std, retrain_n, score (the reported final test score), regret.
        final_table: Per strategy: runs, mean, std, median of score, val_mean, regret_median.
        val_norm: Regret normalizer of validation scores (anytime curves).
        test_norm: Regret normalizer of final test scores.
        optimum: The table's optimum when every complete run replayed one table (then
            it is regret's 0-point: validation for ``val_norm``, test for ``test_norm``);
            ``None`` otherwise.
        regret: Long table: strategy, x, mean, low, high (validation regret over budget).
        ranks: Long table: strategy, x, rank (average rank over seeds per budget point).
        blocks: Seeds where every strategy of the problem is complete (the test blocks).
        friedman: Friedman/Nemenyi over the problem's seeds (final test regret).
        wilcoxon: Pairwise Wilcoxon with Holm over the problem's seeds.
        speedup: Speedup table; ``speedup_target`` its target (random's median val).
        cost: Per strategy, mean per run: seconds by kind, epochs trained and saved.
        importance: fANOVA table; ``importance_note`` how it was computed.
        best: Best configs found.
        n_curves: Full learning curves available for the early-stopping analyses.
        spearman: Spearman by epoch.
        prune: Survival by prune fraction (``None`` when too few curves).
        fronts: A multi-objective problem's hypervolume regret, fronts and attainment
            surfaces; ``None`` for a single-objective one.
    """

    info: ProblemInfo
    strategies: list[str]
    traces: dict[tuple[str, int], Trace]
    budget_max: float
    time_max: float
    anytime: pd.DataFrame
    final: pd.DataFrame
    final_table: pd.DataFrame
    val_norm: Normalizer
    test_norm: Normalizer
    regret: pd.DataFrame
    ranks: pd.DataFrame
    blocks: list[int]
    friedman: FriedmanResult
    wilcoxon: pd.DataFrame
    speedup: pd.DataFrame
    speedup_target: float
    cost: pd.DataFrame
    importance: pd.DataFrame
    importance_note: str
    best: pd.DataFrame
    n_curves: int
    spearman: pd.DataFrame
    prune: pd.DataFrame | None
    prune_setup: early.PruneSetup | None
    safe_fraction: float
    optimum: TableOptimum | None = None
    fronts: FrontAnalysis | None = None


@dataclass
class Analysis:
    """All analyses of a results folder.

    Attributes:
        data: The loaded results.
        palette: Strategy -> colour, the same in every figure.
        dashes: Strategy -> line dash pattern, the same in every figure.
        problems: Problem name -> its analyses, in matrix order.
        random_label: Label of random search, if the matrix has it.
        overall_strategies: Strategies complete on every problem (compared overall).
        overall_friedman: Friedman/Nemenyi over blocks = problem x seed.
        overall_wilcoxon: Pairwise Wilcoxon over the same blocks.
        overall_blocks: Number of those blocks.
        overall_ranks: Long table: strategy, x (share of the budget), rank.
        overall_regret: Long table: strategy, x (share of the budget), mean, low, high.
        budget_unit: Label of the overall budget axis.
        fidelity: Per problem that ran both replayed and live: how well the replay
            ranking of the strategies matches the live one (Kendall's tau).
        leaderboard: The overall strategies at each budget checkpoint (mean rank,
            median validation regret, Nemenyi groups, Wilcoxon-Holm differences); in a
            multi-objective report, on hypervolume regret.
    """

    data: ReportData
    palette: Palette
    dashes: dict[str, Dash]
    problems: dict[str, ProblemAnalysis]
    random_label: str | None
    overall_strategies: list[str] = field(default_factory=list)
    overall_friedman: FriedmanResult | None = None
    overall_wilcoxon: pd.DataFrame | None = None
    overall_blocks: int = 0
    overall_ranks: pd.DataFrame | None = None
    overall_regret: pd.DataFrame | None = None
    budget_unit: str = "share of the budget"
    fidelity: list[FidelityResult] = field(default_factory=list)
    leaderboard: list[Checkpoint] = field(default_factory=list)

    @property
    def multi_objective(self) -> bool:
        """Whether every problem is multi-objective (then the report ranks hypervolume)."""
        return bool(self.problems) and all(p.fronts is not None for p in self.problems.values())


def _random_label(data: ReportData) -> str | None:
    """Random search's label: the entry named ``random`` (the plain one first)."""
    done = data.complete
    labels = sorted(set(done.loc[done["strategy_name"] == "random", "strategy"]))
    if not labels:
        return None
    return "random" if "random" in labels else labels[0]


def _grid(end: float) -> np.ndarray:
    return np.linspace(end / anytime.N_GRID, end, anytime.N_GRID) if end > 0 else np.zeros(1)


def _long(
    strategy: str,
    x: np.ndarray,
    mean: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    **extra: object,
) -> pd.DataFrame:
    return pd.DataFrame(
        {"strategy": strategy, "x": x, "mean": mean, "low": low, "high": high, **extra}
    )


def _final_rows(runs: pd.DataFrame) -> pd.DataFrame:
    """Per complete run: validation and test score of the incumbent, retrain noise."""
    retrain_n = [
        len(json.loads(v)) if isinstance(v, str) else 0 for v in runs["retrain_test_values"]
    ]
    retrain_mean = runs["retrain_test_mean"].astype(float)
    test = runs["score_test_value"].astype(float)
    return pd.DataFrame(
        {
            "strategy": runs["strategy"].astype(str).to_numpy(),
            "seed": runs["seed"].astype(int).to_numpy(),
            "val": runs["score_value"].astype(float).to_numpy(),
            "test": test.to_numpy(),
            "retrain_mean": retrain_mean.to_numpy(),
            "retrain_std": runs["retrain_test_std"].astype(float).to_numpy(),
            "retrain_n": np.asarray(retrain_n, dtype=int),
            "score": retrain_mean.where(retrain_mean.notna(), test).to_numpy(),
        }
    )


def _cost(runs: pd.DataFrame, trials: pd.DataFrame, mode: str) -> pd.DataFrame:
    """Mean per run of each strategy: seconds by kind and epochs trained / saved by resuming.

    ``other`` is the harness itself (logging, records, checks, data handling): wall time
    minus everything measured. In replay, training and setup seconds are the recorded
    (simulated) costs, so ``other`` is computed without them.
    """
    rows = []
    for label, grp in runs.groupby("strategy", sort=True):
        eval_s = grp["test_eval_seconds"].astype(float).fillna(0) + grp["retrain_seconds"].astype(
            float
        ).fillna(0)
        train = grp["train_seconds"].astype(float).fillna(0)
        setup = grp["setup_seconds"].astype(float).fillna(0)
        strat = grp["strategy_seconds"].astype(float).fillna(0)
        wall = grp["wall_seconds"].astype(float).fillna(0)
        measured = strat + eval_s + (0 if backend_class(mode).simulated else train + setup)
        other = (wall - measured).clip(lower=0)
        mine = trials[(trials["strategy"] == label)] if len(trials) else trials
        saved = 0.0
        if len(mine):
            resumed = mine[mine["resume_from"].notna()]
            saved = float(resumed["start_epoch"].fillna(0).sum()) / max(1, len(grp))
        rows.append(
            {
                "strategy": label,
                "runs": len(grp),
                "train_seconds": train.mean(),
                "setup_seconds": setup.mean(),
                "strategy_seconds": strat.mean(),
                "eval_seconds": eval_s.mean(),
                "other_seconds": other.mean(),
                "wall_seconds": wall.mean(),
                "epochs_trained": grp["epochs"].astype(float).mean(),
                "epochs_saved_by_resume": saved,
                "trials": grp["n_trials"].astype(float).mean(),
            }
        )
    return pd.DataFrame(rows)


def _regret_scores(final: pd.DataFrame, strategies: list[str], seeds: list[int]) -> pd.DataFrame:
    """Blocks (seeds) x strategies of final test regret (lower is better)."""
    table = final.pivot_table(index="seed", columns="strategy", values="regret", aggfunc="first")
    return table.reindex(index=seeds, columns=strategies)


def _optimum(info: ProblemInfo) -> tuple[TableOptimum | None, str]:
    """The table optimum of a problem replayed from one table, and why there is none.

    Returns:
        ``(optimum, "")``, or ``(None, note)`` where the note (possibly empty: a live
        problem or several tables) says why the table's optimum could not be used.
    """
    if info.table is None:
        return None, ""
    try:
        return table_optimum(info.table, info.direction, info.max_epochs), ""
    except TableError as exc:
        # the results may have moved without their table: fall back, and say so
        return None, f" (the table's optimum is unavailable: {exc})"


def _zero_point(
    optimum: TableOptimum | None, kind: str, metric: str, note: str
) -> tuple[float | None, str]:
    """Regret's 0-point for ``kind`` (validation or test) and its description.

    Returns:
        ``(best, zero_name)``: the table's optimum, or ``None`` (the best any run reached).
    """
    if optimum is None:
        return None, anytime.BEST_RUN + note
    best = optimum.val if kind == "validation" else optimum.test
    if math.isnan(best):
        why = f" (the table records no {kind} value at epoch {optimum.max_epochs})"
        return None, anytime.BEST_RUN + why
    return best, optimum.describe(kind, metric)


def _problem(data: ReportData, info: ProblemInfo, random_label: str | None) -> ProblemAnalysis:
    done = data.complete[data.complete["problem"] == info.name].sort_values(["strategy", "seed"])
    strategies = sorted(done["strategy"].astype(str).unique())
    traces = anytime.run_traces(data.epochs, data.trials, done, info)
    # axes: the budget cap when there is one; else the furthest any run got
    cap = data.budget_full_evaluations
    budget_max = cap if cap else max((t.end_budget for t in traces.values()), default=0.0)
    time_max = max((t.end_seconds for t in traces.values()), default=0.0)
    b_grid, t_grid = _grid(budget_max), _grid(time_max)

    final = _final_rows(done)
    # replayed from one table: its optimum is the 0-point, else the best any run reached
    optimum, note = _optimum(info)
    val_best, val_zero = _zero_point(optimum, "validation", info.metric, note)
    test_best, test_zero = _zero_point(optimum, "test", info.metric, note)
    val_norm = anytime.normalizer(
        {s: list(final.loc[final["strategy"] == s, "val"]) for s in strategies},
        info.sign,
        random_label,
        best=val_best,
        zero_name=val_zero,
    )
    test_norm = anytime.normalizer(
        {s: list(final.loc[final["strategy"] == s, "score"]) for s in strategies},
        info.sign,
        random_label,
        best=test_best,
        zero_name=test_zero,
    )
    # Keras metrics are float32: differences below 1e-6 are rounding, not results
    final["regret"] = np.round(test_norm(final["score"].to_numpy(dtype=float)), 6)

    frames, regret_frames, by_strategy = [], [], {}
    for s in strategies:
        mine = sorted((k[1], t) for k, t in traces.items() if k[0] == s)
        on_budget = np.array([anytime.step_values(t.budget, t.value, b_grid) for _, t in mine])
        on_time = np.array([anytime.step_values(t.seconds, t.value, t_grid) for _, t in mine])
        by_strategy[s] = dict(zip([seed for seed, _ in mine], on_budget, strict=True))
        frames.append(_long(s, b_grid, *anytime.mean_ci(on_budget), axis="budget", seeds=len(mine)))
        frames.append(_long(s, t_grid, *anytime.mean_ci(on_time), axis="seconds", seeds=len(mine)))
        regret_frames.append(_long(s, b_grid, *anytime.mean_ci(val_norm(on_budget))))
    blocks = sorted(set.intersection(*(set(by_strategy[s]) for s in strategies)))
    rank_in = np.array([[info.sign * by_strategy[s][seed] for s in strategies] for seed in blocks])
    ranks = anytime.average_ranks(rank_in.reshape(len(blocks), len(strategies), len(b_grid)))
    rank_frame = pd.concat(
        [
            pd.DataFrame({"strategy": s, "x": b_grid, "rank": ranks[i]})
            for i, s in enumerate(strategies)
        ],
        ignore_index=True,
    )
    scores = _regret_scores(final, strategies, blocks)
    speed, target = anytime.speedup_table(traces, info.sign, random_label)
    table = (
        final.groupby("strategy", sort=True)
        .agg(
            runs=("score", "count"),
            mean=("score", "mean"),
            std=("score", "std"),
            median=("score", "median"),
            val_mean=("val", "mean"),
            regret_median=("regret", "median"),
        )
        .reset_index()
    )
    imp, imp_note = importance.param_importance(data.trials, info)
    curves = early.full_curves(data.trials, data.epochs, info)
    spear = early.spearman_by_epoch(curves, info.max_epochs)
    setup = early.prune_setup(data.matrix, len(curves))
    prune = None
    safe = math.nan
    if setup is not None:
        values = curves[list(range(1, info.max_epochs + 1))].to_numpy(dtype=float)
        prune = early.prune_survival(
            values, info.sign, setup, seed=early.simulation_seed(info.name)
        )
        safe = early.largest_safe_fraction(prune)
    return ProblemAnalysis(
        info=info,
        strategies=strategies,
        traces=traces,
        budget_max=float(budget_max),
        time_max=float(time_max),
        anytime=pd.concat(frames, ignore_index=True),
        final=final,
        final_table=table,
        val_norm=val_norm,
        test_norm=test_norm,
        regret=pd.concat(regret_frames, ignore_index=True),
        ranks=rank_frame,
        blocks=blocks,
        friedman=stats.friedman_nemenyi(scores),
        wilcoxon=stats.wilcoxon_holm(scores),
        speedup=speed,
        speedup_target=target,
        cost=_cost(
            done,
            data.trials[data.trials["problem"] == info.name] if len(data.trials) else data.trials,
            info.mode,
        ),
        importance=imp,
        importance_note=imp_note,
        best=importance.best_configs(data.trials, info),
        n_curves=len(curves),
        spearman=spear,
        prune=prune,
        prune_setup=setup,
        safe_fraction=safe,
        optimum=optimum,
        fronts=front_analysis(data, info, float(budget_max), float(time_max)),
    )


def _board_runs(p: ProblemAnalysis, multi_objective: bool) -> ProblemRuns:
    """What the leaderboard ranks of a problem: validation regret, or hypervolume regret."""
    if multi_objective and p.fronts is not None:
        f = p.fronts
        return ProblemRuns(p.info.name, f.traces, f.blocks, AS_RECORDED, p.budget_max)
    return ProblemRuns(p.info.name, p.traces, p.blocks, p.val_norm, p.budget_max)


def _overall(analysis: Analysis) -> None:
    """Statistics, ranks and regret over all problems (blocks = problem x seed)."""
    problems = list(analysis.problems.values())
    common = sorted(set.intersection(*(set(p.strategies) for p in problems)))
    analysis.overall_strategies = common
    if not common:
        return
    analysis.leaderboard = leaderboard(
        [_board_runs(p, analysis.multi_objective) for p in problems], common
    )
    frames = []
    for p in problems:
        scores = _regret_scores(p.final, common, p.blocks)
        frames.append(scores.set_axis([f"{p.info.name}/seed={s}" for s in scores.index]))
    blocks = pd.concat(frames).dropna()
    analysis.overall_blocks = len(blocks)
    analysis.overall_friedman = stats.friedman_nemenyi(blocks)
    analysis.overall_wilcoxon = stats.wilcoxon_holm(blocks)
    caps = {p.budget_max for p in problems}
    share = np.linspace(1 / anytime.N_GRID, 1.0, anytime.N_GRID)
    if len(caps) == 1:
        analysis.budget_unit = "full-evaluation equivalents"
        x = share * caps.pop()
    else:
        x = share
    ranks_in, regret_in = [], []
    for p in problems:
        grid = share * p.budget_max
        for seed in p.blocks:
            vals = []
            for s in common:
                t = p.traces[(s, seed)]
                vals.append(anytime.step_values(t.budget, t.value, grid))
            arr = np.array(vals)
            ranks_in.append(p.info.sign * arr)
            regret_in.append(p.val_norm(arr))
    if not ranks_in:
        return
    ranks = anytime.average_ranks(np.array(ranks_in))
    regret = np.array(regret_in)  # blocks x strategies x grid
    analysis.overall_ranks = pd.concat(
        [pd.DataFrame({"strategy": s, "x": x, "rank": ranks[i]}) for i, s in enumerate(common)],
        ignore_index=True,
    )
    analysis.overall_regret = pd.concat(
        [_long(s, x, *anytime.mean_ci(regret[:, i, :])) for i, s in enumerate(common)],
        ignore_index=True,
    )


def analyze(data: ReportData) -> Analysis:
    """Compute every analysis of the report.

    Args:
        data: From :func:`tunebench.reports.inputs.load.load_results`.

    Returns:
        The analyses, per problem and overall.
    """
    random_label = _random_label(data)
    analysis = Analysis(
        data=data,
        palette=strategy_palette(data.strategies),
        dashes=line_styles(data.strategies),
        problems={},
        random_label=random_label,
    )
    for name in data.problems:
        analysis.problems[name] = _problem(data, data.info[name], random_label)
    _overall(analysis)
    analysis.fidelity = fidelity(
        {n: p.info for n, p in analysis.problems.items()},
        {n: p.final for n, p in analysis.problems.items()},
    )
    return analysis
