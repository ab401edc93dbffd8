"""Reports from stored results: collected tables, figures, statistics, HTML/Markdown."""

from __future__ import annotations

from tunebench.reports.inputs.collect import collect, write_tables
from tunebench.reports.inputs.load import NoResultsError, ReportError
from tunebench.reports.report import build_figures, build_report
from tunebench.reports.summary import load_runs, summarize, write_summary

__all__ = [
    "NoResultsError",
    "ReportError",
    "build_figures",
    "build_report",
    "collect",
    "load_runs",
    "summarize",
    "write_summary",
    "write_tables",
]
