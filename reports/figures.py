"""The report's figures, drawn from an :class:`~tunebench.reports.analysis.Analysis`.

Every figure is saved as PNG and SVG. Figures are deterministic: no random jitter, a
fixed SVG hash salt, and no software version or date in the file metadata, so the
same results give byte-identical files. Matplotlib is used through ``Figure`` objects
(no pyplot state) with seaborn's ``whitegrid`` style; strategy colours come from
:mod:`tunebench.reports.palette`, the same in every figure.
"""

from __future__ import annotations

import math
import re
import textwrap
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from tunebench.reports.analysis import Analysis, ProblemAnalysis
from tunebench.reports.fidelity import MODE_PHRASES, FidelityResult
from tunebench.reports.fidelity import TABLE_COLUMNS as FIDELITY_TABLE_COLUMNS
from tunebench.reports.stats import FriedmanResult, nemenyi_runs

__all__ = ["DPI", "FigureFile", "draw_figures", "slug"]

DPI = 150
WIDTH = 10.0  # inches; 1500 px at DPI
SVG_SALT = "tunebench"
# cost components are drawn in greys with marker shapes, never in a strategy's colour
COST_PARTS = (
    ("train_seconds", "training"),
    ("setup_seconds", "model setup"),
    ("strategy_seconds", "strategy (ask/tell)"),
    ("eval_seconds", "test evaluation + retrains"),
    ("other_seconds", "harness + I/O"),
)


@dataclass(frozen=True)
class FigureFile:
    """One saved figure.

    Attributes:
        key: Identifier used by the report text (e.g. ``anytime/stocks-mlp``).
        stem: File name without extension (``figures/<stem>.png`` and ``.svg``).
        title: Short title.
        caption: What it shows, with the test, alpha and N where a test is involved.
        problem: The problem it belongs to, or ``None`` for an overall figure.
    """

    key: str
    stem: str
    title: str
    caption: str
    problem: str | None


# Marker style of every point-with-error-bars plot (final scores, live vs replay).
_POINT: dict[str, Any] = {
    "fmt": "o",
    "mec": "black",
    "mew": 0.6,
    "elinewidth": 1.2,
    "capsize": 2,
    "zorder": 3,
}


def slug(name: str) -> str:
    """A file-name-safe form of a problem name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "problem"


def _wrap(label: str, width: int = 26) -> str:
    """Break a long strategy label (``name[k=v,...]``) over lines at its separators."""
    if len(label) <= width:
        return label
    spaced = label.replace("[", " [").replace(",", ", ")
    return "\n".join(textwrap.wrap(spaced, width=width, break_long_words=False))


def _rc() -> dict[str, Any]:
    import seaborn as sns

    rc: dict[str, Any] = {**sns.axes_style("whitegrid"), **sns.plotting_context("notebook")}
    rc.update(
        {
            "svg.hashsalt": SVG_SALT,
            "svg.fonttype": "path",
            "font.family": ["DejaVu Sans"],
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "xtick.labelsize": 10,
            "ytick.labelsize": 10,
            "legend.fontsize": 10,
            "legend.title_fontsize": 10,
            "figure.dpi": 100,
            "savefig.dpi": DPI,
            "path.simplify": True,
        }
    )
    return rc


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib as mpl

    with mpl.rc_context(cast(Any, _rc())):
        yield


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _save(fig: Any, folder: Path, stem: str) -> None:
    fig.savefig(folder / f"{stem}.png", format="png", dpi=DPI, metadata={"Software": None})
    # the layout is settled by the PNG pass; reuse it rather than solving it again
    fig.set_layout_engine("none")
    fig.savefig(folder / f"{stem}.svg", format="svg", metadata={"Date": None, "Creator": None})


def _legend(fig: Any, labels: list[str], palette: dict[str, Any], dashes: dict[str, Any]) -> None:
    """One legend for the figure, below the panels (never over the data)."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=palette[s], ls=dashes[s], lw=2.5) for s in labels]
    ncols = min(len(labels), 4 if max(len(_wrap(s)) for s in labels) <= 26 else 3)
    fig.legend(
        handles, [_wrap(s) for s in labels], loc="outside lower center", ncols=ncols, frameon=False
    )


def _metric_label(p: ProblemAnalysis, prefix: str) -> str:
    better = "higher" if p.info.direction == "maximize" else "lower"
    return f"{prefix} {p.info.metric} ({better} is better)"


def _served_cost(p: ProblemAnalysis) -> str:
    return "recorded" if p.info.mode == "replay" else "predicted"


def _time_label(p: ProblemAnalysis) -> str:
    if p.info.simulated:
        return "wall-clock since run start (s, simulated)"
    return "wall-clock since run start (s)"


def _bands(ax: Any, frame: pd.DataFrame, strategies: list[str], a: Analysis) -> None:
    for s in strategies:
        rows = frame[frame["strategy"] == s]
        x = rows["x"].to_numpy(dtype=float)
        ax.plot(
            x,
            rows["mean"].to_numpy(dtype=float),
            color=a.palette[s],
            ls=a.dashes[s],
            lw=2,
            label=s,
            drawstyle="steps-post",
        )
        ax.fill_between(
            x,
            rows["low"].to_numpy(dtype=float),
            rows["high"].to_numpy(dtype=float),
            color=a.palette[s],
            alpha=0.12,
            lw=0,
            step="post",
        )


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


def _regret_caption(zero_text: str, ref_text: str, n_blocks: int, per_problem: bool) -> str:
    return (
        "Left: normalized regret of the best-so-far validation score (0 = "
        f"{zero_text}, 1 = {ref_text}), mean and 95% bootstrap interval. Right: "
        f"average rank of the strategies over {n_blocks} "
        + ("seeds" if per_problem else "blocks (problem x seed)")
        + " at each "
        "budget; a run without an incumbent yet ranks last, ties share the mean rank."
    )


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


def _importance(a: Analysis, p: ProblemAnalysis, folder: Path) -> FigureFile | None:
    if p.importance.empty:
        return None
    stem = f"importance_{slug(p.info.name)}"
    fig = _figure(WIDTH * 0.7, 1.2 + 0.45 * len(p.importance))
    ax = fig.subplots()
    ax.barh(np.arange(len(p.importance)), p.importance["importance"], color="0.45", height=0.6)
    ax.set_yticks(np.arange(len(p.importance)), list(p.importance["param"]))
    ax.set_ylim(len(p.importance) - 0.5, -0.5)
    ax.set_xlabel("fANOVA importance (share of explained variance)")
    for i, v in enumerate(p.importance["importance"]):
        ax.text(float(v) + 0.01, i, f"{float(v):.2f}", va="center", fontsize=9.5)
    ax.set_xlim(0, max(1.0, float(p.importance["importance"].max()) + 0.12))
    _save(fig, folder, stem)
    return FigureFile(
        f"importance/{p.info.name}",
        stem,
        "Hyperparameter importance",
        f"{p.importance_note[0].upper()}{p.importance_note[1:]} on "
        f"{p.info.name} (optuna FanovaImportanceEvaluator, seed 0).",
        p.info.name,
    )


def _early(a: Analysis, p: ProblemAnalysis, folder: Path) -> FigureFile | None:
    if p.n_curves < 3 or p.info.max_epochs < 2:
        return None
    stem = f"early_{slug(p.info.name)}"
    fig = _figure(WIDTH, 4.2)
    axes = fig.subplots(1, 2)
    sp = p.spearman
    axes[0].plot(sp["epoch"], sp["rho"], "o-", color="0.2", lw=2)
    axes[0].axhline(0, color="0.5", lw=0.8, ls="--")
    axes[0].set_ylim(-1.05, 1.05)
    axes[0].set_xlabel("epoch k")
    axes[0].set_ylabel(f"Spearman rho: value at k vs at {p.info.max_epochs}")
    axes[0].set_xticks(list(sp["epoch"]))
    axes[0].set_title(
        f"rank correlation with the final value (n = {p.n_curves} curves)", fontsize=11
    )
    if p.prune is not None and p.prune_setup is not None:
        pr = p.prune
        axes[1].plot(pr["fraction"], pr["survival"], "o-", color="0.2", lw=2)
        axes[1].axhline(0.95, color="tab:red", lw=1, ls="--", label="95% survival")
        axes[1].axvline(0.15, color="0.5", lw=1, ls=":", label="15% (strategy default)")
        if not math.isnan(p.safe_fraction):
            axes[1].axvline(
                p.safe_fraction,
                color="tab:red",
                lw=1.5,
                alpha=0.6,
                label=f"largest safe: {p.safe_fraction:.2f}",
            )
        axes[1].set_ylim(-0.02, 1.02)
        axes[1].set_xlabel("prune fraction per round")
        axes[1].set_ylabel("P(eventual best config kept)")
        axes[1].set_title(
            f"evolutionary pruning (population {p.prune_setup.population}, "
            f"{p.prune_setup.survivors} survivors)",
            fontsize=11,
        )
        axes[1].legend(loc="lower left", frameon=True, fontsize=9)
    else:
        axes[1].set_axis_off()
        axes[1].text(
            0.5,
            0.5,
            "too few full learning curves\nto simulate pruning",
            ha="center",
            va="center",
            transform=axes[1].transAxes,
        )
    _save(fig, folder, stem)
    caption = (
        f"Left: Spearman rank correlation between the validation {p.info.metric} after k "
        f"epochs and after {p.info.max_epochs}, over the {p.n_curves} full learning curves of "
        f"{p.info.name} (all strategies and seeds; resumed trials joined to their parents)."
    )
    if p.prune is not None and p.prune_setup is not None:
        safe = (
            "none of the fractions tried"
            if math.isnan(p.safe_fraction)
            else f"{p.safe_fraction:.2f}"
        )
        caption += (
            " Right: probability that evolutionary pruning keeps the population's eventual "
            f"best config, from {2000} populations drawn from those curves per fraction "
            f"(schedule: {p.prune_setup.source}). Largest fraction with at least 95% "
            f"survival: {safe}."
        )
    return FigureFile(f"early/{p.info.name}", stem, "Early-stopping evidence", caption, p.info.name)


def _fidelity(a: Analysis, r: FidelityResult, folder: Path) -> FigureFile | None:
    """Tested-mode median (x) against reference-mode median (y) of the final test score."""
    from matplotlib.lines import Line2D

    t = r.table
    if t.empty:
        return None
    # the replay-live pair keeps its old name; the others name both entries
    stem = (
        f"fidelity_{slug(r.reference)}"
        if (r.tested_mode, r.reference_mode) == ("replay", "live")
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
    ax.set_title(
        f"{r.problem}: Kendall's tau-b = {r.tau:.2f}, p = {r.pvalue:.3g}, n = {r.n} strategies"
        if r.tau is not None and r.pvalue is not None
        else f"{r.problem}: no Kendall's tau (n = {r.n} strategies)",
        fontsize=11,
    )
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
        f"of the {r.n} strategies (two-sided test, scipy.stats.kendalltau): {r.tau_text()}."
    )
    return FigureFile(f"fidelity/{r.key}", stem, f"{r.title}: strategy ranking", caption, None)


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


def draw_figures(a: Analysis, folder: Path) -> list[FigureFile]:
    """Draw every figure of the report into ``folder`` (PNG and SVG each).

    Stale ``*.png``/``*.svg`` files in ``folder`` (figures of an earlier report) are
    removed first, so the folder holds exactly this report's figures.

    Returns:
        The figures, in report order.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("*.png")) + sorted(folder.glob("*.svg")):
        old.unlink()
    out: list[FigureFile | None] = []
    multi = len(a.problems) > 1
    with _style():
        for p in a.problems.values():
            out.append(_anytime(a, p, folder))
            out.append(_final(a, p, folder))
            ref = p.val_norm.reference_name
            out.append(
                _draw_regret(
                    a,
                    folder,
                    f"regret/{p.info.name}",
                    f"regret_rank_{slug(p.info.name)}",
                    p.regret,
                    p.ranks,
                    p.strategies,
                    "budget used (full-evaluation equivalents)",
                    p.val_norm.zero_name,
                    "table optimum" if p.optimum is not None else "best known",
                    ref,
                    len(p.blocks),
                    p.info.name,
                )
            )
            if multi:
                out.append(
                    _cd(
                        a,
                        p.friedman,
                        f"cd/{p.info.name}",
                        f"cd_{slug(p.info.name)}",
                        f"seeds of {p.info.name}",
                        folder,
                        p.info.name,
                    )
                )
            out.append(_cost(a, p, folder))
            out.append(_importance(a, p, folder))
            out.append(_early(a, p, folder))
        if a.overall_friedman is not None:
            what = "problem x seed" if multi else f"seeds of {next(iter(a.problems))}"
            out.append(_cd(a, a.overall_friedman, "cd/overall", "cd_overall", what, folder, None))
        if multi and a.overall_regret is not None and a.overall_ranks is not None:
            ref = "each problem's random-search median (or worst median)"
            zero, short = _overall_zero(a)
            out.append(
                _draw_regret(
                    a,
                    folder,
                    "regret/overall",
                    "regret_rank_overall",
                    a.overall_regret,
                    a.overall_ranks,
                    a.overall_strategies,
                    f"budget used ({a.budget_unit})",
                    zero,
                    short,
                    ref,
                    a.overall_blocks,
                    None,
                )
            )
        out.append(_speedup(a, folder))
        out += [_concurrency(a, k, m, folder) for k, m in concurrency_groups(a).items()]
        out += [_fidelity(a, r, folder) for r in a.fidelity]
    return [f for f in out if f is not None]


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


def _draw_regret(
    a: Analysis,
    folder: Path,
    key: str,
    stem: str,
    regret: pd.DataFrame,
    ranks: pd.DataFrame,
    strategies: list[str],
    xlabel: str,
    zero_text: str,
    zero_short: str,
    ref_text: str,
    n_blocks: int,
    problem: str | None,
) -> FigureFile:
    fig = _figure(WIDTH, 4.6)
    axes = fig.subplots(1, 2)
    _bands(axes[0], regret, strategies, a)
    axes[0].set_ylabel(f"normalized regret\n(0 = {zero_short}, 1 = reference)")
    for level in (0.0, 1.0):
        axes[0].axhline(level, color="0.4", lw=0.8, ls="--")
    top = pd.to_numeric(regret["high"], errors="coerce").replace([np.inf, -np.inf], np.nan).max()
    if pd.notna(top):
        axes[0].set_ylim(-0.05, max(1.1, min(float(top) * 1.05, 5.0)))
    for s in strategies:
        rows = ranks[ranks["strategy"] == s]
        axes[1].plot(
            rows["x"],
            rows["rank"],
            color=a.palette[s],
            ls=a.dashes[s],
            lw=2,
            drawstyle="steps-post",
        )
    axes[1].set_ylabel("average rank (1 = best)")
    axes[1].set_ylim(len(strategies) + 0.2, 0.8)
    for ax, title in zip(axes, ("normalized regret", "average rank"), strict=True):
        ax.set_xlabel(xlabel)
        ax.set_xlim(left=0)
        ax.set_title(title)
    _legend(fig, strategies, a.palette, a.dashes)
    _save(fig, folder, stem)
    return FigureFile(
        key,
        stem,
        "Regret and rank over budget",
        _regret_caption(zero_text, ref_text, n_blocks, problem is not None),
        problem,
    )
