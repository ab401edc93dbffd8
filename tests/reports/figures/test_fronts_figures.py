"""The report of a multi-objective matrix: its figures, tables and opening."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tunebench.reports.analysis.analyze import analyze
from tunebench.reports.figures.fronts import _staircase
from tunebench.reports.inputs.load import load_results


def test_figures_and_tables_are_written(mo_report: Path) -> None:
    for stem in ("hypervolume_stocks-mlp", "fronts_stocks-mlp"):
        for ext in ("png", "svg"):
            path = mo_report / "figures" / f"{stem}.{ext}"
            assert path.stat().st_size > 1000, path
    for name in ("hypervolume_runs", "hypervolume_over_budget", "fronts", "attainment",
                 "true_front", "leaderboard"):  # fmt: skip
        assert len(pd.read_csv(mo_report / "tables" / f"{name}.csv")), name
    board = pd.read_csv(mo_report / "tables" / "leaderboard.csv")
    runs = pd.read_csv(mo_report / "tables" / "hypervolume_runs.csv")
    whole = board[board["budget"].str.contains("whole budget")].set_index("strategy")
    medians = runs.groupby("strategy")["regret"].median()
    assert np.allclose(whole.loc[medians.index, "regret_median"], medians, atol=1e-5)


def test_report_opens_on_hypervolume_and_links_its_figures(mo_report: Path) -> None:
    md = (mo_report / "report.md").read_text(encoding="utf-8")
    assert "(ranked by hypervolume regret;" in md.split("## Contents")[0]
    assert "first on the leaderboard at 20 full evaluations" in md
    for stem in ("hypervolume_stocks-mlp", "fronts_stocks-mlp"):
        assert f"](figures/{stem}.png)" in md
    assert "### Hypervolume statistics" in md and "moocore.eaf" in md
    html = (mo_report / "index.html").read_text(encoding="utf-8")
    assert "Pareto fronts" in html


def test_a_single_objective_report_says_nothing_of_hypervolume(report_dir: Path) -> None:
    assert "hypervolume" not in (report_dir / "report.md").read_text(encoding="utf-8").lower()
    assert not list((report_dir / "figures").glob("fronts_*"))
    assert not (report_dir / "tables" / "hypervolume_runs.csv").exists()


def test_each_strategy_keeps_its_palette_colour(mo_results: Path, mo_report: Path) -> None:
    palette = analyze(load_results(mo_results)).palette
    assert sorted(palette) == ["mo-random", "moasha", "nsga2"]
    for stem in ("hypervolume_stocks-mlp", "fronts_stocks-mlp"):
        svg = (mo_report / "figures" / f"{stem}.svg").read_text(encoding="utf-8")
        for rgb in palette.values():
            assert "#" + "".join(f"{round(c * 255):02x}" for c in rgb) in svg, stem


def test_staircase_bounds_what_the_points_dominate() -> None:
    points = np.array([[3.0, 1.0], [1.0, 3.0], [2.0, 2.0], [2.5, 2.5]])  # the last is dominated
    line = _staircase(points, np.array([4.0, 4.0]))
    expected = [(1, 4), (1, 3), (2, 3), (2, 2), (3, 2), (3, 1), (4, 1)]
    assert line.tolist() == [list(map(float, v)) for v in expected]
