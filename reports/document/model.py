"""The document model: sections of paragraphs, tables and figures, and cell formatting.

The report's text is written into these blocks (:mod:`tunebench.reports.document.build`);
the renderers (:mod:`tunebench.reports.render`) only lay them out. The underscored
helpers format table cells for the section modules of this package.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Section", "Table", "walk"]


@dataclass
class Table:
    """A table: column headers and rows of already formatted cells."""

    columns: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    """A titled section: paragraphs (str), tables, figures and subsections, in order."""

    title: str
    anchor: str
    level: int = 2
    blocks: list[Any] = field(default_factory=list)  # str (paragraph) | Table | FigureFile


def _num(v: Any, digits: int = 4) -> str:
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:.{digits}g}"
    return str(v)


def _table(
    frame: pd.DataFrame,
    columns: Sequence[tuple[str, str]],
    fmt: dict[str, Callable[[Any], str]] | None = None,
) -> Table:
    fmt = fmt or {}
    rows = []
    for rec in frame.to_dict("records"):
        rows.append([fmt.get(col, _num)(rec.get(col)) for col, _ in columns])
    return Table([title for _, title in columns], rows)


def _p(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return f"{v:.3g}"


def _config(text: Any) -> str:
    try:
        cfg = json.loads(str(text))
    except ValueError:
        return str(text)
    return ", ".join(f"{k}={v}" for k, v in cfg.items())


def walk(sections: list[Section]) -> list[Section]:
    """Every section and subsection, depth first (for the table of contents)."""
    out = []
    for s in sections:
        out.append(s)
        out += walk([b for b in s.blocks if isinstance(b, Section)])
    return out
