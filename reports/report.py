"""Build a report from a results folder, or regenerate its figures only.

``build_report(results, out)`` writes into ``out`` (default ``reports/<matrix>``):

* ``index.html``: one self-contained page, figures embedded;
* ``report.md``: the same for GitHub, figures linked;
* ``figures/*.png`` and ``figures/*.svg``;
* ``tables/*.csv``.

``build_figures(results, out)`` rewrites ``out/figures`` only. Both read stored records
only; nothing is trained. A partial results folder gives a report of what is there with
a "Missing" section; an empty one raises :class:`~tunebench.reports.inputs.load.NoResultsError`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from tunebench.reports.analysis.analyze import Analysis, analyze
from tunebench.reports.document.narrative import summary_points
from tunebench.reports.figures.draw import draw_figures
from tunebench.reports.inputs.load import NoResultsError, ReportError, load_results
from tunebench.reports.render.csv_tables import write_csv_tables
from tunebench.reports.render.html import render_html
from tunebench.reports.render.markdown import render_markdown

__all__ = ["NoResultsError", "ReportError", "build_figures", "build_report", "default_out"]

log = logging.getLogger(__name__)


def default_out(results: Path) -> Path:
    """``reports/<matrix>`` (relative to the working directory)."""
    return Path("reports") / Path(results).name


def _analysis(results: Path, warn: Callable[[str], None] | None) -> Analysis:
    return analyze(load_results(Path(results), warn))


def build_report(
    results: Path, out: Path | None = None, warn: Callable[[str], None] | None = None
) -> Path:
    """Write the full report of a results folder.

    Args:
        results: ``results/<matrix>``.
        out: Output folder (default ``reports/<matrix>``).
        warn: Told one line per damaged run skipped and per log changed since its run.

    Returns:
        The path of ``index.html``.

    Raises:
        NoResultsError: No run records under ``results``.
        ReportError: No complete run.
    """
    analysis = _analysis(results, warn)
    out = Path(out) if out is not None else default_out(results)
    out.mkdir(parents=True, exist_ok=True)
    figures = draw_figures(analysis, out / "figures")
    write_csv_tables(analysis, out / "tables")
    summary = summary_points(analysis)
    (out / "report.md").write_text(render_markdown(analysis, figures, summary), encoding="utf-8")
    index = out / "index.html"
    index.write_text(render_html(analysis, figures, summary, out / "figures"), encoding="utf-8")
    return index


def build_figures(
    results: Path, out: Path | None = None, warn: Callable[[str], None] | None = None
) -> list[Path]:
    """Regenerate only the figures of a report (PNG and SVG) from the collected tables.

    Args:
        results: ``results/<matrix>``.
        out: The report folder (default ``reports/<matrix>``); figures go to ``out/figures``.
        warn: See :func:`build_report`.

    Returns:
        The written figure files.
    """
    analysis = _analysis(results, warn)
    out = Path(out) if out is not None else default_out(results)
    folder = out / "figures"
    figures = draw_figures(analysis, folder)
    return [folder / f"{f.stem}.{ext}" for f in figures.files() for ext in ("png", "svg")]
