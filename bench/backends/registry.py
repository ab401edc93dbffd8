"""The one registry of trial backends: a run's mode to its class.

:data:`BACKENDS` maps each mode a matrix may name to its :class:`TrialBackend` class
(:mod:`tunebench.backends.base`); adding a mode is adding a class in a file of its own
and a line here. Everything else asks the class (:func:`backend_class`) instead of
reading the mode string: whether a run trains Keras models, which clock it keeps, what
the plan and the load-time checks need to know about an entry.

The strategies' conformance kit drives strategies on its own synthetic trainer
(:class:`tunebench.strategies.testing.SyntheticTrainer`), outside any matrix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tunebench.backends.base import TrialBackend
from tunebench.backends.live import LiveBackend, problem_data
from tunebench.backends.replay import ReplayBackend, problem_table
from tunebench.backends.surrogate import SurrogateBackend
from tunebench.datasets import Problem, Splits, available_problems
from tunebench.datasets.problem_files import problem_file_provenance
from tunebench.runspec import RunSpec

__all__ = [
    "BACKENDS",
    "TrialBackend",
    "backend_class",
    "backend_for",
    "compared_modes",
    "needs_keras",
    "open_backend",
    "problem_data",
    "problem_table",
]

#: Every mode a matrix may name, and the class that serves its runs.
BACKENDS: dict[str, type[TrialBackend]] = {
    cls.mode: cls for cls in (LiveBackend, ReplayBackend, SurrogateBackend)
}


def backend_class(mode: str) -> type[TrialBackend]:
    """The class of a mode's trial backend.

    Raises:
        ValueError: An unknown mode.
    """
    try:
        return BACKENDS[mode]
    except KeyError:
        raise ValueError(f"unknown mode {mode!r}; known: {', '.join(sorted(BACKENDS))}") from None


def compared_modes() -> list[tuple[str, str]]:
    """(tested, reference) pairs of modes whose verdicts a report compares.

    Each simulated mode against every more real one, the nearest first.
    """
    by_realism = sorted(BACKENDS.values(), key=lambda c: c.realism)
    return [
        (tested.mode, ref.mode)
        for tested in by_realism
        for ref in reversed(by_realism)
        if ref.realism < tested.realism
    ]


def needs_keras(spec: RunSpec) -> bool:
    """Whether the run builds Keras models (so its worker needs a Keras backend)."""
    return backend_class(spec.mode).needs_keras(spec)


def _with_problem_file(spec: RunSpec, backend: TrialBackend) -> TrialBackend:
    if spec.problem_module is not None:
        backend.provenance["problem_module"] = problem_file_provenance(Path(spec.problem_module))
    return backend


def backend_for(
    spec: RunSpec,
    problem: Problem,
    splits: Splits | None = None,
    table: Any = None,
) -> TrialBackend:
    """The trial backend of one run, from its loaded data or table; its problem file recorded.

    Args:
        spec: The run.
        problem: The problem, configured with the run's params.
        splits: Live runs: the problem's loaded data.
        table: Replay runs: the learning-curve table.

    Raises:
        ValueError: The data the mode needs was not given, or the mode is unknown.
        TableError: The table holds fewer epochs than the run asks for.
    """
    cls = backend_class(spec.mode)
    return _with_problem_file(spec, cls.build(spec, problem, splits=splits, table=table))


def open_backend(spec: RunSpec, data_dir: str | None = None) -> TrialBackend:
    """Load what the run needs (data, table or surrogate, cached per process); its backend."""
    backend = backend_class(spec.mode).open(spec, data_dir, available_problems())
    return _with_problem_file(spec, backend)
