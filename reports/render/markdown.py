"""The report as GitHub Markdown (``report.md``), linking ``figures/*.png``."""

from __future__ import annotations

from typing import Any

from tunebench.reports.analysis.analyze import Analysis
from tunebench.reports.document.build import build_document
from tunebench.reports.document.model import Section, Table, walk
from tunebench.reports.document.opening import opening
from tunebench.reports.figures.draw import Figures
from tunebench.reports.figures.style import FigureFile

__all__ = ["render_markdown"]


def _md_cell(v: str) -> str:
    return v.replace("|", "\\|").replace("\n", " ")


def _md_table(t: Table) -> str:
    cols = t.columns if any(t.columns) else [" "] * len(t.columns)
    lines = ["| " + " | ".join(_md_cell(c) for c in cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in t.rows]
    return "\n".join(lines)


def _md_blocks(blocks: list[Any]) -> list[str]:
    out = []
    for b in blocks:
        if isinstance(b, str):
            out.append(b)
        elif isinstance(b, Table):
            out.append(_md_table(b))
        elif isinstance(b, FigureFile):
            out.append(
                f"![{b.title}](figures/{b.stem}.png)\n\n*{b.title}.* {b.caption} "
                f"([SVG](figures/{b.stem}.svg))"
            )
        elif isinstance(b, Section):
            out.append(f"{'#' * b.level} {b.title}")
            out += _md_blocks(b.blocks)
    return out


def _md_anchor(title: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes."""
    kept = "".join(ch for ch in title.lower() if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


def render_markdown(a: Analysis, figures: Figures, summary: list[str]) -> str:
    """The report as GitHub-renderable Markdown (figures linked from ``figures/``).

    Args:
        a: The analysis.
        figures: The drawn figures.
        summary: The opening findings, one bullet each.
    """
    sections = build_document(a, figures)
    toc = []
    seen: dict[str, int] = {}
    for s in walk(sections):
        anchor = _md_anchor(s.title)
        n = seen.get(anchor, 0)
        seen[anchor] = n + 1
        if n:  # GitHub numbers repeated headings: name, name-1, name-2, ...
            anchor = f"{anchor}-{n}"
        indent = "  " * (s.level - 2)
        toc.append(f"{indent}- [{s.title}](#{anchor})")
    parts = [f"# tunebench report: {a.data.matrix_name}", *_md_blocks(opening(a))]
    parts += ["\n".join(f"- {point}" for point in summary), "## Contents", "\n".join(toc)]
    parts += _md_blocks(list(sections))
    return "\n\n".join(parts) + "\n"
