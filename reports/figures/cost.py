"""The cost-breakdown figure: where a run's seconds go, and its epochs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tunebench.reports.analysis.analyze import Analysis, ProblemAnalysis
from tunebench.reports.figures.style import (
    WIDTH,
    FigureFile,
    _figure,
    _save,
    _served_cost,
    _wrap,
    slug,
)

# cost components are drawn in greys with marker shapes, never in a strategy's colour
COST_PARTS = (
    ("train_seconds", "training"),
    ("setup_seconds", "model setup"),
    ("strategy_seconds", "strategy (ask/tell)"),
    ("eval_seconds", "test evaluation + retrains"),
    ("other_seconds", "harness + I/O"),
)


def _cost(a: Analysis, p: ProblemAnalysis, folder: Path) -> FigureFile:
    from matplotlib.ticker import LogLocator, NullLocator

    stem = f"cost_{slug(p.info.name)}"
    table = p.cost.set_index("strategy").reindex(p.strategies)
    fig = _figure(WIDTH, 1.9 + 0.5 * len(table))
    axes = fig.subplots(1, 2, width_ratios=[3, 2])
    y = np.arange(len(table))
    markers = ("o", "s", "^", "D", "v")
    shades = ("0.1", "0.35", "white", "0.6", "0.85")
    # a dot per cost component on a log axis: milliseconds of overhead and minutes of
    # training are both readable (stacked bars would hide the overhead)
    for (col, name), marker, shade in zip(COST_PARTS, markers, shades, strict=True):
        values = table[col].to_numpy(dtype=float)
        ok = np.isfinite(values) & (values > 0)
        axes[0].scatter(
            values[ok],
            y[ok],
            marker=marker,
            s=55,
            facecolor=shade,
            edgecolor="black",
            linewidth=0.8,
            label=name,
            zorder=3,
        )
    axes[0].set_xscale("log")
    # decades only: minor ticks over many decades cost more to lay out than they help
    axes[0].xaxis.set_major_locator(LogLocator(base=10, numticks=12))
    axes[0].xaxis.set_minor_locator(NullLocator())
    axes[0].set_xlabel(
        "seconds per run (mean, log scale)"
        + (f" - training: {_served_cost(p)} cost" if p.info.simulated else "")
    )
    axes[0].legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncols=3,
        frameon=False,
        fontsize=9.5,
        handletextpad=0.3,
        columnspacing=1.0,
    )
    trained = table["epochs_trained"].fillna(0).to_numpy(dtype=float)
    saved = table["epochs_saved_by_resume"].fillna(0).to_numpy(dtype=float)
    axes[1].barh(y, trained, color="0.35", height=0.6, label="trained")
    axes[1].barh(
        y,
        saved,
        left=trained,
        color="0.85",
        hatch="//",
        edgecolor="0.45",
        height=0.6,
        label="saved by resuming",
    )
    axes[1].set_xlabel("epochs per run (mean)")
    axes[1].legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, frameon=False, fontsize=9.5
    )
    for ax in axes:
        ax.set_ylim(len(table) - 0.5, -0.5)
    axes[0].set_yticks(y, [_wrap(s, 30) for s in table.index])
    axes[1].set_yticks(y, [""] * len(y))
    axes[0].set_title("where the time goes")
    axes[1].set_title("epochs")
    _save(fig, folder, stem)
    caption = (
        f"Cost per run on {p.info.name}, mean over seeds. Seconds (log scale): training "
        "epochs, model construction, the strategy's own ask/report/tell time, test-split "
        "evaluation and final retrains, and the rest of the wall time (harness, logging, "
        "I/O). Epochs: epochs trained, and the epochs that resumed trials did not retrain "
        "because they continued from kept weights (restarting would have paid them again)."
    )
    if p.info.simulated:
        caption += (
            f" {p.info.mode.capitalize()}: training and setup seconds are the recorded "
            "(or predicted) costs the simulated clock charged; strategy and harness "
            "seconds are real."
        )
    return FigureFile(f"cost/{p.info.name}", stem, "Cost breakdown", caption, p.info.name)
