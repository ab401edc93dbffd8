"""The mode-fidelity figure: one strategy ranking against another mode's."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from tunebench.reports.analysis.analyze import Analysis
from tunebench.reports.analysis.fidelity import MODE_PHRASES, PAIR_MODES, FidelityResult
from tunebench.reports.analysis.fidelity import TABLE_COLUMNS as FIDELITY_TABLE_COLUMNS
from tunebench.reports.figures.style import _POINT, WIDTH, FigureFile, _figure, _save, _wrap, slug


def _fidelity(a: Analysis, r: FidelityResult, folder: Path) -> FigureFile | None:
    """Tested-mode median (x) against reference-mode median (y) of the final test score."""
    from matplotlib.lines import Line2D

    t = r.table
    if t.empty:
        return None
    # the replay-live pair keeps its old name; the others name both entries
    stem = (
        f"fidelity_{slug(r.reference)}"
        if (r.tested_mode, r.reference_mode) == PAIR_MODES[0]
        else f"fidelity_{slug(r.tested)}_vs_{slug(r.reference)}"
    )
    labels = list(t["strategy"])
    ncols = 3 if max(len(_wrap(s)) for s in labels) <= 18 else 2
    side = WIDTH * 0.6
    fig = _figure(side, side + 0.3 * math.ceil((len(labels) + 1) / ncols))
    ax = fig.subplots()
    for row in t.itertuples(index=False):
        x, y = float(row.tested_median), float(row.reference_median)
        ax.errorbar(
            x,
            y,
            xerr=[[x - float(row.tested_q25)], [float(row.tested_q75) - x]],
            yerr=[[y - float(row.reference_q25)], [float(row.reference_q75) - y]],
            color=a.palette[str(row.strategy)],
            ms=8,
            **_POINT,
        )
    # the plotted test medians and quartiles of both modes (not the validation columns)
    cols = [
        c
        for c in FIDELITY_TABLE_COLUMNS
        if c.endswith(("_median", "_q25", "_q75")) and "_val_" not in c
    ]
    values = t[cols].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    lo, hi = float(values.min()), float(values.max())
    pad = 0.06 * (hi - lo) or 0.01 * max(abs(hi), 1.0)
    # the same range on both axes, so y = x is the diagonal and offsets read true
    ends = (lo - pad, hi + pad)
    ax.plot(ends, ends, color="0.4", lw=1, ls="--", zorder=1)
    ax.set_xlim(*ends)
    ax.set_ylim(*ends)
    ax.set_aspect("equal", adjustable="box")
    better = "higher" if r.direction == "maximize" else "lower"
    ax.set_xlabel(f"{r.tested_mode}: median final test {r.metric} ({better} is better)")
    ax.set_ylabel(f"{r.reference_mode}: median final test {r.metric}")
    lines = [f"{r.problem}, {r.n} strategies, {r.paired_seeds} paired seeds"]
    if r.rank_tau is not None:
        interval = r.rank_tau_interval
        lines.append(
            f"tau-b of mean ranks {r.rank_tau:.2f}"
            + (f" [{interval[0]:.2f}, {interval[1]:.2f}]" if interval is not None else "")
            + (f"; of medians {r.tau:.2f}" if r.tau is not None else "")
        )
    elif r.tau is not None and r.pvalue is not None:
        lines.append(f"Kendall's tau-b of medians {r.tau:.2f}, p = {r.pvalue:.3g}")
    fig.suptitle("\n".join(lines), fontsize=11)
    handles = [
        Line2D([], [], ls="", marker="o", ms=8, mfc=a.palette[s], mec="black", mew=0.6)
        for s in labels
    ]
    handles.append(Line2D([], [], color="0.4", lw=1, ls="--"))
    fig.legend(
        handles,
        [_wrap(s) for s in labels] + ["y = x"],
        loc="outside lower center",
        ncols=ncols,
        frameon=False,
    )
    _save(fig, folder, stem)
    caption = (
        f"Median final test {r.metric} of each strategy on {r.problem} ({r.max_epochs} epochs "
        f"per full evaluation), {MODE_PHRASES[r.tested_mode]} ({r.tested}, {r.tested_seeds} "
        f"seeds) against {MODE_PHRASES[r.reference_mode]} ({r.reference}, {r.reference_seeds} "
        "seeds); "
        "bars: interquartile range over seeds; dashed: y = x. Agreement of the two rankings "
        f"of the {r.n} strategies by median (two-sided test, scipy.stats.kendalltau): "
        f"{r.tau_text()}; by mean rank over the {r.paired_seeds} seeds complete in both "
        f"modes: {r.rank_tau_text()}."
    )
    return FigureFile(f"fidelity/{r.key}", stem, f"{r.title}: strategy ranking", caption, None)
