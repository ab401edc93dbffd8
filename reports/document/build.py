"""The report's sections in order, with the figures where the text refers to them.

Nothing time-dependent is written, so the same results give byte-identical files.
"""

from __future__ import annotations

from tunebench.reports.analysis.analyze import Analysis
from tunebench.reports.document.methods import _methods_section
from tunebench.reports.document.model import Section
from tunebench.reports.document.opening import _leaderboard_section
from tunebench.reports.document.problems import _overall_section, _problem_section
from tunebench.reports.document.setup import _missing_section, _setup_section, _surrogate_section
from tunebench.reports.figures.draw import Figures

__all__ = ["build_document"]


def build_document(a: Analysis, figures: Figures) -> list[Section]:
    """The report's sections, in order, with the figures where the text refers to them."""
    board = _leaderboard_section(a)
    sections = [board] if board is not None else []
    sections.append(_setup_section(a))
    surrogate = _surrogate_section(a)
    if surrogate is not None:
        sections.append(surrogate)
    missing = _missing_section(a)
    if missing is not None:
        sections.append(missing)
    sections += [_problem_section(a, p, figures.problems[p.info.name]) for p in a.problems.values()]
    sections.append(_overall_section(a, figures))
    sections.append(_methods_section(a))
    return sections
