"""Reports from stored results (tables now; figures and statistics follow)."""

from __future__ import annotations

from tunebench.reports.collect import collect, write_tables
from tunebench.reports.summary import load_runs, summarize, write_summary

__all__ = ["collect", "load_runs", "summarize", "write_summary", "write_tables"]
