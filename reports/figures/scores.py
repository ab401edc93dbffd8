"""Figures of final results: final test scores, critical-difference diagrams, speedup."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tunebench.reports.analysis.analyze import Analysis, ProblemAnalysis
from tunebench.reports.analysis.stats import FriedmanResult, nemenyi_runs
from tunebench.reports.figures.style import (
    _POINT,
    WIDTH,
    FigureFile,
    _figure,
    _metric_label,
    _save,
    _wrap,
    slug,
)


def _box(sns: Any, data: pd.DataFrame, order: list[str], a: Analysis, ax: Any) -> None:
    sns.boxplot(
        data=data,
        x="score",
        y="strategy",
        order=order,
        hue="strategy",
        hue_order=order,
        palette=a.palette,
        legend=False,
        width=0.55,
        showfliers=False,
        boxprops={"alpha": 0.45},
        ax=ax,
    )


def _final(a: Analysis, p: ProblemAnalysis, folder: Path) -> FigureFile:
    import seaborn as sns

    stem = f"final_{slug(p.info.name)}"
    order = p.strategies
    fig = _figure(WIDTH * 0.8, 1.2 + 0.55 * len(order))
    ax = fig.subplots()
    data = p.final.dropna(subset=["score"])
    if len(data):
        with warnings.catch_warnings():  # seaborn 0.13 passes matplotlib 3.11's deprecated vert
            warnings.simplefilter("ignore", DeprecationWarning)
            _box(sns, data, order, a, ax)
    for i, s in enumerate(order):
        pts = data[data["strategy"] == s].sort_values("seed")
        n = len(pts)
        # deterministic spread instead of random jitter
        offsets = np.linspace(-0.18, 0.18, n) if n > 1 else np.zeros(n)
        ax.errorbar(
            pts["score"],
            i + offsets,
            xerr=pts["retrain_std"].fillna(0),
            color=a.palette[s],
            ms=6,
            **_POINT,
        )
    ax.set_yticks(range(len(order)), [_wrap(s, 34) for s in order])
    ax.set_ylabel("")
    ax.set_xlabel(_metric_label(p, "final test"))
    _save(fig, folder, stem)
    retrains = int(p.final["retrain_n"].max()) if len(p.final) else 0
    noise = (
        f"; error bars: std of the {retrains} retrains of the incumbent from scratch"
        if retrains > 1
        else ""
    )
    caption = (
        f"Final test {p.info.metric} per strategy on {p.info.name}: one point per seed"
        f"{noise}; boxes: median and quartiles over seeds. Score: the "
        + ("mean of the incumbent's retrains" if retrains else "incumbent's test score")
        + "."
    )
    return FigureFile(f"final/{p.info.name}", stem, "Final test scores", caption, p.info.name)


def _cd(
    a: Analysis,
    res: FriedmanResult,
    key: str,
    stem: str,
    what: str,
    folder: Path,
    problem: str | None,
) -> FigureFile | None:
    """Critical-difference diagram (Demšar 2006): average ranks, CD bar, tied groups."""
    ranks = sorted(res.avg_ranks.items(), key=lambda kv: (kv[1], kv[0]))
    k = len(ranks)
    if k < 2:
        return None
    half = math.ceil(k / 2)
    rows = max(half, k - half)
    fig = _figure(WIDTH, 1.9 + 0.42 * rows)
    ax = fig.subplots()
    ax.set_axis_off()
    lo, hi = 1.0, float(k)
    ax.set_xlim(lo - 0.6 * max(1, k - 1) / 2, hi + 0.6 * max(1, k - 1) / 2)
    ax.set_ylim(-(rows + 1.2), 2.2)
    ax.hlines(0, lo, hi, color="black", lw=1.2)
    for t in range(1, k + 1):
        ax.vlines(t, 0, 0.18, color="black", lw=1)
        ax.text(t, 0.3, str(t), ha="center", va="bottom", fontsize=10)
    for i, (label, r) in enumerate(ranks):
        left = i < half
        row = i if left else k - 1 - i
        y = -(row + 0.9)
        end = lo - 0.1 if left else hi + 0.1
        ax.plot([r, r, end], [0, y, y], color=a.palette[label], lw=1.8)
        ax.text(
            end + (-0.06 if left else 0.06),
            y,
            f"{_wrap(label, 30)}  ({r:.2f})" if left else f"({r:.2f})  {_wrap(label, 30)}",
            ha="right" if left else "left",
            va="center",
            fontsize=10,
        )
    if not math.isnan(res.cd):
        ax.plot([lo, lo + res.cd], [1.35, 1.35], color="black", lw=2)
        ax.vlines([lo, lo + res.cd], 1.22, 1.48, color="black", lw=1.2)
        ax.text(lo + res.cd / 2, 1.55, f"CD = {res.cd:.2f}", ha="center", va="bottom", fontsize=10)
        # groups whose ranks lie within CD of each other: not significantly different
        values = [r for _, r in ranks]
        groups = [(i, j) for i, j in nemenyi_runs(values, res.cd) if j > i]
        for n, (i, j) in enumerate(groups):
            y = -0.35 - 0.16 * n
            ax.plot(
                [values[i] - 0.03, values[j] + 0.03],
                [y, y],
                color="black",
                lw=3.5,
                solid_capstyle="round",
            )
    fig.text(0.5, 0.005, _cd_footer(res, what), ha="center", va="bottom", fontsize=9.5, wrap=True)
    _save(fig, folder, stem)
    return FigureFile(key, stem, "Critical-difference diagram", _cd_caption(res, what), problem)


def _cd_footer(res: FriedmanResult, what: str) -> str:
    if res.applicable:
        return (
            f"Friedman test over N = {res.n_blocks} blocks ({what}): chi2 = "
            f"{res.statistic:.2f}, p = {res.pvalue:.3g}; Nemenyi CD at alpha = "
            f"{res.alpha}"
        )
    return f"Average ranks over N = {res.n_blocks} blocks ({what}); {res.note}"


def _cd_caption(res: FriedmanResult, what: str) -> str:
    text = (
        f"Average rank of each strategy's final test regret (1 = best) over N = "
        f"{res.n_blocks} blocks ({what}). "
    )
    if res.applicable:
        verdict = "differ significantly" if res.significant else "do not differ significantly"
        text += (
            f"Friedman test: chi-square = {res.statistic:.2f}, p = {res.pvalue:.3g}; at "
            f"alpha = {res.alpha} the strategies {verdict}. Bar: Nemenyi critical difference "
            f"CD = {res.cd:.2f} (alpha = {res.alpha}); strategies joined by a thick line are "
            "not significantly different."
        )
    else:
        text += f"No Friedman test: {res.note}."
    if res.note and res.applicable:
        text += f" Caveat: {res.note}."
    return text


def _speedup(a: Analysis, folder: Path) -> FigureFile | None:
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    problems = [p for p in a.problems.values() if len(p.speedup)]
    if not problems or a.random_label is None:
        return None
    n_rows = sum(len(p.speedup) for p in problems)
    fig = _figure(WIDTH * 0.8, 1.0 + 0.42 * n_rows + 0.5 * len(problems))
    axes = fig.subplots(len(problems), 1, squeeze=False)[:, 0]
    finite = [v for p in problems for v in p.speedup["speedup"] if np.isfinite(v) and v > 0]
    lo = min([*finite, 1.0]) / 1.6
    hi = max([*finite, 1.0]) * 1.6
    for ax, p in zip(axes, problems, strict=True):
        table = p.speedup.set_index("strategy").reindex(p.strategies).dropna(how="all")
        for i, (label, row) in enumerate(table.iterrows()):
            v = row["speedup"]
            if np.isfinite(v) and v > 0:
                ax.barh(i, v, color=a.palette[str(label)], height=0.6)
                ax.text(v * 1.05, i, f"{v:.2f}x", va="center", fontsize=9.5)
            else:
                ax.text(
                    lo * 1.05,
                    i,
                    "target not reached",
                    va="center",
                    fontsize=9.5,
                    color="0.3",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
                )
        ax.set_yticks(range(len(table)), [_wrap(str(s), 34) for s in table.index])
        ax.set_xscale("log")
        ax.set_xlim(lo, hi * 1.4)
        ticks = [2.0**e for e in range(-6, 9) if lo <= 2.0**e <= hi * 1.4]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}x"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(len(table) - 0.5, -0.5)
        ax.axvline(1.0, color="0.3", lw=1, ls="--")
        ax.set_title(
            f"{p.info.name}: target {p.speedup_target:.4g} validation {p.info.metric}", fontsize=11
        )
        ax.set_xlabel("speedup over random search (log scale)")
    _save(fig, folder, "speedup")
    caption = (
        "Budget each strategy needs to reach random search's median final validation score, "
        f"relative to {a.random_label} (>1: reaches it with less budget). Per seed: the first "
        "budget at which the incumbent is at least as good; per strategy: the median over "
        "seeds (lower middle value for even counts); 'not reached': the median seed never got "
        "there within the budget."
    )
    return FigureFile("speedup", "speedup", "Speedup over random search", caption, None)
