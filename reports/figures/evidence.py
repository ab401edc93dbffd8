"""Figures of what the trials tell: hyperparameter importance, early-stopping evidence."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from tunebench.reports.analysis.analyze import Analysis, ProblemAnalysis
from tunebench.reports.figures.style import WIDTH, FigureFile, _figure, _save, slug


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
