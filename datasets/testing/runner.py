"""Run the checks in order on one problem: all of them, or the few ``tunebench run`` needs."""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from tunebench.datasets.problem import Problem
from tunebench.datasets.testing.attributes import check_declares_attributes
from tunebench.datasets.testing.case import Check, ProblemCase
from tunebench.datasets.testing.contract import (
    DEFAULT_SUBSAMPLE,
    ProblemConformanceError,
    _exc,
)
from tunebench.datasets.testing.models import (
    check_default_config_builds,
    check_edge_configs_build,
    check_metric_is_reported,
)
from tunebench.datasets.testing.provenance import (
    check_source_is_provenance,
    check_time_ordered_splits,
)
from tunebench.datasets.testing.splits import (
    check_splits_do_not_overlap,
    check_splits_ignore_the_run_seed,
    check_subsample_keeps_val_and_test_whole,
)
from tunebench.errors import one_line


@contextmanager
def _kept_global_rngs() -> Iterator[None]:
    """Restore Python's and numpy's global generators after the kit seeded them."""
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


#: Every check by name, in the order :func:`check_problem` runs them.
CHECKS: dict[str, Check] = {
    "declares_attributes": check_declares_attributes,
    "splits_ignore_the_run_seed": check_splits_ignore_the_run_seed,
    "splits_do_not_overlap": check_splits_do_not_overlap,
    "subsample_keeps_val_and_test_whole": check_subsample_keeps_val_and_test_whole,
    "source_is_provenance": check_source_is_provenance,
    "time_ordered_splits": check_time_ordered_splits,
    "default_config_builds": check_default_config_builds,
    "metric_is_reported": check_metric_is_reported,
    "edge_configs_build": check_edge_configs_build,
}


def check_problem(
    problem_cls_or_instance: type[Problem] | Problem,
    *,
    data_dir: Path | str | None = None,
    subsample: int = DEFAULT_SUBSAMPLE,
    params: Mapping[str, Any] | None = None,
) -> None:
    """Run every conformance check on a problem; raise on the first finding.

    Args:
        problem_cls_or_instance: The problem class (constructed with ``params``) or an
            instance (then ``params``, if given, are the arguments it was made with and
            ``get_params()`` must return them).
        data_dir: Folder with the data files, passed to ``load``.
        subsample: Training rows of the load that models are built and trained on; keep
            it small, the kit trains one tiny epoch only.
        params: Constructor arguments (a matrix's ``params``).

    Raises:
        ProblemConformanceError: The first finding: one line ``[check] problem 'name'
            (Class): what is wrong``.
        DatasetError: The data cannot be found or read (the loader's own error).
    """
    if isinstance(problem_cls_or_instance, type):
        cls = problem_cls_or_instance
        if not issubclass(cls, Problem):
            raise TypeError(f"{cls.__name__} is not a Problem subclass")
        try:
            problem = cls(**dict(params or {}))
        except Exception as exc:
            raise ProblemConformanceError(
                one_line(f"[constructor] {cls.__name__}(**{params}) raised {_exc(exc)}")
            ) from exc
    elif isinstance(problem_cls_or_instance, Problem):
        problem = problem_cls_or_instance
    else:
        raise TypeError(f"expected a Problem class or instance, got {problem_cls_or_instance!r}")
    case = ProblemCase(problem, Path(data_dir) if data_dir is not None else None, subsample, params)
    with _kept_global_rngs():
        for name, check in CHECKS.items():
            try:
                check(case)
            except ProblemConformanceError as exc:
                raise ProblemConformanceError(one_line(f"[{name}] {exc}")) from exc


#: The checks ``tunebench run`` applies to a plug-in problem of a live entry before
#: anything trains (cheap: one small load, one model, one tiny epoch).
RUN_CHECKS = ("declares_attributes", "default_config_builds", "metric_is_reported")


def check_problem_runs(
    problem: Problem, *, data_dir: Path | str | None = None, subsample: int = 200
) -> None:
    """The :data:`RUN_CHECKS` subset of the kit, on an already constructed problem.

    Raises:
        ProblemConformanceError: The first finding, ``[check] problem ...: what is wrong``.
    """
    case = ProblemCase(problem, Path(data_dir) if data_dir is not None else None, subsample)
    with _kept_global_rngs():
        for name in RUN_CHECKS:
            try:
                CHECKS[name](case)
            except ProblemConformanceError as exc:
                raise ProblemConformanceError(one_line(f"[{name}] {exc}")) from exc
