"""One run as a task: what a worker needs to execute it, and what it sends back.

:func:`execute_task` runs wherever an executor (:mod:`tunebench.execution.executors`) puts
it: in the client, in a local worker process, or on a Dask worker. It never
raises for a run's own errors; a run that raises comes back as a failed
:class:`RunOutcome`, its record saying what went wrong.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tunebench.backends.registry import needs_keras, open_backend
from tunebench.errors import describe_exception
from tunebench.execution.child_process import ChildRunError, call_in_child
from tunebench.execution.keras_env import configure, keras_on_other_backend, limit_threads
from tunebench.matrix.plan import DEFAULT_BACKEND
from tunebench.records.integrity import clear_run_dir, inspect_run, read_sidecar, set_aside
from tunebench.records.lock import RunLock
from tunebench.records.run_record import FailedRun, RunRecord, write_run_record
from tunebench.records.storage import RUN_FILE, TRIALS_FILE
from tunebench.run.execute import RunSpec, run_on_backend
from tunebench.strategies import Strategy, available_strategies

__all__ = [
    "HASH_SEED_ENV",
    "RunOutcome",
    "RunTask",
    "execute_task",
    "failure",
    "hash_seed_fixed",
    "needs_fixed_hash_seed",
    "prepare_run",
    "set_progress_queue",
    "task_backend",
]


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs to execute one run (picklable).

    Attributes:
        spec: The run.
        run_dir: Where to write the records, when the worker shares the client's
            disk; ``None`` to work in a scratch folder and return the records.
        data_dir: Local dataset copies, if any.
        backend: Keras backend of the run (live runs train on it).
        threads: Threads per worker.
        isolate: Execute a live run in a child process of its own (Dask workers,
            which are never recycled: the child takes the run's memory with it).
        force: Rerun the run even when it is complete, unless another process completed
            it after ``since``.
        since: When the client started (seconds since the epoch).
        strategy: The strategy class, when the client resolved the name from a registry
            of its own; ``None``: the worker looks the name up among the registered ones.
    """

    spec: RunSpec
    run_dir: str | None
    data_dir: str | None
    backend: str
    threads: int
    isolate: bool = False
    force: bool = False
    since: float = 0.0
    strategy: type[Strategy] | None = None

    def strategy_class(self) -> type[Strategy]:
        """The class of the run's strategy."""
        return self.strategy or available_strategies()[self.spec.strategy]


@dataclass(frozen=True)
class RunOutcome:
    """What happened to one planned run.

    Attributes:
        spec: The run.
        status: ``"complete"``, ``"skipped"`` (already complete), ``"busy"`` (another
            process holds the run's lock: it runs it) or ``"failed"``.
        record: The run's record (``None`` when skipped or busy).
        trials_text: The ``trials.jsonl`` content when the worker could not write
            it into the results folder itself (Dask), else ``None``.
        notes: One-line notes for the user: a lock taken over from a killed process,
            damaged files set aside.
    """

    spec: RunSpec
    status: str
    record: RunRecord | FailedRun | None = None
    trials_text: str | None = None
    notes: tuple[str, ...] = ()


# Per worker process: where per-epoch progress goes (set by the pool initializer).
_PROGRESS: Any = None


def failure(spec: RunSpec, exc: BaseException, tb: str) -> FailedRun:
    """The record of a run that raised ``exc`` (``tb``: its traceback or a note)."""
    return FailedRun(
        spec=spec,
        error=describe_exception(exc),
        traceback=tb,
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )


#: The environment of processes that run strategies needing a fixed string-hash seed.
HASH_SEED_ENV = {"PYTHONHASHSEED": "0"}


def hash_seed_fixed() -> bool:
    """Whether this interpreter started with ``PYTHONHASHSEED=0`` (no hash randomisation)."""
    return sys.flags.hash_randomization == 0


def needs_fixed_hash_seed(task: RunTask) -> bool:
    """Whether the run's strategy gives the same proposals only under a fixed hash seed."""
    return bool(getattr(task.strategy_class(), "fixed_hash_seed", False))


def task_backend(spec: RunSpec) -> str:
    """The Keras backend a run's task carries: the spec's, else the default."""
    return spec.backend or DEFAULT_BACKEND


def execute_in_child(task: RunTask, env: Mapping[str, str] | None = None) -> RunOutcome:
    """Execute ``task`` in a fresh interpreter; a child that dies gives a failed outcome.

    Args:
        task: The run.
        env: Environment variables to set in the child, beside this process's.
    """
    try:
        outcome: RunOutcome = call_in_child(
            "tunebench.execution.task:execute_task", replace(task, isolate=False), env
        )
    except ChildRunError as died:
        error = ChildRunError(
            f"the child process of run {task.spec.rel_dir} exited with status "
            f"{died.status} and no outcome (killed or crashed)",
            died.status,
            died.stderr_tail,
        )
        return RunOutcome(task.spec, "failed", failure(task.spec, error, died.stderr_tail))
    return outcome


def prepare_run(
    run_dir: Path, spec: RunSpec, lock: RunLock, *, force: bool, since: float
) -> tuple[str | None, tuple[str, ...]]:
    """Make a run folder ready for a fresh run, holding its lock.

    A damaged run's files are set aside (``*.damaged-<n>``), anything else an unfinished
    run left is removed; the lock file stays.

    Returns:
        ``"skipped"`` when the run is complete (with ``force``: completed by another
        process since ``since``), else ``None``; and one-line notes (a lock taken over
        from a killed holder, damaged files set aside).
    """
    state = inspect_run(run_dir, expected=spec)
    if state.done and not state.hash_checked:  # a record from before hashes: its archive's
        state = inspect_run(run_dir, expected=spec, sidecar=read_sidecar(run_dir.parents[2]))
    skip = state.done and (not force or (run_dir / RUN_FILE).stat().st_mtime >= since)
    notes: list[str] = []
    if lock.taken_over is not None:
        notes.append(
            f"took over {run_dir}: its last holder ({lock.taken_over.describe()}) died "
            f"holding it; {'it had completed the run' if skip else 'restarting the run'}"
        )
    if skip:
        return "skipped", tuple(notes)
    if state.state == "damaged":
        moved = ", ".join(p.name for p in set_aside(run_dir))
        notes.append(f"{state.problem}; set aside as {moved} in {run_dir}; rerunning it")
    clear_run_dir(run_dir)
    return None, tuple(notes)


def execute_task(task: RunTask, on_charge: Callable[[float], None] | None = None) -> RunOutcome:
    """Execute one run (in a worker) and return its outcome; never raises for run errors.

    A live run executes in a child process (:mod:`tunebench.execution.child_process`)
    when the task asks for isolation or this process already runs Keras on another backend.
    A worker that shares the results folder holds the run's lock
    (:class:`tunebench.records.lock.RunLock`) from before it clears the folder until
    after it wrote ``run.json``, and leaves a run another process holds alone.

    Raises:
        OSError: The results folder cannot be written (read-only, full): not a run's
            error, so the matrix stops (the CLI says so in one line).
    """
    spec = task.spec
    if needs_keras(spec) and (task.isolate or keras_on_other_backend(task.backend)):
        return execute_in_child(task, HASH_SEED_ENV)
    if needs_fixed_hash_seed(task) and not hash_seed_fixed():
        return execute_in_child(task, HASH_SEED_ENV)
    if task.run_dir is None:
        return _execute(task, on_charge)
    run_dir = Path(task.run_dir)
    lock = RunLock(run_dir)
    if not lock.acquire():
        return RunOutcome(spec, "busy")
    try:
        skip, notes = prepare_run(run_dir, spec, lock, force=task.force, since=task.since)
        if skip is not None:
            return RunOutcome(spec, skip, notes=notes)
        return replace(_execute(task, on_charge), notes=notes)
    finally:
        lock.release()


def _execute(task: RunTask, on_charge: Callable[[float], None] | None) -> RunOutcome:
    spec = task.spec
    remote = task.run_dir is None
    run_dir = Path(tempfile.mkdtemp(prefix="tunebench-run-")) if remote else Path(str(task.run_dir))
    if on_charge is None and _PROGRESS is not None:
        run_key = str(spec.rel_dir)

        def on_charge(fraction: float) -> None:
            _PROGRESS.put((run_key, fraction))

    record: RunRecord | FailedRun
    try:
        if needs_keras(spec):
            configure(task.backend, task.threads)
        else:  # no Keras needed: curves come from the table
            limit_threads(task.threads)
        backend = open_backend(spec, task.data_dir)
        strategy = task.strategy_class()(**spec.strategy_params)
        record = run_on_backend(
            spec,
            run_dir,
            backend,
            strategy,
            on_charge=on_charge,
            extra_provenance={
                # replay: the table's recording backend (this process trains nothing)
                "backend": task.backend if needs_keras(spec) else spec.backend,
                "threads": task.threads,
                "data_dir": task.data_dir,
                "worker": f"{socket.gethostname()}:{os.getpid()}",
            },
        )
        status = "complete"
    except Exception as exc:  # one broken run must not stop the matrix
        record = failure(spec, exc, traceback.format_exc())
        if not remote:
            write_run_record(run_dir, record)
        status = "failed"
    trials_text = None
    if remote:
        log_file = run_dir / TRIALS_FILE
        trials_text = log_file.read_text(encoding="utf-8") if log_file.is_file() else ""
        shutil.rmtree(run_dir, ignore_errors=True)
    return RunOutcome(spec, status, record, trials_text)


def set_progress_queue(progress_queue: Any) -> None:
    """Where this worker process sends per-epoch progress (the pool initializer)."""
    global _PROGRESS
    _PROGRESS = progress_queue
