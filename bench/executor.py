"""Turn a matrix into runs and execute them, never losing finished work.

The client (the process that runs ``tunebench run``) plans the runs, hands
each pending one to an executor as a :class:`RunTask`, and writes the record it
gets back. Three executors run the same task function, :func:`execute_task`:

* :class:`InlineExecutor`: in this process, one run at a time (``workers = 1``).
* :class:`LocalExecutor`: worker processes on this machine (``workers >= 2``).
  Each worker loads a problem's data once and keeps it for all its runs; the
  workers write the trial log straight into the results folder as it happens.
* :class:`DaskExecutor`: every run is a task on a Dask cluster (an existing
  scheduler or a ``LocalCluster``). Workers need no shared disk: they run in a
  scratch folder and return the records, which the client writes.

Crash safety: a run is complete only when its ``run.json`` says so. A rerun
skips complete runs and restarts every other run folder from scratch, so a
``kill -9`` of the whole process tree loses at most the runs in flight. A run
that raises is recorded as failed (with its traceback) and the matrix goes on.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing as mp
import os
import queue
import shutil
import socket
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tunebench.backend import configure, limit_threads
from tunebench.errors import TunebenchError, describe_exception
from tunebench.matrix import Matrix
from tunebench.plan import plan_runs
from tunebench.progress import Progress
from tunebench.records import RUN_FILE, TRIALS_FILE, is_complete, read_json, write_json_atomic
from tunebench.results_dir import MATRIX_FILE
from tunebench.run_record import FailedRun, RunRecord, write_run_record
from tunebench.runner import RunSpec, run_on_backend
from tunebench.strategies import available_strategies
from tunebench.trial_backends import needs_keras, open_backend

__all__ = [
    "MATRIX_FILE",
    "DaskExecutor",
    "Executor",
    "InlineExecutor",
    "LocalExecutor",
    "MatrixRunner",
    "ResultsMismatchError",
    "RunOutcome",
    "RunTask",
    "execute_task",
    "plan_runs",
]

log = logging.getLogger(__name__)

DATA_VARIANTS_FILE = "data_variants.json"

# TensorFlow keeps about 7 MB per model it ever built (see README, "Known limit");
# a local worker process is replaced after this many runs to give that memory back.
RUNS_PER_WORKER = 10


class ResultsMismatchError(TunebenchError, RuntimeError):
    """The results folder holds runs of a different matrix with the same name."""


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs to execute one run (picklable).

    Attributes:
        spec: The run.
        run_dir: Where to write the records, when the worker shares the client's
            disk; ``None`` to work in a scratch folder and return the records.
        data_dir: Local dataset copies, if any.
        backend: Keras backend of the worker.
        threads: Threads per worker.
    """

    spec: RunSpec
    run_dir: str | None
    data_dir: str | None
    backend: str
    threads: int


@dataclass(frozen=True)
class RunOutcome:
    """What happened to one planned run.

    Attributes:
        spec: The run.
        status: ``"complete"``, ``"skipped"`` (already complete) or ``"failed"``.
        record: The run's record (``None`` when skipped).
        trials_text: The ``trials.jsonl`` content when the worker could not write
            it into the results folder itself (Dask), else ``None``.
    """

    spec: RunSpec
    status: str
    record: RunRecord | FailedRun | None = None
    trials_text: str | None = None


# --------------------------------------------------------------------------------------
# The task: runs wherever the executor puts it
# --------------------------------------------------------------------------------------

# Per worker process: where per-epoch progress goes (set by the pool initializer).
_PROGRESS: Any = None


def _failure(spec: RunSpec, exc: BaseException, tb: str) -> FailedRun:
    return FailedRun(
        spec=spec,
        error=describe_exception(exc),
        traceback=tb,
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )


def execute_task(task: RunTask, on_charge: Callable[[float], None] | None = None) -> RunOutcome:
    """Execute one run (in a worker) and return its outcome; never raises for run errors."""
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
        strategy = available_strategies()[spec.strategy](**spec.strategy_params)
        record = run_on_backend(
            spec,
            run_dir,
            backend,
            strategy,
            on_charge=on_charge,
            extra_provenance={
                "backend": task.backend,
                "threads": task.threads,
                "data_dir": task.data_dir,
                "worker": f"{socket.gethostname()}:{os.getpid()}",
            },
        )
        status = "complete"
    except Exception as exc:  # one broken run must not stop the matrix
        record = _failure(spec, exc, traceback.format_exc())
        if not remote:
            write_run_record(run_dir, record)
        status = "failed"
    trials_text = None
    if remote:
        log_file = run_dir / TRIALS_FILE
        trials_text = log_file.read_text(encoding="utf-8") if log_file.is_file() else ""
        shutil.rmtree(run_dir, ignore_errors=True)
    return RunOutcome(spec, status, record, trials_text)


# --------------------------------------------------------------------------------------
# Executors
# --------------------------------------------------------------------------------------


class Executor(Protocol):
    """Runs tasks and yields their outcomes as they finish."""

    shares_disk: bool
    """Whether workers write into the client's results folder themselves."""

    def run(self, tasks: list[RunTask], progress: Progress) -> Iterator[RunOutcome]:
        """Execute ``tasks``; yield each outcome when it is done."""
        ...  # pragma: no cover

    def close(self) -> None:
        """Release workers."""
        ...  # pragma: no cover


class InlineExecutor:
    """One run at a time in this process."""

    shares_disk = True

    def run(self, tasks: list[RunTask], progress: Progress) -> Iterator[RunOutcome]:
        """Execute each task here, reporting every charge to ``progress``."""
        for task in tasks:
            progress.run_started(task.spec)
            reporter = _ChargeReporter(progress, task.spec)
            outcome = execute_task(task, on_charge=reporter)
            reporter.finish()
            yield outcome

    def close(self) -> None:
        """Nothing to release."""


class _ChargeReporter:
    """Turns a run's spent budget fraction into progress advances of that run's units."""

    def __init__(self, progress: Progress, spec: RunSpec) -> None:
        self.progress = progress
        self.units = run_units(spec)
        self.done = 0.0

    def __call__(self, fraction: float) -> None:
        self.progress.advance(fraction * self.units - self.done)
        self.done = fraction * self.units

    def finish(self) -> None:
        """Advance what the run did not spend (it ended early, or failed)."""
        self(1.0)


def run_units(spec: RunSpec) -> float:
    """Progress units of one run: its cap in full evaluations (1 per run if in seconds)."""
    return float(spec.full_evaluations) if spec.full_evaluations is not None else 1.0


def _init_worker(progress_queue: Any) -> None:
    global _PROGRESS
    _PROGRESS = progress_queue


class LocalExecutor:
    """Worker processes on this machine; at most ``workers`` runs in flight.

    A worker that dies (killed, out of memory) takes its runs with it: they are
    retried once in a fresh pool and recorded as failed if the worker dies again.

    Args:
        workers: Number of worker processes.
    """

    shares_disk = True

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._ctx = mp.get_context("spawn")  # fork is unsafe once TensorFlow is loaded
        self._queue: Any = self._ctx.Queue()
        # One pool for live runs, replaced by a fresh one after RUNS_PER_WORKER runs per
        # worker (TensorFlow's memory growth), and one for replay runs, which build no
        # models: replacing those workers only made each new one import TensorFlow and
        # torch again for keras-tuner and optuna's GP (2 workers ran slower than 1,
        # measured). Not max_tasks_per_child: CPython 3.11-3.14 can fail to replace a
        # worker that reached it and hang (python/cpython#115634).
        self._pools: dict[bool, cf.ProcessPoolExecutor] = {}
        self._live_submitted = 0

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self._ctx,
            initializer=_init_worker,
            initargs=(self._queue,),
        )

    def _pool(self, live: bool) -> cf.ProcessPoolExecutor:
        if live and self._live_submitted >= RUNS_PER_WORKER * self.workers:
            retired = self._pools.pop(True, None)
            if retired is not None:
                retired.shutdown(wait=False)  # its runs in flight finish, then it exits
            self._live_submitted = 0
        if live not in self._pools:
            self._pools[live] = self._new_pool()
        if live:
            self._live_submitted += 1
        return self._pools[live]

    def run(self, tasks: list[RunTask], progress: Progress) -> Iterator[RunOutcome]:
        """Keep ``workers`` runs in flight; yield outcomes as they finish."""
        reporters: dict[str, _ChargeReporter] = {}
        stop = threading.Event()

        def drain() -> None:
            while not stop.is_set():
                try:
                    key, fraction = self._queue.get(timeout=0.2)
                except queue.Empty:
                    continue
                except (EOFError, OSError):
                    return
                if key in reporters:
                    reporters[key](fraction)

        drainer = threading.Thread(target=drain, name="tunebench-progress", daemon=True)
        drainer.start()
        pending = list(reversed(tasks))
        deaths: dict[str, int] = {}
        in_flight: dict[cf.Future[RunOutcome], RunTask] = {}
        pool_of: dict[cf.Future[RunOutcome], cf.ProcessPoolExecutor] = {}
        try:
            while pending or in_flight:
                while pending and len(in_flight) < self.workers:
                    task = pending.pop()
                    reporters[str(task.spec.rel_dir)] = _ChargeReporter(progress, task.spec)
                    progress.run_started(task.spec)
                    pool = self._pool(needs_keras(task.spec))
                    fut = pool.submit(execute_task, task)
                    in_flight[fut], pool_of[fut] = task, pool
                done, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
                broken: list[cf.ProcessPoolExecutor] = []
                for fut in done:
                    task = in_flight.pop(fut)
                    pool = pool_of.pop(fut)
                    try:
                        outcome = fut.result()
                    except cf.process.BrokenProcessPool as exc:
                        if pool not in broken:
                            broken.append(pool)
                        key = str(task.spec.rel_dir)
                        deaths[key] = deaths.get(key, 0) + 1
                        if deaths[key] < 2:
                            pending.append(task)  # retry once, in a fresh pool
                            continue
                        message = "worker process died twice (killed or out of memory)"
                        outcome = RunOutcome(task.spec, "failed", _failure(task.spec, exc, message))
                    reporters.pop(str(task.spec.rel_dir)).finish()
                    yield outcome
                for pool in broken:
                    # Every run still in flight in that pool died with it: retry them too.
                    for fut, task in list(in_flight.items()):
                        if pool_of[fut] is pool:
                            fut.cancel()
                            pending.append(task)
                            del in_flight[fut], pool_of[fut]
                    pool.shutdown(wait=False, cancel_futures=True)
                    for live, current in list(self._pools.items()):
                        if current is pool:
                            del self._pools[live]
        finally:
            stop.set()
            drainer.join(timeout=2)

    def close(self) -> None:
        """Shut the worker processes down."""
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
        self._pools.clear()
        self._queue.close()


class DaskExecutor:
    """Every run a task on a Dask cluster; the client writes what comes back.

    Args:
        scheduler: Address of an existing scheduler (``tcp://host:port``), or
            ``None`` to start a :class:`distributed.LocalCluster`.
        local_workers: Worker processes of the local cluster.
        threads: Threads per worker of the local cluster.
    """

    shares_disk = False

    def __init__(self, scheduler: str | None = None, local_workers: int = 2, threads: int = 1):
        from distributed import Client, LocalCluster

        # distributed logs every scheduler/nanny step at INFO in the client process.
        for name in ("distributed", "distributed.scheduler", "distributed.nanny"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._cluster = None
        if scheduler is None:
            self._cluster = LocalCluster(
                n_workers=local_workers,
                threads_per_worker=1,  # one run at a time per worker process
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
                env={"OMP_NUM_THREADS": str(threads)},
            )
            self.client = Client(self._cluster)
        else:
            self.client = Client(scheduler)

    def run(self, tasks: list[RunTask], progress: Progress) -> Iterator[RunOutcome]:
        """Submit every task; yield outcomes as the cluster finishes them."""
        from distributed import as_completed

        futures = {}
        for task in tasks:
            progress.run_started(task.spec)
            fut = self.client.submit(
                execute_task, task, pure=False, key=f"tunebench-{task.spec.rel_dir}-{id(task)}"
            )
            futures[fut] = task
        for fut in as_completed(list(futures)):
            task = futures[fut]
            try:
                outcome = fut.result()
            except Exception as exc:  # e.g. KilledWorker: the worker died on this run
                outcome = RunOutcome(
                    task.spec, "failed", _failure(task.spec, exc, traceback.format_exc())
                )
            progress.advance(run_units(task.spec))
            yield outcome

    def close(self) -> None:
        """Disconnect (and stop the local cluster, if one was started)."""
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


# --------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------


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
    ) -> None:
        self.matrix = matrix
        self.root = results_root / matrix.name
        self.data_dir = data_dir
        self.force = force
        # One thread per worker by default: results then do not depend on the
        # number of cores, and on 2 cores two 1-thread workers beat one 2-thread one.
        self.threads = threads or matrix.execution.threads or 1
        cores = os.cpu_count() or 1
        self.workers = workers or matrix.execution.workers or max(1, cores // self.threads)
        self.backend = matrix.execution.backend
        self.runs = plan_runs(matrix, base_dir)

    def check_results_folder(self) -> None:
        """Refuse to mix runs of two different matrices in one folder.

        Raises:
            ResultsMismatchError: ``matrix.json`` there has another fingerprint.
        """
        path = self.root / MATRIX_FILE
        if not path.is_file():
            return
        stored = read_json(path)
        if stored.get("fingerprint") != self.matrix.fingerprint():
            raise ResultsMismatchError(
                f"{self.root} holds results of a different matrix named "
                f"{self.matrix.name!r} (fingerprint {str(stored.get('fingerprint'))[:12]} != "
                f"{self.matrix.fingerprint()[:12]}); remove that folder or pass --results DIR"
            )

    def pending(self) -> list[RunSpec]:
        """Runs that still have to execute (all of them with ``force``)."""
        if self.force:
            return list(self.runs)
        return [r for r in self.runs if not is_complete(self.root / r.rel_dir)]

    def default_executor(self) -> Executor:
        """Inline for one worker, worker processes for more."""
        if self.workers <= 1:
            return InlineExecutor()
        return LocalExecutor(self.workers)

    def execute(self, progress: Progress, executor: Executor | None = None) -> Iterator[RunOutcome]:
        """Run every pending run, yielding each outcome as it finishes (skipped ones first)."""
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
        for spec in todo:
            run_dir = self.root / spec.rel_dir
            if run_dir.exists():
                shutil.rmtree(run_dir)  # an incomplete or forced run restarts from scratch
        executor = executor or self.default_executor()
        if isinstance(executor, InlineExecutor) and any(needs_keras(r) for r in todo):
            configure(self.backend, self.threads)
        tasks = [
            RunTask(
                spec=spec,
                run_dir=str(self.root / spec.rel_dir) if executor.shares_disk else None,
                data_dir=None if self.data_dir is None else str(self.data_dir),
                backend=self.backend,
                threads=self.threads,
            )
            for spec in todo
        ]
        try:
            for result in executor.run(tasks, progress):
                outcome = self._store(result, shares_disk=executor.shares_disk)
                progress.run_finished(outcome.spec, outcome.status, outcome.record)
                yield outcome
        finally:
            executor.close()
            progress.finish()

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
        known = read_json(path) if path.is_file() else {}
        label = outcome.spec.problem_label or outcome.spec.problem
        if known.get(label, variant) != variant:
            return (
                f"data variant {variant!r} of {label} differs from {known[label]!r}, which "
                f"the runs already in {self.root} used; use another --results folder"
            )
        if label not in known:
            write_json_atomic(path, {**known, label: variant})
        return None

    def _store(self, outcome: RunOutcome, *, shares_disk: bool) -> RunOutcome:
        """Write what a worker could not write itself; the trial log before run.json."""
        conflict = self._variant_conflict(outcome)
        if conflict is not None:
            record = FailedRun(spec=outcome.spec, error=conflict)
            outcome = RunOutcome(outcome.spec, "failed", record, outcome.trials_text)
            write_run_record(self.root / outcome.spec.rel_dir, record)
        run_dir = self.root / outcome.spec.rel_dir
        if not shares_disk:
            run_dir.mkdir(parents=True, exist_ok=True)
            if outcome.trials_text is not None:
                (run_dir / TRIALS_FILE).write_text(outcome.trials_text, encoding="utf-8")
        if outcome.record is not None and (not shares_disk or not (run_dir / RUN_FILE).is_file()):
            write_run_record(run_dir, outcome.record)
        return outcome
