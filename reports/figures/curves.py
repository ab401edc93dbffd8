"""Curve figures over budget and time: anytime, regret and rank, trials in flight."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tunebench.reports.analysis.analyze import Analysis, ProblemAnalysis
from tunebench.reports.figures.style import (
    WIDTH,
    FigureFile,
    _bands,
    _figure,
    _legend,
    _metric_label,
    _save,
    _time_label,
    _wrap,
    slug,
)

__all__ = ["concurrency_groups"]


def _anytime(a: Analysis, p: ProblemAnalysis, folder: Path) -> FigureFile:
    stem = f"anytime_{slug(p.info.name)}"
    fig = _figure(WIDTH, 4.6)
    axes = fig.subplots(1, 2)
    for ax, axis, xlabel in (
        (axes[0], "budget", "budget used (full-evaluation equivalents)"),
        (axes[1], "seconds", _time_label(p)),
    ):
        _bands(ax, p.anytime[p.anytime["axis"] == axis], p.strategies, a)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(_metric_label(p, "best validation"))
        ax.set_xlim(left=0)
    axes[0].set_title("versus budget")
    axes[1].set_title("versus wall-clock")
    _legend(fig, p.strategies, a.palette, a.dashes)
    _save(fig, folder, stem)
    seeds = sorted({int(n) for n in p.anytime["seeds"]})
    caption = (
        f"Best-so-far validation {p.info.metric} of the incumbent (best trial trained to "
        f"{p.info.max_epochs} epochs so far) on {p.info.name}: mean over "
        f"{'/'.join(map(str, seeds))} seeds per strategy; bands: 95% percentile bootstrap "
        "interval of the mean (2,000 resamples, fixed seed). A curve starts once every seed "
        "has a full-length evaluation."
    )
    return FigureFile(f"anytime/{p.info.name}", stem, "Anytime performance", caption, p.info.name)


def _regret_caption(zero_text: str, ref_text: str, n_blocks: int, per_problem: bool) -> str:
    return (
        "Left: normalized regret of the best-so-far validation score (0 = "
        f"{zero_text}, 1 = {ref_text}), mean and 95% bootstrap interval. Right: "
        f"average rank of the strategies over {n_blocks} "
        + ("seeds" if per_problem else "blocks (problem x seed)")
        + " at each "
        "budget; a run without an incumbent yet ranks last, ties share the mean rank."
    )


#: Line style per concurrency level in the concurrency figure (the colour stays the strategy's).
_LEVEL_STYLES = ("-", "--", ":", "-.")


def concurrency_groups(a: Analysis) -> dict[str, list[ProblemAnalysis]]:
    """Problem entries that differ only in concurrency, by registered problem and mode.

    Only groups with at least two concurrency levels are kept, sorted by level.
    """
    groups: dict[str, list[ProblemAnalysis]] = {}
    for p in a.problems.values():
        key = f"{p.info.registered}@{p.info.mode}"
        groups.setdefault(key, []).append(p)
    out = {}
    for key, members in groups.items():
        levels = {m.info.concurrency for m in members}
        if len(levels) > 1 and len(levels) == len(members):
            out[key] = sorted(members, key=lambda m: m.info.concurrency)
    return out


def _concurrency(a: Analysis, key: str, members: list[ProblemAnalysis], folder: Path) -> FigureFile:
    """The same strategy at each concurrency level, in one panel per strategy."""
    common = sorted(set.intersection(*(set(m.strategies) for m in members)))
    cols = min(4, len(common))
    rows = -(-len(common) // cols)
    fig = _figure(WIDTH, 0.6 + 3.1 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False, sharey=True)).ravel()
    for ax, strategy in zip(axes, common, strict=False):
        for i, m in enumerate(members):
            t = m.anytime
            frame = t[(t["axis"] == "seconds") & (t["strategy"] == strategy)]
            x = frame["x"].to_numpy(dtype=float)
            ax.plot(x, frame["mean"].to_numpy(dtype=float), color=a.palette[strategy],
                    ls=_LEVEL_STYLES[i % len(_LEVEL_STYLES)], lw=2, drawstyle="steps-post",
                    label=f"concurrency {m.info.concurrency}")  # fmt: skip
            ax.fill_between(x, frame["low"].to_numpy(dtype=float),
                            frame["high"].to_numpy(dtype=float), color=a.palette[strategy],
                            alpha=0.10, lw=0, step="post")  # fmt: skip
        ax.set_title(_wrap(strategy))
        ax.set_xlim(left=0)
        ax.legend(fontsize="small", loc="lower right")
    for ax in axes[len(common) :]:
        ax.set_visible(False)
    axes[0].set_ylabel(_metric_label(members[0], "best validation"))
    fig.supxlabel(_time_label(members[0]))
    stem = f"concurrency_{slug(key)}"
    _save(fig, folder, stem)
    levels = ", ".join(str(m.info.concurrency) for m in members)
    labels = ", ".join(m.info.name for m in members)
    caption = (
        f"Best-so-far validation {members[0].info.metric} against wall-clock time of the same "
        f"strategy with {levels} trials in flight ({labels}; the same budget in full "
        "evaluations): mean over seeds, bands 95% bootstrap interval of the mean. With more "
        "trials in flight the budget is spent sooner in wall-clock time; how much of that a "
        "strategy keeps in search quality is its answer to parallel workers."
    )
    return FigureFile(f"concurrency/{key}", stem, "Trials in flight", caption, None)


def _overall_zero(a: Analysis) -> tuple[str, str]:
    """What regret 0 is over all problems: in a caption, and in a few words for an axis."""
    tabular = [p.optimum is not None for p in a.problems.values()]
    if all(tabular):
        zero = "each problem's table optimum (best validation value recorded at max_epochs)"
        return zero, "table optimum"
    if not any(tabular):
        return "the best score any run reached on each problem", "best known"
    return (
        "each problem's table optimum where all its runs replayed one table, else the best "
        "score any run reached on it",
        "best known",
    )


@dataclass(frozen=True)
class _RegretCurves:
    """What one regret-and-rank figure shows: a problem over its seeds, or all problems.

    Attributes:
        key: The figure's identifier.
        stem: Its file name without extension.
        regret: Long table: strategy, x, mean, low, high (normalized validation regret).
        ranks: Long table: strategy, x, rank.
        strategies: The strategies drawn, in legend order.
        xlabel: The budget axis's label.
        zero_text: What regret 0 is, for the caption.
        zero_short: The same in a few words, for the axis.
        ref_text: What regret 1 is, for the caption.
        n_blocks: Blocks the ranks average over.
        problem: The problem, or ``None`` for the figure over all problems.
    """

    key: str
    stem: str
    regret: pd.DataFrame
    ranks: pd.DataFrame
    strategies: list[str]
    xlabel: str
    zero_text: str
    zero_short: str
    ref_text: str
    n_blocks: int
    problem: str | None


def _problem_regret(a: Analysis, p: ProblemAnalysis, folder: Path) -> FigureFile:
    """Regret and rank over the budget of one problem, over its seeds."""
    curves = _RegretCurves(
        key=f"regret/{p.info.name}",
        stem=f"regret_rank_{slug(p.info.name)}",
        regret=p.regret,
        ranks=p.ranks,
        strategies=p.strategies,
        xlabel="budget used (full-evaluation equivalents)",
        zero_text=p.val_norm.zero_name,
        zero_short="table optimum" if p.optimum is not None else "best known",
        ref_text=p.val_norm.reference_name,
        n_blocks=len(p.blocks),
        problem=p.info.name,
    )
    return _draw_regret(a, curves, folder)


def _overall_regret(a: Analysis, folder: Path) -> FigureFile | None:
    """Regret and rank over the budget of all problems (blocks: problem x seed).

    ``None`` with one problem, or when no strategy is complete on every problem.
    """
    if len(a.problems) < 2 or a.overall_regret is None or a.overall_ranks is None:
        return None
    zero, short = _overall_zero(a)
    curves = _RegretCurves(
        key="regret/overall",
        stem="regret_rank_overall",
        regret=a.overall_regret,
        ranks=a.overall_ranks,
        strategies=a.overall_strategies,
        xlabel=f"budget used ({a.budget_unit})",
        zero_text=zero,
        zero_short=short,
        ref_text="each problem's random-search median (or worst median)",
        n_blocks=a.overall_blocks,
        problem=None,
    )
    return _draw_regret(a, curves, folder)


def _draw_regret(a: Analysis, c: _RegretCurves, folder: Path) -> FigureFile:
    fig = _figure(WIDTH, 4.6)
    axes = fig.subplots(1, 2)
    _bands(axes[0], c.regret, c.strategies, a)
    axes[0].set_ylabel(f"normalized regret\n(0 = {c.zero_short}, 1 = reference)")
    for level in (0.0, 1.0):
        axes[0].axhline(level, color="0.4", lw=0.8, ls="--")
    top = pd.to_numeric(c.regret["high"], errors="coerce").replace([np.inf, -np.inf], np.nan).max()
    if pd.notna(top):
        axes[0].set_ylim(-0.05, max(1.1, min(float(top) * 1.05, 5.0)))
    for s in c.strategies:
        rows = c.ranks[c.ranks["strategy"] == s]
        axes[1].plot(
            rows["x"],
            rows["rank"],
            color=a.palette[s],
            ls=a.dashes[s],
            lw=2,
            drawstyle="steps-post",
        )
    axes[1].set_ylabel("average rank (1 = best)")
    axes[1].set_ylim(len(c.strategies) + 0.2, 0.8)
    for ax, title in zip(axes, ("normalized regret", "average rank"), strict=True):
        ax.set_xlabel(c.xlabel)
        ax.set_xlim(left=0)
        ax.set_title(title)
    _legend(fig, c.strategies, a.palette, a.dashes)
    _save(fig, folder, c.stem)
    return FigureFile(
        c.key,
        c.stem,
        "Regret and rank over budget",
        _regret_caption(c.zero_text, c.ref_text, c.n_blocks, c.problem is not None),
        c.problem,
    )
