"""A matrix's runs executed into its results folder, never losing finished work.

The client (the process that runs ``tunebench run``) plans the runs, hands
each pending one to an executor as a :class:`RunTask`, and writes the record it
gets back. The task is :mod:`tunebench.execution.task`; the executors that run it (in this
process, in local worker processes, on Dask) are :mod:`tunebench.execution.executors`. This
module is the results-folder policy: what is pending, what is kept, what a
rerun restarts.

Crash safety: a run is complete only when its ``run.json`` says so (and its records are
whole, :mod:`tunebench.records.integrity`). A rerun skips complete runs and restarts every
other run folder from scratch, so a ``kill -9`` of the whole process tree loses at most
the runs in flight. A run that raises is recorded as failed (with its traceback) and the
matrix goes on. A damaged run's files are set aside (``*.damaged-<n>``) and it is redone.

One writer per run: whoever executes a run holds its lock
(:mod:`tunebench.records.lock`): the worker itself when it shares the results folder,
the client for Dask workers (it writes what they send back). So several ``tunebench
run`` processes on one folder share its runs out, each run done by one of them.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path

from filelock import FileLock

from tunebench.backends.registry import needs_keras
from tunebench.errors import TunebenchError
from tunebench.execution.executors import (
    DaskExecutor,
    Executor,
    InlineExecutor,
    LocalExecutor,
    run_units,
)
from tunebench.execution.keras_env import configure, keras_on_other_backend
from tunebench.execution.progress import Progress
from tunebench.execution.task import RunOutcome, RunTask, prepare_run, task_backend
from tunebench.matrix.plan import plan_runs
from tunebench.matrix.schema import Matrix
from tunebench.records.integrity import inspect_run, read_sidecar
from tunebench.records.layout import MATRIX_FILE
from tunebench.records.lock import RunLock
from tunebench.records.run_record import FailedRun, RunRecord, write_run_record
from tunebench.records.storage import (
    RUN_FILE,
    TRIALS_FILE,
    read_json,
    write_json_atomic,
)
from tunebench.run.execute import RunSpec
from tunebench.strategies import Strategy

__all__ = [
    "DATA_VARIANTS_FILE",
    "DaskExecutor",
    "Executor",
    "InlineExecutor",
    "LocalExecutor",
    "MatrixRunner",
    "ResultsMismatchError",
    "RunOutcome",
    "RunTask",
]

log = logging.getLogger(__name__)

DATA_VARIANTS_FILE = "data_variants.json"


class ResultsMismatchError(TunebenchError, RuntimeError):
    """The results folder holds runs of a different matrix with the same name."""


def _allow_open_files(n: int) -> None:
    """Raise this process's soft limit on open files to ``n`` (up to the hard limit)."""
    try:
        import resource
    except ImportError:  # not on Unix: the OS's own limit stands
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < n:
        target = n if hard == resource.RLIM_INFINITY else min(n, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class MatrixRunner:
    """Executes a matrix into ``<results_root>/<matrix name>/``.

    Args:
        matrix: The validated matrix.
        results_root: Parent folder of the matrix's results folder.
        data_dir: Folder with local dataset copies.
        force: Rerun complete runs too.
        workers: Override the matrix's worker count.
        threads: Override the matrix's thread count.
        base_dir: Folder that relative table paths are relative to (the matrix file's).
        strategies: The strategy registry the matrix was parsed with, when not the
            registered one (an in-process run of one's own classes); classes travel to
            workers by reference, so they must be importable there.
    """

    def __init__(
        self,
        matrix: Matrix,
        results_root: Path,
        *,
        data_dir: Path | None = None,
        force: bool = False,
        workers: int | None = None,
        threads: int | None = None,
        base_dir: Path | None = None,
        strategies: Mapping[str, type[Strategy]] | None = None,
    ) -> None:
        self.matrix = matrix
        # a registry of the caller's own (the one the matrix was parsed with), else the
        # workers look strategy names up among the registered ones
        self.strategies = strategies
        self.root = results_root / matrix.name
        self.data_dir = data_dir
        self.force = force
        # One thread per worker by default: results then do not depend on the
        # number of cores, and 1-thread workers beat fewer workers with more threads
        # (bench/perf/executor_scaling.py measures both).
        self.threads = threads or matrix.execution.threads or 1
        cores = os.cpu_count() or 1
        self.workers = workers or matrix.execution.workers or max(1, cores // self.threads)
        self.runs = plan_runs(matrix, base_dir)

    def check_results_folder(self) -> None:
        """Refuse to mix runs of two different matrices in one folder.

        Raises:
            ResultsMismatchError: ``matrix.json`` there has another fingerprint.
        """
        path = self.root / MATRIX_FILE
        if not path.is_file():
            return
        try:
            stored = read_json(path)
        except ValueError:
            stored = None  # torn by an old version's concurrent write: rewritten below
        if not isinstance(stored, dict):
            return
        if stored.get("fingerprint") != self.matrix.fingerprint():
            raise ResultsMismatchError(
                f"{self.root} holds results of a different matrix named "
                f"{self.matrix.name!r} (fingerprint {str(stored.get('fingerprint'))[:12]} != "
                f"{self.matrix.fingerprint()[:12]}); remove that folder or pass --results DIR"
            )

    def pending(self) -> list[RunSpec]:
        """Runs that still have to execute (all of them with ``force``).

        A complete run whose records are damaged is pending: it is set aside and redone.
        """
        if self.force:
            return list(self.runs)
        sidecar = read_sidecar(self.root)
        return [
            r
            for r in self.runs
            if not inspect_run(self.root / r.rel_dir, expected=r, sidecar=sidecar).done
        ]

    def default_executor(self) -> Executor:
        """Inline for one worker, worker processes for more."""
        if self.workers <= 1:
            return InlineExecutor()
        return LocalExecutor(self.workers)

    def execute(self, progress: Progress, executor: Executor | None = None) -> Iterator[RunOutcome]:
        """Run every pending run, yielding each outcome as it finishes (skipped ones first)."""
        since = time.time()
        self.check_results_folder()
        write_json_atomic(
            self.root / MATRIX_FILE,
            {"fingerprint": self.matrix.fingerprint(), "matrix": self.matrix.to_dict()},
        )
        todo = self.pending()
        todo_dirs = {r.rel_dir for r in todo}
        progress.start(
            total_runs=len(self.runs),
            done_runs=len(self.runs) - len(todo),
            total_budget=sum(run_units(r) for r in todo),
        )
        for spec in self.runs:
            if spec.rel_dir not in todo_dirs:
                yield RunOutcome(spec, "skipped")
        if not todo:
            progress.finish()
            return
        executor = executor or self.default_executor()
        held: dict[Path, tuple[RunLock, tuple[str, ...]]] = {}
        if not executor.shares_disk:
            # Its workers write nothing here: the client holds the lock of every run it
            # hands out, and writes what comes back.
            todo, outcomes = self._lock_for_client(todo, held, since)
            for outcome in outcomes:
                progress.run_finished(outcome.spec, outcome.status, outcome.record)
                yield outcome
        live_backends = [task_backend(r) for r in todo if needs_keras(r)]
        if (
            isinstance(executor, InlineExecutor)
            and live_backends
            and not keras_on_other_backend(live_backends[0])
        ):
            # Keras picks its backend once per process: this one takes the first live
            # run's; a run on another backend executes in a child process of its own.
            configure(live_backends[0], self.threads)
        tasks = [
            RunTask(
                spec=spec,
                run_dir=str(self.root / spec.rel_dir) if executor.shares_disk else None,
                data_dir=None if self.data_dir is None else str(self.data_dir),
                backend=task_backend(spec),
                threads=self.threads,
                force=self.force,
                since=since,
                strategy=None if self.strategies is None else self.strategies[spec.strategy],
            )
            for spec in todo
        ]
        try:
            for result in executor.run(tasks, progress) if tasks else ():
                outcome = self._store(result, shares_disk=executor.shares_disk)
                lock, notes = held.pop(self.root / outcome.spec.rel_dir, (None, ()))
                if lock is not None:
                    lock.release()
                    outcome = replace(outcome, notes=notes + outcome.notes)
                progress.run_finished(outcome.spec, outcome.status, outcome.record)
                yield outcome
        finally:
            for lock, _ in held.values():
                lock.release()
            executor.close()
            progress.finish()

    def _lock_for_client(
        self, todo: list[RunSpec], held: dict[Path, tuple[RunLock, tuple[str, ...]]], since: float
    ) -> tuple[list[RunSpec], list[RunOutcome]]:
        """Take the lock of each run the client hands out; the rest are busy or done.

        Each held lock is an open file until its run is stored: the limit on open files
        is raised to fit them where the OS allows (Dask hands out every run at once).
        """
        _allow_open_files(len(todo) + 256)
        mine: list[RunSpec] = []
        others: list[RunOutcome] = []
        for spec in todo:
            run_dir = self.root / spec.rel_dir
            lock = RunLock(run_dir)
            if not lock.acquire():
                others.append(RunOutcome(spec, "busy"))
                continue
            skip, notes = prepare_run(run_dir, spec, lock, force=self.force, since=since)
            if skip is not None:
                lock.release()
                others.append(RunOutcome(spec, skip, notes=notes))
                continue
            held[run_dir] = (lock, notes)
            mine.append(spec)
        return mine, others

    def _variant_conflict(self, outcome: RunOutcome) -> str | None:
        """A run whose data variant differs from what this results folder already holds.

        Problems with several data variants (covertype: full UCI data or the
        Kaggle sample) record ``provenance.data.variant``; the first complete run
        of a problem entry fixes it for the folder, in ``data_variants.json``.
        """
        if not isinstance(outcome.record, RunRecord):
            return None
        variant = (outcome.record.provenance.get("data") or {}).get("variant")
        if variant is None:
            return None
        path = self.root / DATA_VARIANTS_FILE
        # Read, compare and write as one step: other processes may share the folder.
        with FileLock(self.root / f".{DATA_VARIANTS_FILE}.lock", timeout=60):
            known = read_json(path) if path.is_file() else {}
            label = outcome.spec.problem_label or outcome.spec.problem
            if known.get(label, variant) != variant:
                return (
                    f"data variant {variant!r} of {label} differs from {known[label]!r}, "
                    f"which the runs already in {self.root} used; use another --results folder"
                )
            if label not in known:
                write_json_atomic(path, {**known, label: variant})
        return None

    def _store(self, outcome: RunOutcome, *, shares_disk: bool) -> RunOutcome:
        """Write what a worker could not write itself; the trial log before run.json.

        With a shared disk the worker held the run's lock and released it; what the
        client still writes here (a run whose worker died, a data conflict) it writes
        holding the lock again, and not at all when another process took the run over.
        """
        if outcome.status not in ("complete", "failed"):
            return outcome  # busy, skipped: another process's run, or already done
        run_dir = self.root / outcome.spec.rel_dir
        lock = RunLock(run_dir) if shares_disk else None
        if lock is not None and not lock.acquire():
            # Another process holds the run now: it is checking the run our worker
            # completed (then it finds it complete), or took over a run whose worker
            # died. Either way it writes, not us.
            return outcome if outcome.status == "complete" else replace(outcome, status="busy")
        try:
            conflict = self._variant_conflict(outcome)
            if conflict is not None:
                record = FailedRun(spec=outcome.spec, error=conflict)
                outcome = replace(outcome, status="failed", record=record)
                write_run_record(run_dir, record)
            if not shares_disk:
                run_dir.mkdir(parents=True, exist_ok=True)
                if outcome.trials_text is not None:
                    (run_dir / TRIALS_FILE).write_text(outcome.trials_text, encoding="utf-8")
            if outcome.record is not None and (
                not shares_disk or not (run_dir / RUN_FILE).is_file()
            ):
                write_run_record(run_dir, outcome.record)
        finally:
            if lock is not None:
                lock.release()
        return outcome
