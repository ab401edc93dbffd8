"""mkdocs hook: the results pages' numbers, rendered from ``docs/results/data/*.json``.

A page writes ``<!-- results: FILE TABLE -->`` where a generated table goes and
``<!-- value: FILE NAME -->`` where a single number goes; this hook replaces them from
the data file (:mod:`tunebench.reports.results_data` checks its stamp and renders it).
A missing file, table or value, or a stamp without date, commit, version, machine or
command, stops the build with one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError


def on_page_markdown(markdown: str, page: Any, config: Any, **kwargs: Any) -> str:
    """Replace the results markers of a page by tables and values from the data files."""
    if "<!-- results:" not in markdown and "<!-- value:" not in markdown:
        return markdown
    from tunebench.reports.results_data import ResultsDataError, render_page

    data_dir = Path(config["docs_dir"]) / "results" / "data"
    try:
        return render_page(markdown, data_dir)
    except ResultsDataError as exc:
        raise PluginError(f"{page.file.src_uri}: {exc}") from None
