"""Multi-objective figures: hypervolume regret over budget and time, fronts against the true one."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tunebench.objectives import OBJECTIVES
from tunebench.reports.analysis.analyze import Analysis, ProblemAnalysis
from tunebench.reports.analysis.fronts import ATTAINMENT_PERCENTILE, FrontAnalysis
from tunebench.reports.figures.style import (
    WIDTH,
    FigureFile,
    _bands,
    _figure,
    _legend,
    _save,
    _time_label,
    _wrap,
    slug,
)

__all__ = ["objective_label"]


def objective_label(p: ProblemAnalysis, name: str, minimise: bool) -> str:
    """An axis label: the objective (the problem's metric by name) and which way is better."""
    shown = f"validation {p.info.metric}" if name == "metric" else name.replace("_", " ")
    unit = OBJECTIVES[name].unit
    if unit != "metric" and unit not in shown:
        shown += f" ({unit})"
    return f"{shown}\n({'lower' if minimise else 'higher'} is better)"


def _hv_regret(a: Analysis, p: ProblemAnalysis, f: FrontAnalysis, folder: Path) -> FigureFile:
    """Hypervolume regret over budget and over (simulated) time: mean and 95% interval."""
    stem = f"hypervolume_{slug(p.info.name)}"
    fig = _figure(WIDTH, 4.6)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, axis, xlabel in (
        (axes[0], "budget", "budget used (full-evaluation equivalents)"),
        (axes[1], "seconds", _time_label(p)),
    ):
        _bands(ax, f.anytime[f.anytime["axis"] == axis], p.strategies, a)
        ax.axhline(0.0, color="0.4", lw=0.8, ls="--")
        ax.set_xlabel(xlabel)
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=-0.02 * f.frame.front_hypervolume)
    axes[0].set_ylabel("hypervolume regret\n(0 = the table's true front)")
    axes[0].set_title("versus budget")
    axes[1].set_title("versus wall-clock")
    _legend(fig, p.strategies, a.palette, a.dashes)
    _save(fig, folder, stem)
    seeds = sorted({int(n) for n in f.anytime["seeds"]}) if len(f.anytime) else [0]
    caption = (
        f"Hypervolume regret of each run's full evaluations so far on {p.info.name} "
        f"({' against '.join(f.objectives)}): the true front's hypervolume "
        f"({f.frame.front_hypervolume:.4g}) minus that of the configs evaluated to "
        f"{p.info.max_epochs} epochs so far, scored on the table's points in the problem's "
        "fixed frame (normalisation and reference point from the table, recorded in every "
        f"run). Mean over {'/'.join(map(str, seeds))} seeds per strategy; bands: 95% "
        "percentile bootstrap interval of the mean (2,000 resamples, fixed seed). Before "
        "its first full evaluation a run's regret is the whole front's hypervolume."
    )
    return FigureFile(
        f"hypervolume/{p.info.name}", stem, "Hypervolume regret", caption, p.info.name
    )


def _staircase(points: np.ndarray, corner: np.ndarray) -> np.ndarray:
    """The boundary of what 2-D points dominate (every objective minimised), to ``corner``.

    Returns:
        The vertices, from ``(x_first, corner_y)`` down and right to ``(corner_x, y_last)``.
    """
    order = np.lexsort((points[:, 1], points[:, 0]))
    vertices: list[tuple[float, float]] = []
    best_y = float(corner[1])
    for x, y in zip(points[order, 0], points[order, 1], strict=True):
        if y >= best_y:
            continue  # dominated by a point already on the boundary
        vertices += [(float(x), best_y), (float(x), float(y))]
        best_y = float(y)
    vertices.append((float(corner[0]), best_y))
    return np.asarray(vertices)


def _fronts(a: Analysis, p: ProblemAnalysis, f: FrontAnalysis, folder: Path) -> FigureFile | None:
    """Each strategy's fronts and median attainment surface against the true front.

    ``None`` unless the problem has exactly two objectives (a surface in more has no plane
    to be drawn on; the tables hold its points).
    """
    if len(f.objectives) != 2:
        return None
    names = list(f.objectives)
    sign = np.where(f.minimise, 1.0, -1.0)
    parts = [f.fronts[names].to_numpy(dtype=float)]
    for extra in (f.table_points, f.true_front, f.attainment):
        if extra is not None and len(extra):
            parts.append(extra[names].to_numpy(dtype=float))
    everything = np.vstack(parts) * sign
    # the boundary runs out to just beyond the worst value shown in each objective
    span = np.ptp(everything, axis=0)
    corner = everything.max(axis=0) + 0.02 * np.where(span > 0, span, 1.0)
    strategies = p.strategies
    cols = min(3, len(strategies))
    rows = -(-len(strategies) // cols)
    fig = _figure(WIDTH, 0.9 + 3.2 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True))
    flat = axes.ravel()

    def draw(ax: object, pts: np.ndarray, **style: object) -> None:
        line = _staircase(pts * sign, corner) * sign
        ax.plot(line[:, 0], line[:, 1], **style)  # type: ignore[attr-defined]

    for ax, s in zip(flat, strategies, strict=False):
        if f.table_points is not None:
            tp = f.table_points[names].to_numpy(dtype=float)
            ax.scatter(tp[:, 0], tp[:, 1], s=6, color="0.78", lw=0, zorder=1)
        if f.true_front is not None and len(f.true_front):
            draw(ax, f.true_front[names].to_numpy(dtype=float), color="black", lw=1.2, zorder=2)
        mine = f.fronts[f.fronts["strategy"] == s]
        if len(mine):
            ax.scatter(
                mine[names[0]], mine[names[1]], s=20, color=a.palette[s], alpha=0.7, lw=0, zorder=3
            )
        surface = f.attainment[f.attainment["strategy"] == s] if len(f.attainment) else None
        if surface is not None and len(surface):
            draw(
                ax,
                surface[names].to_numpy(dtype=float),
                color=a.palette[s],
                ls=a.dashes[s],
                lw=2.2,
                zorder=4,
            )
        ax.set_title(_wrap(s, 34), fontsize=10)
        for i, set_scale in enumerate((ax.set_xscale, ax.set_yscale)):
            if OBJECTIVES[names[i]].log_scale:
                set_scale("log")
    for ax in flat[len(strategies) :]:
        ax.set_visible(False)
    # labels on the outer panels: a figure-wide label would sit under the legend
    for i, ax in enumerate(flat[: len(strategies)]):
        if i + cols >= len(strategies):  # no panel below it: it carries the x axis
            ax.xaxis.set_tick_params(labelbottom=True)
            ax.set_xlabel(objective_label(p, names[0], f.minimise[0]))
        if i % cols == 0:
            ax.set_ylabel(objective_label(p, names[1], f.minimise[1]))
    _legend_fronts(fig, f.true_front is not None)
    stem = f"fronts_{slug(p.info.name)}"
    _save(fig, folder, stem)
    seeds = int(f.final_table["runs"].max()) if len(f.final_table) else 0
    truth = (
        "black: the table's true Pareto front; grey dots: every config of the table"
        if f.true_front is not None
        else f"no true front drawn ({f.note})"
    )
    caption = (
        f"Final Pareto fronts on {p.info.name}, one panel per strategy (its colour): dots "
        f"are the non-dominated configs of each of its runs ({seeds} seeds), the line its "
        f"median attainment surface (what at least {ATTAINMENT_PERCENTILE:g}% of its runs "
        f"attain, moocore's empirical attainment function); {truth}. Points are the "
        "configs' table values (mean over the table's repeats), which the runs are scored on."
    )
    return FigureFile(f"fronts/{p.info.name}", stem, "Pareto fronts", caption, p.info.name)


def _legend_fronts(fig: object, with_truth: bool) -> None:
    """What the marks mean, once for the figure (each panel's colour is its strategy's)."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color="0.3", lw=2.2, label="median attainment surface"),
        Line2D(
            [],
            [],
            color="0.3",
            marker="o",
            ls="",
            ms=4,
            alpha=0.6,
            label="a run's non-dominated configs",
        ),
    ]
    if with_truth:
        handles += [
            Line2D([], [], color="black", lw=1.2, label="table's true front"),
            Line2D([], [], color="0.78", marker="o", ls="", ms=3, label="table's configs"),
        ]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)  # type: ignore[attr-defined]
