"""The plan: a matrix turned into its runs, each replay entry's table, each run's backend.

One place answers "which runs does this matrix hold" (:func:`plan_runs`), "which
learning-curve table does this entry replay" (:func:`entry_table`) and "which Keras
backend does this live entry train on" (:func:`entry_backend`); the executor, the
load-time checks and the reports all ask here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tunebench.backends.base import EntryPlan, PlanContext
from tunebench.backends.live import LiveBackend, entry_module
from tunebench.backends.registry import backend_class
from tunebench.backends.replay import entry_table, replay_epochs
from tunebench.backends.surrogate import entry_surrogate
from tunebench.curves.shipped import (
    DEFAULT_BACKEND,
    SHIPPED_TABLES,
    default_backend,
    default_table,
    shipped_surrogate,
    shipped_table,
    table_backend,
)
from tunebench.datasets import Problem
from tunebench.matrix.load import matrix_problems
from tunebench.matrix.schema import Matrix, ProblemEntry, StrategyEntry
from tunebench.runspec import RunSpec

__all__ = [
    "DEFAULT_BACKEND",
    "SHIPPED_TABLES",
    "RunKey",
    "default_backend",
    "default_table",
    "entry_backend",
    "entry_mode",
    "entry_module",
    "entry_surrogate",
    "entry_table",
    "plan_context",
    "plan_runs",
    "replay_epochs",
    "run_keys",
    "shipped_surrogate",
    "shipped_table",
    "table_backend",
]

#: (problem entry, strategy entry, seed): one run's place in the plan.
RunKey = tuple[ProblemEntry, StrategyEntry, int]


def run_keys(matrix: Matrix) -> list[RunKey]:
    """Every run of the matrix as (problem entry, strategy entry, seed), in plan order.

    The order is fixed: problem, strategy, seed. Nothing is read from disk, so the
    reports can plan from a stored ``matrix.json`` alone.
    """
    return [
        (p, s, seed) for p in matrix.problems for s in matrix.strategies
        for seed in (p.seeds or matrix.seeds)
    ]  # fmt: skip


def entry_mode(matrix: Matrix, entry: ProblemEntry) -> str:
    """The entry's mode: its own, else the matrix's."""
    return entry.mode or matrix.mode


def plan_context(
    matrix: Matrix,
    entry: ProblemEntry,
    base_dir: Path | None = None,
    problems: Mapping[str, type[Problem]] | None = None,
) -> PlanContext:
    """What an entry's backend class needs beyond the entry to plan it.

    Its siblings are the other entries of the same problem (same file) whose mode
    serves a table, those with the same options first: a live entry trains on the
    Keras backend that recorded their table.
    """

    def sibling_backends() -> list[str]:
        served = []
        for e in matrix.problems:
            if e.name != entry.name or e.module != entry.module:
                continue
            table = backend_class(entry_mode(matrix, e)).served_table(e, base_dir)
            if table is not None:
                served.append((e.params != entry.params, table))
        served.sort(key=lambda item: item[0])  # same options first, stable
        backends = (table_backend(table) for _, table in served)
        return [b for b in backends if b is not None]

    return PlanContext(
        problems=problems if problems is not None else matrix_problems(matrix, base_dir),
        base_dir=base_dir,
        execution_backend=matrix.execution.backend,
        sibling_backends=sibling_backends,
    )


def entry_backend(matrix: Matrix, entry: ProblemEntry, base_dir: Path | None = None) -> str:
    """The Keras backend a live entry trains on (:meth:`LiveBackend.keras_backend`)."""
    return LiveBackend.keras_backend(entry, plan_context(matrix, entry, base_dir))


def plan_runs(matrix: Matrix, base_dir: Path | None = None) -> list[RunSpec]:
    """Every run of the matrix, in a fixed order: problem, strategy, seed.

    Args:
        matrix: The matrix.
        base_dir: Relative table paths are resolved against it (the matrix
            file's folder); default the working directory.
    """
    problems = matrix_problems(matrix, base_dir)
    # per problem entry: mode and plan
    entries: dict[int, tuple[str, EntryPlan]] = {}
    runs = []
    for p, s, seed in run_keys(matrix):
        if id(p) not in entries:
            mode = entry_mode(matrix, p)
            plan = backend_class(mode).entry_plan(p, plan_context(matrix, p, base_dir, problems))
            entries[id(p)] = (mode, plan)
        mode, plan = entries[id(p)]
        runs.append(
            RunSpec(
                matrix=matrix.name,
                problem=p.name,
                max_epochs=plan.max_epochs,
                strategy=s.name,
                strategy_label=s.label,
                seed=seed,
                full_evaluations=matrix.budget.full_evaluations,
                seconds=matrix.budget.seconds,
                subsample=p.subsample,
                problem_params=dict(p.params),
                strategy_params=dict(s.params),
                mode=mode,
                retrain_repeats=matrix.final.retrain_repeats,
                table=plan.table,
                problem_label=p.label,
                evaluation=p.evaluation,
                concurrency=p.concurrency or matrix.budget.concurrency,
                problem_module=entry_module(p, base_dir),
                backend=plan.backend,
                surrogate=plan.surrogate,
                objectives=None if p.objectives is None else tuple(p.objectives),
            )
        )
    return runs
