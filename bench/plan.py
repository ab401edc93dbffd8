"""The plan: a matrix turned into its runs, and where each replay entry's table is.

One place answers "which runs does this matrix hold" (:func:`plan_runs`) and
"which learning-curve table does this entry replay" (:func:`entry_table`); the
executor, the load-time checks and the reports all ask here.
"""

from __future__ import annotations

from pathlib import Path

from tunebench.datasets import available_problems
from tunebench.matrix import Matrix, ProblemEntry, StrategyEntry
from tunebench.runspec import RunSpec
from tunebench.table import TableError, read_table_meta

__all__ = [
    "RunKey",
    "default_table",
    "entry_mode",
    "entry_module",
    "entry_table",
    "plan_runs",
    "replay_epochs",
    "run_keys",
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


def default_table(problem: str) -> Path:
    """Where the learning-curve table shipped for ``problem`` lives."""
    import tunebench.datasets

    return Path(tunebench.datasets.__file__).parent / "tables" / f"{problem}.parquet"


def entry_mode(matrix: Matrix, entry: ProblemEntry) -> str:
    """The entry's mode: its own, else the matrix's."""
    return entry.mode or matrix.mode


def entry_table(entry: ProblemEntry, base_dir: Path | None = None) -> Path:
    """The table a replay entry serves: its ``table``, else the one shipped for it.

    A relative ``table`` is relative to ``base_dir`` (the matrix file's folder; default
    the working directory).
    """
    path = Path(entry.table) if entry.table else default_table(entry.name)
    return path if path.is_absolute() else (base_dir or Path.cwd()) / path


def entry_module(entry: ProblemEntry, base_dir: Path | None = None) -> str | None:
    """The resolved path of the file defining the entry's problem, if it names one."""
    if entry.module is None:
        return None
    path = Path(entry.module)
    return str((path if path.is_absolute() else (base_dir or Path.cwd()) / path).resolve())


def replay_epochs(entry: ProblemEntry, table: Path) -> int:
    """A replay entry's epochs of a full evaluation: its ``max_epochs``, else the table's.

    An unreadable table falls back to the problem's default; the load-time checks
    (:mod:`tunebench.preflight`) refuse such a matrix before anything runs.
    """
    if entry.max_epochs is not None:
        return entry.max_epochs
    try:
        return int(read_table_meta(table)["epochs"])
    except (TableError, KeyError, ValueError):
        return int(available_problems()[entry.name].max_epochs)


def plan_runs(matrix: Matrix, base_dir: Path | None = None) -> list[RunSpec]:
    """Every run of the matrix, in a fixed order: problem, strategy, seed.

    Args:
        matrix: The matrix.
        base_dir: Relative table paths are resolved against it (the matrix
            file's folder); default the working directory.
    """
    problems = available_problems()
    entries: dict[int, tuple[str, str | None, int]] = {}  # per problem entry: mode, table, epochs
    runs = []
    for p, s, seed in run_keys(matrix):
        if id(p) not in entries:
            mode = entry_mode(matrix, p)
            table = None
            max_epochs = p.max_epochs or problems[p.name].max_epochs
            if mode == "replay":
                path = entry_table(p, base_dir)
                table = str(path)
                max_epochs = replay_epochs(p, path)
            entries[id(p)] = (mode, table, max_epochs)
        mode, table, max_epochs = entries[id(p)]
        runs.append(
            RunSpec(
                matrix=matrix.name,
                problem=p.name,
                max_epochs=max_epochs,
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
                table=table,
                problem_label=p.label,
                evaluation=p.evaluation,
                concurrency=p.concurrency or matrix.budget.concurrency,
                problem_module=entry_module(p, base_dir),
            )
        )
    return runs
