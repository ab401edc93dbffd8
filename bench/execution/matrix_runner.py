"""A matrix's runs executed into its results folder, never losing finished work.

The client (the process that runs ``tunebench run``) plans the runs, hands
each pending one to an executor as a :class:`RunTask`, and writes the record it
gets back. The task is :mod:`tunebench.execution.task`; the executors that run it (in this
process, in local worker processes, on Dask) are :mod:`tunebench.execution.executors`. This
module is the results-folder policy: what is pending, what is kept, what a
rerun restarts.

Crash safety: a run is complete only when its ``run.json`` says so. A rerun
skips complete runs and restarts every other run folder from scratch, so a
``kill -9`` of the whole process tree loses at most the runs in flight. A run
that raises is recorded as failed (with its traceback) and the matrix goes on.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

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
from tunebench.execution.task import RunOutcome, RunTask, task_backend
from tunebench.matrix.plan import plan_runs
from tunebench.matrix.schema import Matrix
from tunebench.records.layout import MATRIX_FILE
from tunebench.records.run_record import FailedRun, RunRecord, write_run_record
from tunebench.records.storage import (
    RUN_FILE,
    TRIALS_FILE,
    is_complete,
    read_json,
    write_json_atomic,
)
from tunebench.run.execute import RunSpec

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
