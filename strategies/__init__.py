"""Search strategies behind one protocol, and their registry.

Built-in strategies are listed here; installed packages add more through the
``tunebench.strategies`` entry-point group (see :mod:`tunebench.plugins`).
"""

from __future__ import annotations

from tunebench.plugins import load_registry
from tunebench.strategies.base import (
    BudgetView,
    Decision,
    Exhausted,
    Fidelity,
    Proposal,
    Strategy,
    TrialResult,
    TrialStatus,
    Wait,
)
from tunebench.strategies.random_search import RandomSearch

__all__ = [
    "BudgetView",
    "Decision",
    "Exhausted",
    "Fidelity",
    "Proposal",
    "RandomSearch",
    "Strategy",
    "TrialResult",
    "TrialStatus",
    "Wait",
    "available_strategies",
]

_BUILTINS: dict[str, type[Strategy]] = {RandomSearch.name: RandomSearch}


def available_strategies() -> dict[str, type[Strategy]]:
    """Return every known strategy class by name (built-ins and plug-ins)."""
    return load_registry("tunebench.strategies", _BUILTINS, Strategy)
