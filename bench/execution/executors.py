"""Executors: where tasks run. Each yields every task's outcome as it finishes.

* :class:`InlineExecutor`: in this process, one run at a time (``workers = 1``).
* :class:`LocalExecutor`: worker processes on this machine (``workers >= 2``).
  Each worker loads a problem's data once and keeps it for all its runs; the
  workers write the trial log straight into the results folder as it happens.
* :class:`DaskExecutor`: every run is a task on a Dask cluster (an existing
  scheduler or a ``LocalCluster``). Workers need no shared disk: they run in a
  scratch folder and return the records, which the client writes. Each live run
  trains in a child process of its worker (:mod:`tunebench.execution.child_process`), so a worker's
  memory does not grow with every model it built.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing as mp
import os
import queue
import threading
import traceback
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, Protocol

from tunebench.backends.registry import needs_keras
from tunebench.execution.pools import RecyclingPool
from tunebench.execution.progress import Progress
from tunebench.execution.task import (
    HASH_SEED_ENV,
    RunOutcome,
    RunTask,
    execute_task,
    failure,
    set_progress_queue,
)
from tunebench.run.execute import RunSpec

__all__ = [
    "RUNS_PER_WORKER",
    "DaskExecutor",
    "Executor",
    "InlineExecutor",
    "LocalExecutor",
    "run_units",
]

log = logging.getLogger(__name__)

# TensorFlow keeps memory for every model it ever built (see docs/explanation/limitations.md;
# bench/perf/backends.py measures it per model); a local worker process is replaced
# after this many runs to give that memory back.
RUNS_PER_WORKER = 10


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
        # Workers start with a fixed string-hash seed (SMAC's proposals depend on it);
        # spawned processes take this process's environment.
        os.environ.update(HASH_SEED_ENV)
        self._ctx = mp.get_context("spawn")  # fork is unsafe once TensorFlow is loaded
        self._queue: Any = self._ctx.Queue()
        # One pool for the live runs of each Keras backend (a process runs Keras on one),
        # replaced by a fresh one after RUNS_PER_WORKER runs per worker (TensorFlow's
        # memory growth), and one for replay runs, which build no
        # models: replacing those workers only made each new one import TensorFlow and
        # torch again for keras-tuner and optuna's GP, which cost more than a second
        # worker gained (bench/perf/replay_matrix.py measures the workers' speedup).
        self._pools: dict[str | None, RecyclingPool] = {}

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=self._ctx,
            initializer=set_progress_queue,
            initargs=(self._queue,),
        )

    def _pool(self, task: RunTask) -> cf.ProcessPoolExecutor:
        key = task.backend if needs_keras(task.spec) else None
        if key not in self._pools:
            runs = None if key is None else RUNS_PER_WORKER * self.workers
            self._pools[key] = RecyclingPool(self._new_pool, runs)  # a retired pool's runs finish
        return self._pools[key].pool()

    def _forget(self, pool: cf.ProcessPoolExecutor) -> None:
        """Stop handing runs to a broken pool; the next run gets a fresh one."""
        for pools in self._pools.values():
            pools.forget(pool)

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
                    pool = self._pool(task)
                    try:
                        fut = pool.submit(execute_task, task)
                    except cf.process.BrokenProcessPool:
                        # It broke after the last wait (a worker killed, e.g. out of
                        # memory): its runs in flight come back broken and are retried.
                        self._forget(pool)
                        pool = self._pool(task)
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
                        outcome = RunOutcome(task.spec, "failed", failure(task.spec, exc, message))
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
                    self._forget(pool)
        finally:
            stop.set()
            drainer.join(timeout=2)

    def close(self) -> None:
        """Shut the worker processes down."""
        for pools in self._pools.values():
            pools.close(cancel_futures=True)
        self._pools.clear()
        self._queue.close()


class DaskExecutor:
    """Every run a task on a Dask cluster; the client writes what comes back.

    Args:
        scheduler: Address of an existing scheduler (``tcp://host:port``), or
            ``None`` to start a :class:`distributed.LocalCluster`.
        local_workers: Worker processes of the local cluster.
        threads: Threads per worker of the local cluster.
        isolate_live: Train each live run in a child process of its worker (default),
            so that a worker's memory does not grow with the models it built;
            ``bench/perf/dask_memory.py`` measures both ways.
    """

    shares_disk = False

    def __init__(
        self,
        scheduler: str | None = None,
        local_workers: int = 2,
        threads: int = 1,
        *,
        isolate_live: bool = True,
    ) -> None:
        self.isolate_live = isolate_live
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
                env={"OMP_NUM_THREADS": str(threads), **HASH_SEED_ENV},
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
            # Dask workers live as long as the cluster: each live run trains in a child
            # process of its worker, which takes the run's model memory with it.
            task = replace(task, isolate=self.isolate_live and needs_keras(task.spec))
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
                    task.spec, "failed", failure(task.spec, exc, traceback.format_exc())
                )
            progress.advance(run_units(task.spec))
            yield outcome

    def close(self) -> None:
        """Disconnect (and stop the local cluster, if one was started)."""
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()
