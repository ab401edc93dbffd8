"""The plan: a matrix turned into its runs, each replay entry's table, each run's backend.

One place answers "which runs does this matrix hold" (:func:`plan_runs`), "which
learning-curve table does this entry replay" (:func:`entry_table`) and "which Keras
backend does this live entry train on" (:func:`entry_backend`); the executor, the
load-time checks and the reports all ask here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tunebench.curves.table import TableError, read_table_meta
from tunebench.datasets import available_problems
from tunebench.matrix.schema import Backend, Matrix, ProblemEntry, StrategyEntry
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
    "entry_table",
    "plan_runs",
    "replay_epochs",
    "run_keys",
    "shipped_table",
    "table_backend",
]

#: The Keras backend of a live run whose problem ships no table to follow (plug-in
#: problems); a matrix's ``[execution] backend`` or ``tabulate --backend`` overrides it.
DEFAULT_BACKEND: Backend = "tensorflow"

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


#: Names a matrix's ``table`` may use for a problem's shipped tables, and their folders.
SHIPPED_TABLES = {"grid": "", "sampled": "sampled"}


def shipped_table(problem: str, kind: str = "grid") -> Path:
    """Where a learning-curve table shipped for ``problem`` lives.

    Args:
        problem: The problem's name.
        kind: ``"grid"`` (the coarse grid of its ``table_space()``) or ``"sampled"``
            (configs sampled from its full ``space()``).
    """
    import tunebench.datasets

    folder = Path(tunebench.datasets.__file__).parent / "tables" / SHIPPED_TABLES[kind]
    return folder / f"{problem}.parquet"


def default_table(problem: str) -> Path:
    """The learning-curve table a replay entry that names no ``table`` serves.

    The problem's shipped sampled table (configs drawn from its full ``space()``), so
    that a default matrix can tell strategies apart; its shipped grid table only where
    no sampled one ships yet. The grid tables stay available as ``table = "grid"``,
    the small smoke tables.
    """
    sampled = shipped_table(problem, "sampled")
    return sampled if sampled.is_file() else shipped_table(problem, "grid")


def table_backend(path: Path) -> Backend | None:
    """The Keras backend a table was recorded with (its metadata), or ``None``.

    ``None`` when the file is missing or unreadable (the load-time checks refuse a
    replay entry whose table is) or records no known backend.
    """
    try:
        backend = read_table_meta(path).get("backend")
    except TableError:
        return None
    return backend if backend in ("tensorflow", "torch", "jax") else None


def default_backend(problem: str) -> Backend:
    """The backend a problem trains on by default: that of its shipped default table.

    Each shipped table was recorded on the backend measured fastest for its problem
    (README, "Keras backend, threads and speed"), so following the table makes live
    runs both fast and comparable with replay. Problems without a table: ``DEFAULT_BACKEND``.
    """
    return table_backend(default_table(problem)) or DEFAULT_BACKEND


def entry_backend(matrix: Matrix, entry: ProblemEntry, base_dir: Path | None = None) -> Backend:
    """The Keras backend a live entry trains on.

    In order: the matrix's ``[execution] backend``; else the backend of the table that
    a replay entry of the same problem (same options preferred) in this matrix serves,
    so the live runs that confirm a table train on the table's own backend; else the
    backend of the problem's shipped table (:func:`default_backend`).
    """
    if matrix.execution.backend is not None:
        return matrix.execution.backend
    replays = [
        e for e in matrix.problems
        if entry_mode(matrix, e) == "replay" and e.name == entry.name and e.module == entry.module
    ]  # fmt: skip
    replays.sort(key=lambda e: e.params != entry.params)  # same options first, stable
    for replay in replays:
        backend = table_backend(entry_table(replay, base_dir))
        if backend is not None:
            return backend
    return DEFAULT_BACKEND if entry.module is not None else default_backend(entry.name)


def entry_mode(matrix: Matrix, entry: ProblemEntry) -> str:
    """The entry's mode: its own, else the matrix's."""
    return entry.mode or matrix.mode


def entry_table(entry: ProblemEntry, base_dir: Path | None = None) -> Path:
    """The table a replay entry serves: its ``table``, else the one shipped for it.

    ``table = "grid"`` or ``"sampled"`` names the problem's shipped grid or sampled
    table. Another relative ``table`` is relative to ``base_dir`` (the matrix file's
    folder; default the working directory).
    """
    if entry.table in SHIPPED_TABLES:
        return shipped_table(entry.name, entry.table)
    return _resolve(Path(entry.table) if entry.table else default_table(entry.name), base_dir)


def _resolve(path: Path, base_dir: Path | None) -> Path:
    """A matrix's relative path, relative to ``base_dir`` (default the working directory)."""
    return path if path.is_absolute() else (base_dir or Path.cwd()) / path


def shipped_surrogate(problem: str) -> Path:
    """Where the surrogate shipped for ``problem`` lives (``tunebench surrogate fit``)."""
    import tunebench.datasets

    return Path(tunebench.datasets.__file__).parent / "surrogates" / f"{problem}.json.gz"


def entry_surrogate(entry: ProblemEntry, base_dir: Path | None = None) -> Path:
    """The surrogate a surrogate-mode entry serves: its ``surrogate``, else the shipped one."""
    if entry.surrogate is None:
        return shipped_surrogate(entry.name)
    return _resolve(Path(entry.surrogate), base_dir)


def entry_module(entry: ProblemEntry, base_dir: Path | None = None) -> str | None:
    """The resolved path of the file defining the entry's problem, if it names one."""
    if entry.module is None:
        return None
    return str(_resolve(Path(entry.module), base_dir).resolve())


def replay_epochs(entry: ProblemEntry, table: Path) -> int:
    """A replay entry's epochs of a full evaluation: its ``max_epochs``, else the table's.

    An unreadable table falls back to the problem's default; the load-time checks
    (:mod:`tunebench.matrix.preflight`) refuse such a matrix before anything runs.
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
    # per problem entry: mode, table, epochs, backend, surrogate
    entries: dict[int, tuple[str, str | None, int, str | None, str | None]] = {}
    runs = []
    for p, s, seed in run_keys(matrix):
        if id(p) not in entries:
            mode = entry_mode(matrix, p)
            table = None
            max_epochs = p.max_epochs or problems[p.name].max_epochs
            backend: str | None
            surrogate = None
            if mode == "surrogate":
                spath = entry_surrogate(p, base_dir)
                surrogate = str(spath)
                # an unreadable surrogate: the load-time checks refuse the matrix
                meta = _surrogate_meta(spath)
                max_epochs = p.max_epochs or int(meta.get("epochs", max_epochs))
                backend = meta.get("table_backend")  # what recorded the curves it learned
            elif mode == "replay":
                path = entry_table(p, base_dir)
                table = str(path)
                max_epochs = replay_epochs(p, path)
                backend = table_backend(path)  # what recorded the curves it serves
            else:
                backend = entry_backend(matrix, p, base_dir)
            entries[id(p)] = (mode, table, max_epochs, backend, surrogate)
        mode, table, max_epochs, backend, surrogate = entries[id(p)]
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
                backend=backend,
                surrogate=surrogate,
            )
        )
    return runs


def _surrogate_meta(path: Path) -> dict[str, Any]:
    """A surrogate's metadata, or nothing when it cannot be read."""
    from tunebench.curves.surrogate import SurrogateError, read_surrogate_meta

    try:
        return read_surrogate_meta(path)
    except SurrogateError:
        return {}
