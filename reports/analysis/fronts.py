"""Multi-objective analyses of one problem: hypervolume regret over budget and time, fronts.

Every run is scored in the problem's fixed frame, the one its ``run.json`` provenance
records (:class:`~tunebench.objectives.HypervolumeReference`: normalisation and reference
point from the table alone), never in a frame taken from the runs being compared, so
adding a strategy to a study moves no score.

- **Anytime hypervolume regret.** A trial's scored point (its config's table point,
  ``score_obj_<name>``) joins its run's set when the trial's last epoch ends; the run's
  regret at budget ``b`` is the true front's hypervolume minus that of the points joined by
  ``b``. Before any full evaluation the set is empty and the regret is the whole front's
  hypervolume, so every curve is defined from the start. The last point of a run's trace
  is the ``hypervolume_regret`` of its ``run.json``.
- **Fronts.** Each run's final non-dominated points (``pareto_trials``), the table's true
  Pareto front (:func:`~tunebench.objectives.true_front`), and per strategy the median
  attainment surface over seeds: the points attained by at least half of its runs
  (moocore's empirical attainment function, ``moocore.eaf``; a run that never completed
  a full evaluation has no front and is left out of it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tunebench.curves.table import TableError
from tunebench.objectives import (
    HypervolumeReference,
    ObjectiveError,
    hypervolume,
    table_points,
    true_front,
)
from tunebench.reports.analysis import anytime, stats
from tunebench.reports.analysis.anytime import Normalizer, Trace
from tunebench.reports.analysis.stats import FriedmanResult
from tunebench.reports.inputs.load import ProblemInfo, ReportData, ReportError

__all__ = ["AS_RECORDED", "ATTAINMENT_PERCENTILE", "FrontAnalysis", "front_analysis"]

#: The attainment surface drawn per strategy: attained by at least this share of its runs.
ATTAINMENT_PERCENTILE = 50.0

#: Hypervolume regret is already 0 at the table's true front: the leaderboard ranks it as
#: recorded (this normalizer is the identity).
AS_RECORDED = Normalizer(
    best=0.0,
    reference=1.0,
    reference_name="hypervolume regret as recorded",
    sign=-1.0,
    zero_name="the table's true Pareto front",
)


@dataclass
class FrontAnalysis:
    """The multi-objective analyses of one problem.

    Attributes:
        frame: The problem's fixed hypervolume frame, as every run recorded it.
        minimise: Per objective, whether smaller is better.
        traces: ``(strategy, seed) -> Trace`` whose values are hypervolume regret.
        anytime: Long table: axis (budget|seconds), strategy, x, mean, low, high, seeds.
        final: One row per complete run: strategy, seed, hypervolume, regret, front_size.
        final_table: Per strategy: runs, regret_median, regret_mean, hypervolume_median,
            front_size_mean.
        blocks: Seeds where every strategy is complete.
        friedman: Friedman/Nemenyi on final hypervolume regret over those seeds.
        wilcoxon: Pairwise Wilcoxon-Holm on the same.
        fronts: Each run's final non-dominated points: strategy, seed, trial, one column
            per objective (raw values).
        attainment: Per strategy, the points of its median attainment surface: strategy,
            one column per objective (raw values).
        true_front: The table's true Pareto front (one column per objective), or ``None``
            when the table cannot be read here.
        table_points: Every table config's point (same columns), or ``None``.
        note: Why ``true_front`` is missing (empty when it is there).
    """

    frame: HypervolumeReference
    minimise: tuple[bool, ...]
    traces: dict[tuple[str, int], Trace]
    anytime: pd.DataFrame
    final: pd.DataFrame
    final_table: pd.DataFrame
    blocks: list[int]
    friedman: FriedmanResult
    wilcoxon: pd.DataFrame
    fronts: pd.DataFrame
    attainment: pd.DataFrame
    true_front: pd.DataFrame | None
    table_points: pd.DataFrame | None
    note: str = ""

    @property
    def objectives(self) -> tuple[str, ...]:
        """Objective names, in the entry's order."""
        return self.frame.objectives


def _frame(runs: pd.DataFrame, name: str) -> HypervolumeReference:
    """The one frame every run of the problem recorded.

    Raises:
        ReportError: A run without a frame, or runs that recorded different frames.
    """
    column = runs["hypervolume_frame"] if "hypervolume_frame" in runs.columns else [None]
    if any(not isinstance(v, str) for v in column):
        raise ReportError(f"{name}: a multi-objective run records no hypervolume frame")
    recorded = {str(v) for v in column}
    if len(recorded) != 1:
        raise ReportError(
            f"{name}: the runs record {len(recorded)} different hypervolume frames "
            "(their tables or objectives differ), and hypervolumes in different frames "
            "do not compare"
        )
    try:
        return HypervolumeReference.from_dict(json.loads(recorded.pop()))
    except (ObjectiveError, ValueError) as exc:
        raise ReportError(f"{name}: {exc}") from None


def _signed(values: np.ndarray, minimise: tuple[bool, ...]) -> np.ndarray:
    """Raw vectors -> every objective minimised (maximised ones negated); its own inverse."""
    return np.asarray(values, dtype=float) * np.where(minimise, 1.0, -1.0)


def _trace(
    points: pd.DataFrame, epochs: pd.DataFrame, columns: list[str], frame: HypervolumeReference
) -> Trace:
    """A run's hypervolume regret over budget and time, from the empty set on."""
    end_budget = float(epochs["budget_used"].max()) if len(epochs) else 0.0
    end_seconds = float(epochs["t"].max()) if len(epochs) else 0.0
    ended = epochs.groupby("trial").agg(budget=("budget_used", "max"), t=("t", "max"))
    joined = points.join(ended, on="trial").sort_values(["budget", "t", "trial"], kind="stable")
    budget, seconds, value = [0.0], [0.0], [frame.front_hypervolume]
    normalised = frame.normalise(joined[columns].to_numpy(dtype=float))
    for i, (b, t) in enumerate(zip(joined["budget"], joined["t"], strict=True)):
        budget.append(float(b))
        seconds.append(float(t))
        if i and (normalised[:i] <= normalised[i]).all(axis=1).any():
            value.append(value[-1])  # a point already matched adds no volume
            continue
        hv = hypervolume(normalised[: i + 1], frame.reference)
        value.append(frame.front_hypervolume - hv)
    return Trace(
        budget=np.asarray(budget),
        # a step function needs ordered x: the clock never runs back within a run
        seconds=np.maximum.accumulate(np.asarray(seconds)),
        value=np.asarray(value),
        end_budget=max(end_budget, budget[-1]),
        end_seconds=max(end_seconds, seconds[-1]),
    )


def _attainment(
    fronts: pd.DataFrame, columns: list[str], minimise: tuple[bool, ...]
) -> pd.DataFrame:
    """Each strategy's median attainment surface over its runs (moocore's EAF)."""
    import moocore

    frames = []
    for strategy, grp in fronts.groupby("strategy", sort=True):
        signed = _signed(grp[columns].to_numpy(dtype=float), minimise)
        sets = grp["seed"].astype(int).to_numpy()
        surface = moocore.eaf(signed, sets, percentiles=[ATTAINMENT_PERCENTILE])
        raw = _signed(np.asarray(surface)[:, : len(columns)], minimise)
        frame = pd.DataFrame(raw, columns=columns).sort_values(columns, ignore_index=True)
        frames.append(frame.assign(strategy=str(strategy))[["strategy", *columns]])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["strategy"])


def _table_front(
    info: ProblemInfo, frame: HypervolumeReference, columns: list[str]
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, str]:
    """The table's points and true front in raw values, or why they cannot be read."""
    if info.table is None:
        return None, None, "the runs did not all replay one table"
    try:
        points = table_points(Path(info.table), frame.objectives, frame.max_epochs)
    except (TableError, ObjectiveError, OSError) as exc:
        return None, None, f"the table's front is unavailable: {exc}"
    front = true_front(points)
    every = pd.DataFrame(points.values, columns=columns)
    best = pd.DataFrame(front.values, columns=columns).sort_values(columns, ignore_index=True)
    return every, best, ""


def front_analysis(
    data: ReportData, info: ProblemInfo, budget_max: float, time_max: float
) -> FrontAnalysis | None:
    """The multi-objective analyses of a problem; ``None`` for a single-objective one.

    Args:
        data: The loaded results.
        info: The problem.
        budget_max: End of the budget axis (full-evaluation equivalents).
        time_max: End of the time axis (seconds; simulated in replay).

    Raises:
        ReportError: The runs record no frame, or different ones (one line).
    """
    if info.objectives is None:
        return None
    done = data.complete[data.complete["problem"] == info.name].sort_values(["strategy", "seed"])
    frame = _frame(done, info.name)
    minimise = tuple(s.minimise for s in frame.scales)
    columns = [f"score_obj_{o}" for o in frame.objectives]
    names = list(frame.objectives)
    trials = data.trials[data.trials["problem"] == info.name] if len(data.trials) else data.trials
    if len(trials) and all(c in trials.columns for c in columns):
        scored = trials[trials[columns].notna().all(axis=1) & (trials["status"] != "failed")]
    else:
        scored = pd.DataFrame(columns=["strategy", "seed", "trial", *columns])
    epochs = data.epochs[data.epochs["problem"] == info.name] if len(data.epochs) else data.epochs
    by_run = dict(iter(scored.groupby(["strategy", "seed"], sort=False)))
    epochs_by_run = dict(iter(epochs.groupby(["strategy", "seed"], sort=False)))
    empty_epochs = pd.DataFrame(columns=["trial", "budget_used", "t"])
    traces: dict[tuple[str, int], Trace] = {}
    front_rows = []
    for row in done.itertuples(index=False):
        key = (str(row.strategy), int(row.seed))
        points = by_run.get(key, scored.iloc[0:0])
        traces[key] = _trace(points, epochs_by_run.get(key, empty_epochs), columns, frame)
        on_front = set(json.loads(str(row.pareto_trials)))
        for rec in points[points["trial"].isin(on_front)].itertuples(index=False):
            values = [float(getattr(rec, c)) for c in columns]
            front_rows.append(
                {
                    "strategy": key[0],
                    "seed": key[1],
                    "trial": int(rec.trial),
                    **dict(zip(names, values, strict=True)),
                }
            )
    strategies = sorted({k[0] for k in traces})
    b_grid = np.linspace(budget_max / anytime.N_GRID, budget_max, anytime.N_GRID)
    t_grid = np.linspace(time_max / anytime.N_GRID, time_max, anytime.N_GRID)
    curves = []
    for s in strategies:
        mine = [t for k, t in sorted(traces.items()) if k[0] == s]
        for axis, grid, x_of in (("budget", b_grid, "budget"), ("seconds", t_grid, "seconds")):
            on_grid = np.array([anytime.step_values(getattr(t, x_of), t.value, grid) for t in mine])
            mean, low, high = anytime.mean_ci(on_grid)
            curves.append(
                pd.DataFrame(
                    {
                        "axis": axis,
                        "strategy": s,
                        "x": grid,
                        "mean": mean,
                        "low": low,
                        "high": high,
                        "seeds": len(mine),
                    }
                )
            )
    final = pd.DataFrame(
        {
            "strategy": done["strategy"].astype(str).to_numpy(),
            "seed": done["seed"].astype(int).to_numpy(),
            "hypervolume": done["hypervolume"].astype(float).to_numpy(),
            "regret": done["hypervolume_regret"].astype(float).to_numpy(),
            "front_size": done["front_size"].astype(int).to_numpy(),
        }
    )
    table = (
        final.groupby("strategy", sort=True)
        .agg(
            runs=("regret", "count"),
            regret_median=("regret", "median"),
            regret_mean=("regret", "mean"),
            hypervolume_median=("hypervolume", "median"),
            front_size_mean=("front_size", "mean"),
        )
        .reset_index()
    )
    seeds_of = [set(final.loc[final["strategy"] == s, "seed"]) for s in strategies]
    blocks = sorted(set.intersection(*seeds_of)) if seeds_of else []
    scores = final.pivot_table(index="seed", columns="strategy", values="regret", aggfunc="first")
    scores = scores.reindex(index=blocks, columns=strategies)
    fronts = pd.DataFrame(front_rows, columns=["strategy", "seed", "trial", *names])
    every, best, note = _table_front(info, frame, names)
    return FrontAnalysis(
        frame=frame,
        minimise=minimise,
        traces=traces,
        anytime=pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(),
        final=final,
        final_table=table,
        blocks=blocks,
        friedman=stats.friedman_nemenyi(scores),
        wilcoxon=stats.wilcoxon_holm(scores),
        fronts=fronts,
        attainment=_attainment(fronts, names, minimise),
        true_front=best,
        table_points=every,
        note=note,
    )
