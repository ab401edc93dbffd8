"""The report's computations on constructed cases with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from tunebench.reports.analysis.anytime import (
    Trace,
    average_ranks,
    budget_to_reach,
    mean_ci,
    normalizer,
    speedup_table,
    step_values,
)
from tunebench.reports.analysis.early import PruneSetup, largest_safe_fraction, prune_survival
from tunebench.reports.analysis.palette import line_styles, strategy_palette
from tunebench.reports.analysis.stats import friedman_nemenyi, holm, nemenyi_cd, wilcoxon_holm


def test_regret_is_zero_at_best_known_and_one_at_random_median() -> None:
    norm = normalizer({"random": [0.5, 0.6, 0.7], "tpe": [0.9, 0.8]}, 1.0, "random")
    assert (norm.best, norm.reference) == (0.9, 0.6)
    assert norm(np.array([0.9, 0.6, 0.75])) == pytest.approx([0.0, 1.0, 0.5])
    # a minimized metric (e.g. MAE): lower is better, same anchors
    low = normalizer({"random": [3.0, 4.0, 5.0], "tpe": [1.0, 2.0]}, -1.0, "random")
    assert (low.best, low.reference) == (1.0, 4.0)
    assert low(np.array([1.0, 4.0, 2.5, 7.0])) == pytest.approx([0.0, 1.0, 0.5, 2.0])


def test_regret_without_random_uses_the_worst_median() -> None:
    norm = normalizer({"a": [0.8, 0.9], "b": [0.5, 0.7]}, 1.0, None)
    assert norm.reference == pytest.approx(0.6) and "worst median" in norm.reference_name
    assert norm(np.array([0.9, 0.6])) == pytest.approx([0.0, 1.0])
    # all equal: no spread to normalise, regret 0 rather than a division by zero
    flat = normalizer({"a": [0.5], "b": [0.5]}, 1.0, None)
    assert flat(np.array([0.5]))[0] == 0 and np.isnan(flat(np.array([np.nan]))[0])


def _trace(budgets: list[float], values: list[float]) -> Trace:
    b = np.array(budgets, dtype=float)
    return Trace(b, b * 10, np.array(values, dtype=float), b[-1], b[-1] * 10)


def test_speedup_is_random_budget_over_strategy_budget() -> None:
    traces = {
        # random's finals 0.5, 0.6, 0.7 -> target (median) 0.6
        ("random", 0): _trace([1, 2, 4], [0.4, 0.45, 0.5]),  # never reaches 0.6
        ("random", 1): _trace([1, 3], [0.5, 0.6]),  # at 3
        ("random", 2): _trace([1, 2], [0.6, 0.7]),  # at 1
        ("fast", 0): _trace([0.5], [0.65]),  # at 0.5
        ("fast", 1): _trace([0.25, 1.0], [0.3, 0.61]),  # at 1
        ("fast", 2): _trace([1.5], [0.9]),  # at 1.5
        ("slow", 0): _trace([1], [0.1]),
        ("slow", 1): _trace([1], [0.2]),
        ("slow", 2): _trace([1, 4], [0.2, 0.6]),  # only this seed, at 4
    }
    table, target = speedup_table(traces, 1.0, "random")
    assert target == pytest.approx(0.6)
    rows = table.set_index("strategy")
    # random: inf, 3, 1 -> median 3; fast: 0.5, 1, 1.5 -> median 1 -> 3x
    assert rows.loc["random", "budget_median"] == 3 and rows.loc["random", "speedup"] == 1
    assert rows.loc["fast", "budget_median"] == 1.0 and rows.loc["fast", "speedup"] == 3.0
    assert rows.loc["fast", "reached"] == 3 and rows.loc["slow", "reached"] == 1
    assert math.isinf(rows.loc["slow", "budget_median"]) and np.isnan(rows.loc["slow", "speedup"])
    # a minimized metric: reached when at or below the target
    assert budget_to_reach(np.array([1.0, 2.0]), np.array([3.0, 1.0]), 2.0, -1.0) == 2.0


def test_step_function_and_bootstrap_interval() -> None:
    values = step_values(
        np.array([1.0, 3.0]), np.array([5.0, 7.0]), np.array([0.5, 1.0, 2.9, 3.0, 9.0])
    )
    assert np.isnan(values[0]) and values[1:].tolist() == [5, 5, 7, 7]
    rng = np.random.default_rng(3)
    m = rng.normal(size=(8, 5))
    m[2, 0] = np.nan  # a seed without a value yet: no mean there
    mean, low, high = mean_ci(m)
    assert np.isnan(mean[0]) and np.isnan(low[0])
    assert mean[1:] == pytest.approx(m[:, 1:].mean(axis=0))
    assert (low[1:] < mean[1:]).all() and (mean[1:] < high[1:]).all()
    assert np.array_equal(mean_ci(m)[1], low, equal_nan=True)  # fixed seed: reproducible
    one = mean_ci(m[:1])
    assert np.isnan(one[1]).all() and not np.isnan(one[0][1:]).any()


def test_average_ranks_put_missing_last() -> None:
    blocks = np.array(
        [[[3.0, 1.0], [2.0, np.nan], [1.0, 2.0]], [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]]
    )
    ranks = average_ranks(blocks)
    assert ranks[:, 0] == pytest.approx([2.0, 2.0, 2.0])
    assert ranks[:, 1] == pytest.approx([(2 + 3) / 2, (3 + 2) / 2, (1 + 1) / 2])


def test_holm_on_known_p_values() -> None:
    adjusted, reject = holm([0.01, 0.04, 0.03, 0.005])
    # sorted 0.005 x4, 0.01 x3, 0.03 x2, 0.04 x1 -> 0.02, 0.03, 0.06, max(0.04, 0.06)
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert reject.tolist() == [True, False, False, True]
    adjusted, reject = holm([np.nan, 0.01])
    assert np.isnan(adjusted[0]) and adjusted[1] == pytest.approx(0.01) and reject[1]


def test_nemenyi_critical_difference_matches_demsar() -> None:
    # Demsar (2006), table 5(a): q_0.05 = 2.343 for k = 3, 2.569 for k = 4
    assert nemenyi_cd(4, 10) == pytest.approx(2.569 * math.sqrt(4 * 5 / 60), abs=1e-3)
    assert nemenyi_cd(3, 20) == pytest.approx(2.343 * math.sqrt(3 * 4 / 120), abs=1e-3)


def test_friedman_detects_a_consistent_winner_and_says_when_it_cannot() -> None:
    rng = np.random.default_rng(0)
    n = 12
    scores = pd.DataFrame(
        {"good": rng.normal(0, 0.1, n), "mid": rng.normal(1, 0.1, n), "bad": rng.normal(2, 0.1, n)}
    )
    res = friedman_nemenyi(scores)
    expected = sps.friedmanchisquare(scores["good"], scores["mid"], scores["bad"])
    assert res.pvalue == pytest.approx(expected.pvalue) and res.significant
    assert res.avg_ranks == {"good": 1.0, "mid": 2.0, "bad": 3.0} and res.n_blocks == n
    two = friedman_nemenyi(scores[["good", "bad"]])
    assert not two.applicable and "at least 3" in two.note
    few = friedman_nemenyi(scores.iloc[:3])
    assert few.applicable and "N = 3" in few.note
    one = friedman_nemenyi(scores.iloc[:1])
    assert not one.applicable and "1 block" in one.note


def test_wilcoxon_is_exact_under_ties_and_holm_corrected() -> None:
    scores = pd.DataFrame(
        {  # integers: ties are exact ties
            "a": [1, 2, 2, 3, 1, 4, 2, 3],
            "b": [3, 4, 4, 3, 3, 5, 5, 6],
            "c": [3, 4, 4, 3, 3, 5, 5, 6],
        }
    ).astype(float)
    table = wilcoxon_holm(scores).set_index(["a", "b"])
    d = (scores["a"] - scores["b"]).to_numpy()
    exact = sps.wilcoxon(d[d != 0], method=sps.PermutationMethod()).pvalue
    row = table.loc[("a", "b")]
    assert row["p"] == pytest.approx(exact)
    assert (row["wins_a"], row["ties"], row["wins_b"]) == (7, 1, 0)
    # Holm over 3 pairs with p = (exact, exact, 1): the two smallest times 3 (capped at 1)
    assert row["p_holm"] == pytest.approx(min(1.0, 3 * exact))
    same = table.loc[("b", "c")]
    assert same["p"] == 1.0 and same["note"] == "identical in every block"
    small = wilcoxon_holm(scores.iloc[:4]).set_index(["a", "b"]).loc[("a", "b")]
    assert "impossible" in small["note"]  # 3 non-tied blocks cannot reach p < 0.05


def test_pruning_simulation_on_curves_with_known_answers() -> None:
    setup = PruneSetup(population=10, survivors=2, round_epochs=1, source="test")
    # rankings never change: the best config is always kept
    steady = np.array([[i, i + 1, i + 2, i + 3] for i in range(40)], dtype=float)
    table = prune_survival(steady, 1.0, setup, n_sim=300, seed=1)
    assert (table["survival"] == 1.0).all() and largest_safe_fraction(table) == 0.5
    # a late bloomer: worst after every early epoch, best at the end
    late = steady.copy()
    late[0] = [-100, -100, -100, 1000]
    table = prune_survival(late, 1.0, setup, n_sim=400, seed=1)
    # it is drawn into about 10/40 of the populations, and then never survives round 1
    assert table["survival"].between(0.65, 0.85).all()
    assert math.isnan(largest_safe_fraction(table))
    # a minimized metric is handled by the sign
    assert (prune_survival(-steady, -1.0, setup, n_sim=50)["survival"] == 1.0).all()


def test_palette_is_stable_across_subsets() -> None:
    labels = ["tpe", "random", "hyperband", "grid"]
    full = strategy_palette(labels)
    assert full == strategy_palette(reversed(labels))
    assert full["grid"] == strategy_palette(["grid", "x"])["grid"]  # first in sorted order
    assert len(set(full.values())) == 4
    assert line_styles(labels)["grid"] != line_styles(labels)["hyperband"]
    many = strategy_palette([f"s{i:02d}" for i in range(12)])
    assert len(set(many.values())) == 12
