"""Multi-objective analyses: hypervolume-regret traces, attainment surfaces, the leaderboard.

The leaderboard's numbers are checked against a computation by hand from the run records
alone (``run.json`` and ``trials.jsonl``), not from the collected tables it is built on.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

from tunebench.objectives import HypervolumeReference
from tunebench.records.events import Epoch, TrialEnd
from tunebench.records.layout import run_folders
from tunebench.records.run_record import RunRecord, read_run_record
from tunebench.records.storage import RUN_FILE, read_events
from tunebench.reports.analysis.analyze import Analysis, analyze
from tunebench.reports.analysis.fronts import front_analysis
from tunebench.reports.inputs.load import ReportError, load_results

PROBLEM = "stocks-mlp"


@pytest.fixture(scope="module")
def analysis(mo_results: Path) -> Analysis:
    return analyze(load_results(mo_results))


def _by_hand(mo_results: Path) -> dict[tuple[str, int], tuple[HypervolumeReference, list]]:
    """Per run: its recorded frame and its scored points with the budget each joined at."""
    out = {}
    for folder in run_folders(mo_results, with_file=RUN_FILE):
        record = read_run_record(folder)
        assert isinstance(record, RunRecord)
        frame = HypervolumeReference.from_dict(record.provenance["hypervolume"])
        ended_at: dict[int, float] = {}
        points = []
        for event in read_events(folder, complete=True):
            if isinstance(event, Epoch):
                ended_at[event.trial] = event.budget_used
            elif isinstance(event, TrialEnd) and event.score_objectives is not None:
                points.append((ended_at[event.trial], event.score_objectives))
        out[(record.spec.strategy_label, record.spec.seed)] = (frame, points)
    return out


def _regret_at(frame: HypervolumeReference, points: list, budget: float) -> float:
    joined = [p for b, p in points if b <= budget + 1e-9]
    return frame.regret(np.array(joined)) if joined else frame.front_hypervolume


def test_traces_start_at_the_front_and_end_at_run_json(analysis: Analysis, mo_results: Path):
    f = analysis.problems[PROBLEM].fronts
    assert f is not None and analysis.multi_objective
    for folder in run_folders(mo_results, with_file=RUN_FILE):
        record = read_run_record(folder)
        assert isinstance(record, RunRecord)
        trace = f.traces[(record.spec.strategy_label, record.spec.seed)]
        assert trace.value[0] == f.frame.front_hypervolume and trace.budget[0] == 0
        assert trace.value[-1] == pytest.approx(record.result.hypervolume_regret, abs=1e-12)
        assert (np.diff(trace.value) <= 1e-12).all()  # a set only grows
        assert (np.diff(trace.budget) >= 0).all() and (np.diff(trace.seconds) >= 0).all()


def test_leaderboard_matches_a_computation_by_hand(analysis: Analysis, mo_results: Path):
    runs = _by_hand(mo_results)
    strategies = sorted({s for s, _ in runs})
    seeds = sorted({seed for _, seed in runs})
    labels = [cp.label for cp in analysis.leaderboard]
    assert labels == ["20 full evaluations", "22 full evaluations (the whole budget)"]
    for cp, budget in zip(analysis.leaderboard, (20.0, 22.0), strict=True):
        regret = np.array(
            [[_regret_at(*runs[(s, seed)], budget) for s in strategies] for seed in seeds]
        )
        if budget == 22.0:  # the whole budget: each run's own hypervolume_regret
            recorded = [[read_run_record(mo_results / PROBLEM / s / f"seed={seed}").result
                         .hypervolume_regret for s in strategies] for seed in seeds]  # fmt: skip
            assert regret == pytest.approx(np.array(recorded), abs=1e-12)
        ranks = sps.rankdata(regret, axis=1).mean(axis=0)
        table = cp.table.set_index("strategy")
        for j, s in enumerate(strategies):
            assert table.loc[s, "mean_rank"] == pytest.approx(ranks[j])
            assert table.loc[s, "regret_median"] == pytest.approx(np.median(regret[:, j]))
            assert table.loc[s, "regret_low"] <= table.loc[s, "regret_median"]
            assert table.loc[s, "regret_median"] <= table.loc[s, "regret_high"]
        assert cp.n_blocks == len(seeds)
        assert cp.friedman.pvalue == pytest.approx(sps.friedmanchisquare(*regret.T).pvalue)
        assert list(cp.table["strategy"]) == sorted(
            strategies, key=lambda s: (ranks[strategies.index(s)], s)
        )


def test_median_attainment_surface_is_attained_by_half_the_runs(analysis: Analysis):
    f = analysis.problems[PROBLEM].fronts
    assert f is not None
    sign = np.where(f.minimise, 1.0, -1.0)
    names = list(f.objectives)
    for strategy, surface in f.attainment.groupby("strategy"):
        mine = f.fronts[f.fronts["strategy"] == strategy]
        n_runs = mine["seed"].nunique()
        for point in surface[names].to_numpy(dtype=float) * sign:
            attained = sum(
                bool(((grp[names].to_numpy(dtype=float) * sign <= point + 1e-12).all(axis=1)).any())
                for _, grp in mine.groupby("seed")
            )
            assert attained >= math.ceil(n_runs / 2)


def test_fronts_are_the_runs_pareto_trials_and_the_true_front_beats_them(analysis: Analysis):
    f = analysis.problems[PROBLEM].fronts
    assert f is not None and f.true_front is not None and f.note == ""
    assert len(f.true_front) == f.frame.front_size
    runs = analysis.data.complete.set_index(["strategy", "seed"])
    for (strategy, seed), grp in f.fronts.groupby(["strategy", "seed"]):
        assert sorted(grp["trial"]) == json.loads(runs.loc[(strategy, seed), "pareto_trials"])
    # no run's point dominates a point of the true front
    assert f.frame.regret(f.fronts[list(f.objectives)].to_numpy(dtype=float)) >= -1e-12


def test_runs_of_different_frames_are_refused_in_one_line(mo_results: Path):
    data = load_results(mo_results)
    frame = json.loads(str(data.runs["hypervolume_frame"].iloc[0]))
    frame["reference"] = [1.2, 1.2]
    data.runs.loc[data.runs.index[0], "hypervolume_frame"] = json.dumps(frame)
    info = data.info[PROBLEM]
    with pytest.raises(ReportError, match="2 different hypervolume frames") as err:
        front_analysis(data, info, 22.0, 100.0)
    assert "\n" not in str(err.value)
    data.runs["hypervolume_frame"] = None
    with pytest.raises(ReportError, match="records no hypervolume frame"):
        front_analysis(data, info, 22.0, 100.0)


def test_single_objective_problems_have_no_fronts(replay_results: Path):
    data = load_results(replay_results)
    assert all(i.objectives is None for i in data.info.values())
    assert front_analysis(data, data.info[data.problems[0]], 2.0, 1.0) is None
    assert "hypervolume_regret" not in data.runs.columns
