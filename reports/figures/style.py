"""The look every figure shares, and how a figure is saved.

Figures are deterministic: no random jitter, a fixed SVG hash salt, and no software
version or date in the file metadata, so the same results give byte-identical files.
Matplotlib is used through ``Figure`` objects (no pyplot state) with seaborn's
``whitegrid`` style. :class:`FigureFile` is what a drawn figure hands to the document.
The underscored helpers are shared by the figure modules of this package.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pandas as pd

from tunebench.backends.registry import backend_class
from tunebench.reports.analysis.analyze import Analysis, ProblemAnalysis

__all__ = ["DPI", "WIDTH", "FigureFile", "slug"]

DPI = 150
WIDTH = 10.0  # inches; 1500 px at DPI
SVG_SALT = "tunebench"


@dataclass(frozen=True)
class FigureFile:
    """One saved figure.

    Attributes:
        key: A stable identifier (e.g. ``anytime/stocks-mlp``).
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
    # two lines: on one, a small panel's axis cuts the label off
    return f"{prefix} {p.info.metric}\n({better} is better)"


def _served_cost(p: ProblemAnalysis) -> str:
    return backend_class(p.info.mode).curves_are


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
