"""Reports from stored results (tables now; figures and statistics follow)."""

from __future__ import annotations

from tunebench.reports.summary import load_runs, summarize, write_summary

__all__ = ["load_runs", "summarize", "write_summary"]
