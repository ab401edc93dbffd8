"""Benchmark problems and their registry.

Built-in problems are listed here; installed packages add more through the
``tunebench.problems`` entry-point group (see :mod:`tunebench.plugins`), and a matrix
entry's ``module`` adds the problems of one local file
(:mod:`tunebench.datasets.problem_files`).
"""

from __future__ import annotations

from tunebench.datasets.covertype import CovertypeMLP
from tunebench.datasets.events import EventsMLP
from tunebench.datasets.mnist import MnistCNN
from tunebench.datasets.problem import Problem, Splits
from tunebench.datasets.stocks import StocksMLP
from tunebench.plugins import load_registry

__all__ = [
    "CovertypeMLP",
    "EventsMLP",
    "MnistCNN",
    "Problem",
    "Splits",
    "StocksMLP",
    "available_problems",
]

_BUILTINS: dict[str, type[Problem]] = {
    cls.name: cls for cls in (CovertypeMLP, EventsMLP, MnistCNN, StocksMLP)
}


def available_problems() -> dict[str, type[Problem]]:
    """Return every known problem class by name.

    Built-ins and plug-ins (the ``tunebench.problems`` entry points). Problems of a
    matrix's own files are the matrix's (:func:`tunebench.matrix.load.matrix_problems`).
    """
    found = load_registry("tunebench.problems", _BUILTINS, Problem)
    return dict(sorted(found.items()))
