"""The leaderboard: ranks, regret intervals and significance groups per budget checkpoint."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tunebench.reports.analysis.anytime import Normalizer
from tunebench.reports.analysis.leaderboard import ProblemRuns, leaderboard, nemenyi_groups
from tunebench.run.incumbent import Trace

SEEDS = range(12)


def _trace(points: list[tuple[float, float]], end: float) -> Trace:
    budget = np.array([b for b, _ in points], dtype=float)
    value = np.array([v for _, v in points], dtype=float)
    return Trace(budget, budget * 10.0, value, end, end * 10.0)


def _problem(budget_max: float = 60.0) -> ProblemRuns:
    """good reaches the optimum (1.0) early; mid the reference (0.5); late starts at 30."""
    rng = np.random.default_rng(0)
    traces = {}
    for seed in SEEDS:
        noise = float(rng.uniform(0, 0.01))
        traces[("good", seed)] = _trace([(1.0, 0.6), (5.0, 1.0 - noise)], budget_max)
        traces[("mid", seed)] = _trace([(1.0, 0.5 - noise)], budget_max)
        traces[("late", seed)] = _trace([(30.0, 0.9 - noise)], budget_max)
    norm = Normalizer(best=1.0, reference=0.5, reference_name="random", sign=1.0)
    return ProblemRuns("p", traces, list(SEEDS), norm, budget_max)


def test_nemenyi_groups_are_maximal_runs_within_cd() -> None:
    groups = nemenyi_groups({"a": 1.0, "b": 1.5, "c": 3.0, "d": 3.2}, cd=1.0)
    assert groups == {"a": "a", "b": "a", "c": "b", "d": "b"}
    overlapping = nemenyi_groups({"a": 1.0, "b": 1.8, "c": 2.6}, cd=1.0)
    assert overlapping == {"a": "a", "b": "ab", "c": "b"}
    assert nemenyi_groups({"a": 1.0, "b": 2.0}, cd=math.nan) == {"a": "", "b": ""}


def test_checkpoints_20_50_and_the_whole_budget() -> None:
    board = leaderboard([_problem(60.0)], ["good", "late", "mid"])
    assert [cp.budget for cp in board] == [20.0, 50.0, None]
    assert board[-1].label == "60 full evaluations (the whole budget)"
    # a budget of 20 reports only itself
    assert [cp.budget for cp in leaderboard([_problem(20.0)], ["good", "mid"])] == [None]


def test_a_run_without_incumbent_ranks_last_with_infinite_regret() -> None:
    at20, at50, _ = leaderboard([_problem()], ["good", "late", "mid"])
    rows = at20.table.set_index("strategy")
    assert list(at20.table["strategy"]) == ["good", "mid", "late"]
    assert rows.loc["late", "mean_rank"] == 3.0 and math.isinf(rows.loc["late", "regret_median"])
    # by 50 it has an incumbent better than mid's
    rows50 = at50.table.set_index("strategy")
    assert list(at50.table["strategy"]) == ["good", "late", "mid"]
    assert rows50.loc["late", "regret_median"] == pytest.approx(0.2, abs=0.03)


def test_significant_differences_are_counted_and_grouped() -> None:
    at20, _, whole = leaderboard([_problem()], ["good", "late", "mid"])
    # 12 blocks where every pair is ordered the same way: all 3 pairs differ
    assert at20.n_significant == 3 and at20.friedman.significant
    rows = whole.table.set_index("strategy")
    assert rows.loc["good", "wins"] == 2 and rows.loc["good", "losses"] == 0
    assert rows.loc["mid", "wins"] == 0 and rows.loc["mid", "losses"] == 2
    assert not set(rows.loc["good", "group"]) & set(rows.loc["mid", "group"])
    low, med, high = rows.loc["good", ["regret_low", "regret_median", "regret_high"]]
    assert 0.0 <= low <= med <= high <= 0.02


def test_strategies_that_tie_share_a_group() -> None:
    problem = _problem()
    traces = dict(problem.traces)
    for seed in SEEDS:
        traces[("twin", seed)] = traces[("good", seed)]
    tied = ProblemRuns("p", traces, list(SEEDS), problem.val_norm, 60.0)
    whole = leaderboard([tied], ["good", "mid", "twin"])[-1]
    rows = whole.table.set_index("strategy")
    assert rows.loc["good", "group"] == rows.loc["twin", "group"]
    assert whole.n_significant == 2  # good and twin each beat mid; they do not differ


def test_median_interval_is_inf_only_where_runs_have_no_incumbent() -> None:
    from tunebench.reports.analysis.leaderboard import _median_ci

    finite = np.array([0.1, 1 / 3, 1 / 3, 0.2, 0.3])
    med, low, high = _median_ci(finite, seed=1)
    assert 0.1 <= low <= med <= high <= 1 / 3
    mixed = np.array([0.1, 0.2, np.inf, np.inf, np.inf, 0.5])
    med, low, high = _median_ci(mixed, seed=1)
    assert math.isinf(med) and math.isinf(high) and low < 1.0
