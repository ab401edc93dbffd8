"""End to end: a report from a real (replayed) results folder."""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tunebench.reports.analysis.analyze import analyze
from tunebench.reports.analysis.anytime import run_traces
from tunebench.reports.document.narrative import ranking_difference
from tunebench.reports.inputs.load import NoResultsError, ReportError, load_results
from tunebench.reports.report import build_figures, build_report

PROBLEMS = ("tiny-stocks", "tiny-stocks-b")
PER_PROBLEM = ("anytime", "final", "regret_rank", "cd", "cost", "importance", "early")
OVERALL = ("cd_overall", "regret_rank_overall", "speedup")
TABLES = (
    "final_scores",
    "final_runs",
    "anytime",
    "regret_over_budget",
    "rank_over_budget",
    "friedman_nemenyi",
    "wilcoxon_holm",
    "speedup",
    "cost",
    "importance",
    "best_configs",
    "spearman",
    "prune_fraction",
    "missing",
    "leaderboard",
)


def test_report_has_every_part(report_dir: Path) -> None:
    stems = [f"{kind}_{p}" for kind in PER_PROBLEM for p in PROBLEMS] + list(OVERALL)
    for stem in stems:
        for ext in ("png", "svg"):
            path = report_dir / "figures" / f"{stem}.{ext}"
            assert path.is_file() and path.stat().st_size > 1000, path
    for name in TABLES:
        assert (report_dir / "tables" / f"{name}.csv").is_file(), name
    md = (report_dir / "report.md").read_text()
    for stem in stems:
        assert f"](figures/{stem}.png)" in md
    for heading in (
        "## Leaderboard: which strategies differ, at which budget",
        "## Setup",
        "### Anytime performance",
        "### Final test scores",
        "### Normalized regret and rank",
        "### Statistics",
        "### Speedup over random search",
        "### Cost breakdown",
        "### Hyperparameter importance and best configs",
        "### Early-stopping evidence",
        "## All problems",
    ):
        assert heading in md
    assert "Missing" not in md.split("## Contents")[1].split("##")[0]  # nothing missing
    final = pd.read_csv(report_dir / "tables" / "final_scores.csv")
    assert set(final["problem"]) == set(PROBLEMS)
    assert {"mean", "std", "median"} <= set(final.columns)
    friedman = pd.read_csv(report_dir / "tables" / "friedman_nemenyi.csv")
    overall = friedman[friedman["scope"] == "overall"].iloc[0]
    assert overall["blocks"] == 2 * 3 and overall["alpha"] == 0.05
    # the opening answers which strategies differ at which budget, from the same blocks
    assert md.index("## Leaderboard") < md.index("## Setup")
    board = pd.read_csv(report_dir / "tables" / "leaderboard.csv")
    assert set(board["blocks"]) == {2 * 3}
    whole = board[board["budget"].str.contains("whole budget")]
    assert len(whole) == len(set(board["strategy"])) >= 3
    assert whole["mean_rank"].is_monotonic_increasing
    assert (whole["regret_low"] <= whole["regret_median"]).all()
    assert (whole["regret_median"] <= whole["regret_high"]).all()
    assert np.isfinite(whole["regret_high"]).all()  # every run has an incumbent by then


def test_report_opens_with_the_answer_table(report_dir: Path) -> None:
    """Above the summary list: one row per budget, from the leaderboard's numbers."""
    md = (report_dir / "report.md").read_text()
    head = md[: md.index("- Matrix rep: ")]
    assert head.startswith("# tunebench report: rep\n\nWhich strategies differ, per budget")
    rows = [line for line in head.splitlines() if line.startswith("| ")][1:]  # no header
    board = pd.read_csv(report_dir / "tables" / "leaderboard.csv")
    assert len(rows) == board["budget"].nunique() >= 1
    for row, (label, part) in zip(rows, board.groupby("budget", sort=False), strict=True):
        cells = [c.strip() for c in row.strip("|").split("|")]
        first, last = part.iloc[0], part.iloc[-1]
        assert cells[0] == label
        assert cells[2] == f"{part['significant_pairs'].iloc[0]} of {part['pairs'].iloc[0]}"
        assert cells[3] == f"{first['strategy']} ({first['mean_rank']:.2f})"
        assert cells[6] == f"{last['strategy']} ({last['mean_rank']:.2f})"
        letter = str(first["group"])[0]
        tied = [str(r.strategy) for r in part.iloc[1:].itertuples() if letter in str(r.group)]
        assert cells[4] == (", ".join(tied) or "none")
        unbeaten = part[part["losses"] == 0]["strategy"].tolist()
        assert cells[5] == (", ".join(unbeaten) or "none")
    html = (report_dir / "index.html").read_text()
    assert html.index("Which strategies differ, per budget") < html.index('id="summary"')


def test_summary_is_a_list_of_findings_with_numbers(report_dir: Path) -> None:
    md = (report_dir / "report.md").read_text()
    summary = next(p for p in md.split("\n\n") if p.startswith("- Matrix rep: "))
    assert md.index(summary) < md.index("## Contents")
    points = summary.splitlines()
    assert all(p.startswith("- ") for p in points) and len(points) >= 3
    problem = next(p for p in points if p.startswith("- On tiny-stocks,"))
    assert "best median final test accuracy" in problem
    assert re.search(r"\d\.\d{3}", problem)  # scores with numbers
    stats = next(p for p in points if "Friedman test" in p)
    assert "alpha = 0.05" in stats
    html = (report_dir / "index.html").read_text()
    assert html.count("<li>", html.index('id="summary"'), html.index('class="toc"')) == len(points)
    # the contents: one line per section, its subsections run on after it
    toc = html[html.index('<nav class="toc">') : html.index("</nav>")]
    assert toc.count("<ul>") == 1 and toc.count("<li>") == md.count("\n## ") - 1  # no Contents
    assert '<span class="sub">: <a href="#leaderboard-' in toc


def _ranked(val: dict[str, float], test: dict[str, float]) -> Any:
    """An analysis stand-in: the last leaderboard budget's ranks, and the test ranks."""
    table = pd.DataFrame({"strategy": list(val), "mean_rank": list(val.values())})
    checkpoint = SimpleNamespace(label="50 full evaluations", table=table)
    return SimpleNamespace(
        leaderboard=[checkpoint], overall_friedman=SimpleNamespace(avg_ranks=test)
    )


def test_a_leaderboard_and_cd_diagram_that_rank_differently_are_said_to() -> None:
    same = _ranked({"a": 1.0, "b": 2.0, "c": 3.0}, {"a": 1.2, "b": 1.9, "c": 2.9})
    assert ranking_difference(same) == ""
    top = _ranked({"a": 1.0, "b": 2.0, "c": 3.0}, {"a": 1.5, "b": 1.1, "c": 3.4})
    assert ranking_difference(top) == (
        "The leaderboard ranks by validation regret at 50 full evaluations and the "
        "critical-difference diagram by final test regret, and their orders differ: first a by "
        "validation, b by test, and 1 of 3 strategies hold the same place in both."
    )
    tail = _ranked({"a": 1.0, "b": 2.0, "c": 3.0}, {"a": 1.0, "b": 3.0, "c": 2.0})
    assert "a first in both, and 1 of 3" in ranking_difference(tail)


def test_html_is_one_self_contained_file(report_dir: Path) -> None:
    text = (report_dir / "index.html").read_text()
    images = re.findall(r'<img [^>]*src="([^"]+)"', text)
    figures = sorted((report_dir / "figures").glob("*.png"))
    assert len(images) == len(figures)
    assert all(src.startswith("data:image/png;base64,") for src in images)
    decoded = {base64.b64decode(src.split(",", 1)[1]) for src in images}
    assert decoded == {p.read_bytes() for p in figures}
    assert "figures/" not in text.replace('id="fig-', "")  # no file it depends on
    assert '<nav class="toc">' in text and 'href="#problem-tiny-stocks"' in text


def test_incumbent_curves_end_at_the_recorded_incumbent(replay_results: Path) -> None:
    data = load_results(replay_results)
    done = data.complete
    for name in PROBLEMS:
        traces = run_traces(data.epochs, data.trials, done, data.info[name])
        runs = done[done["problem"] == name].set_index(["strategy", "seed"])
        assert len(traces) == len(runs)
        for key, trace in traces.items():
            # the run's one score: the harness's (run.json) and the report's agree
            assert trace.final == pytest.approx(runs.loc[key, "score_value"])
            assert (pd.Series(trace.value).diff().dropna() != 0).all()  # a point per change


def test_resumed_trials_save_epochs(report_dir: Path, replay_results: Path) -> None:
    data = load_results(replay_results)
    if "evolutionary-pruning" not in set(data.complete["strategy_name"]):
        pytest.skip("evolutionary-pruning is not registered")
    cost = pd.read_csv(report_dir / "tables" / "cost.csv")
    evo = cost[cost["strategy"].str.startswith("evolutionary-pruning")]
    trials = data.trials[data.trials["strategy"].str.startswith("evolutionary-pruning")]
    resumed = trials[trials["resume_from"].notna()]
    assert len(resumed) and (evo["epochs_saved_by_resume"] > 0).all()
    # mean per run x runs = every epoch a resumed trial did not have to retrain
    assert (evo["epochs_saved_by_resume"] * evo["runs"]).sum() == resumed["start_epoch"].sum()
    others = cost[~cost["strategy"].str.startswith("evolutionary-pruning")]
    assert (others["epochs_saved_by_resume"] == 0).all()


def test_partial_results_report_what_is_missing(tmp_path: Path, replay_results: Path) -> None:
    partial = tmp_path / "rep"
    shutil.copytree(replay_results, partial)
    shutil.rmtree(partial / "tiny-stocks-b")  # a problem not started at all
    (partial / "tiny-stocks" / "random" / "seed=2" / "run.json").unlink()  # killed mid-run
    index = build_report(partial, tmp_path / "out")
    missing = pd.read_csv(tmp_path / "out" / "tables" / "missing.csv")
    n_strategies = len({p.parent.name for p in (replay_results / "tiny-stocks").glob("*/seed=0")})
    assert len(missing) == 1 + n_strategies * 3
    row = missing[missing["problem"] == "tiny-stocks"].iloc[0]
    assert (row["strategy"], row["seed"], row["state"]) == ("random", 2, "incomplete")
    assert set(missing.loc[missing["problem"] == "tiny-stocks-b", "state"]) == {"absent"}
    md = (tmp_path / "out" / "report.md").read_text()
    assert "## Missing" in md and f"{len(missing)} of {2 * n_strategies * 3} planned" in md
    figures = sorted((tmp_path / "out" / "figures").iterdir())
    assert figures and not any("tiny-stocks-b" in p.name for p in figures)
    assert index.is_file()

    # the figures alone, again from the same results: byte-identical PNG and SVG
    written = build_figures(partial, tmp_path / "again")
    assert not (tmp_path / "again" / "index.html").exists()
    assert sorted(p.name for p in written) == [p.name for p in figures]
    for old in figures:
        assert (tmp_path / "again" / "figures" / old.name).read_bytes() == old.read_bytes(), old


def test_empty_or_absent_results_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NoResultsError, match="no runs under"):
        build_report(tmp_path, tmp_path / "out")
    with pytest.raises(NoResultsError, match="no such results folder"):
        build_figures(tmp_path / "nope", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_no_complete_run_is_a_clear_error(tmp_path: Path, replay_results: Path) -> None:
    broken = tmp_path / "rep"
    shutil.copytree(replay_results, broken)
    for run_json in broken.glob("*/*/seed=*/run.json"):
        run_json.unlink()
    with pytest.raises(ReportError, match=r"none of \d+ run folders holds a complete run"):
        analyze(load_results(broken))
