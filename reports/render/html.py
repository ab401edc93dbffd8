"""The report as one self-contained HTML page: every figure embedded as a base64 PNG."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from tunebench.reports.analysis.analyze import Analysis
from tunebench.reports.document.build import build_document
from tunebench.reports.document.model import Section, Table
from tunebench.reports.document.opening import opening
from tunebench.reports.figures.draw import Figures
from tunebench.reports.figures.style import DPI, FigureFile

__all__ = ["render_html"]


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  max-width: 1120px; margin: 2em auto; padding: 0 1.2em; color: #1d1d1f; line-height: 1.5;
  font-size: 16px; }
h1 { font-size: 1.9em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
h3 { margin-top: 1.6em; }
.summary { background: #f3f6fa; border-left: 4px solid #3a6ea5; padding: 0.8em 1.1em 0.8em 2.2em; }
.summary li { margin: 0.3em 0; }
nav.toc { background: #fafafa; border: 1px solid #e3e3e3; padding: 0.6em 1.2em; }
nav.toc ul { margin: 0.2em 0; padding-left: 1.3em; }
nav.toc .sub { font-size: 0.9em; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.92em; color: #444; margin-top: 0.4em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; display: block;
  overflow-x: auto; }
th, td { border: 1px solid #d6d6d6; padding: 0.25em 0.6em; text-align: left;
  vertical-align: top; }
th { background: #f0f0f0; }
tr:nth-child(even) td { background: #fafafa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { background: #f2f2f2; padding: 0 0.25em; }
"""


def _is_num(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return s == "inf"
    return True


def _html_table(t: Table) -> str:
    head = (
        ""
        if not any(t.columns)
        else ("<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in t.columns) + "</tr>")
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{html.escape(v)}</td>' if _is_num(v) else f"<td>{html.escape(v)}</td>"
            for v in row
        )
        + "</tr>"
        for row in t.rows
    )
    return f"<table>{head}{body}</table>"


def _png_width(png: bytes) -> int:
    """Pixel width from a PNG's IHDR chunk."""
    return int.from_bytes(png[16:20], "big")


def _html_blocks(blocks: list[Any], fig_dir: Path) -> list[str]:
    out = []
    for b in blocks:
        if isinstance(b, str):
            out.append(f"<p>{html.escape(b)}</p>")
        elif isinstance(b, Table):
            out.append(_html_table(b))
        elif isinstance(b, FigureFile):
            png = (fig_dir / f"{b.stem}.png").read_bytes()
            data = base64.b64encode(png).decode("ascii")
            # shown at 100 px per inch whatever its size, so fonts match between figures
            width = round(_png_width(png) * 100 / DPI)
            out.append(
                f'<figure id="fig-{html.escape(b.stem)}"><img alt="{html.escape(b.title)}" '
                f'width="{width}" src="data:image/png;base64,{data}"><figcaption><b>'
                f"{html.escape(b.title)}.</b> {html.escape(b.caption)}</figcaption></figure>"
            )
        elif isinstance(b, Section):
            out.append(f'<h{b.level} id="{b.anchor}">{html.escape(b.title)}</h{b.level}>')
            out += _html_blocks(b.blocks, fig_dir)
    return out


def _toc_html(sections: list[Section]) -> str:
    """One line per section, its subsections run on after it.

    Nested lists put every problem's eight subsections on lines of their own, and the
    contents then filled a screen or more between the opening findings and the report.
    """

    def link(s: Section) -> str:
        return f'<a href="#{s.anchor}">{html.escape(s.title)}</a>'

    lis = []
    for s in sections:
        subs = [b for b in s.blocks if isinstance(b, Section)]
        inner = f'<span class="sub">: {" · ".join(link(b) for b in subs)}</span>' if subs else ""
        lis.append(f"<li>{link(s)}{inner}</li>")
    return f'<nav class="toc"><b>Contents</b><ul>{"".join(lis)}</ul></nav>'


def render_html(a: Analysis, figures: Figures, summary: list[str], fig_dir: Path) -> str:
    """The report as one self-contained HTML page (figures embedded as base64 PNG)."""
    sections = build_document(a, figures)
    title = f"tunebench report: {a.data.matrix_name}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        *_html_blocks(opening(a), fig_dir),
        '<ul class="summary" id="summary">'
        + "".join(f"<li>{html.escape(point)}</li>" for point in summary)
        + "</ul>",
        _toc_html(sections),
    ]
    parts += _html_blocks(list(sections), fig_dir)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
