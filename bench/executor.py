"""Turn a matrix into runs and execute them, never losing finished work.

Runs execute one after another in this process (parallel workers and Dask
come later behind the same :func:`plan_runs` and :func:`execute_run`). Each
problem's data is loaded once and shared by all its runs.

Crash safety: a run is complete only when its ``run.json`` says so. A rerun
skips complete runs and restarts any other run folder from scratch, so a
``kill -9`` loses at most the run in flight.
"""

from __future__ import annotations

import logging
import shutil
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunebench.backend import configure
from tunebench.datasets import Problem, Splits, available_problems
from tunebench.matrix import Matrix
from tunebench.progress import Progress
from tunebench.records import RUN_FILE, is_complete, read_json, write_json_atomic
from tunebench.runner import RunSpec, execute_run
from tunebench.strategies import available_strategies

__all__ = [
    "MATRIX_FILE",
    "MatrixRunner",
    "ResultsMismatchError",
    "RunOutcome",
    "plan_runs",
]

log = logging.getLogger(__name__)

MATRIX_FILE = "matrix.json"


class ResultsMismatchError(RuntimeError):
    """The results folder holds runs of a different matrix with the same name."""


@dataclass(frozen=True)
class RunOutcome:
    """What happened to one planned run."""

    spec: RunSpec
    status: str  # "complete", "skipped" (already complete) or "failed"
    record: dict[str, Any] = field(default_factory=dict)


def plan_runs(matrix: Matrix) -> list[RunSpec]:
    """Every run of the matrix, in a fixed order: problem, strategy, seed."""
    problems = available_problems()
    runs = []
    for p in matrix.problems:
        max_epochs = p.max_epochs or problems[p.name].max_epochs
        for s in matrix.strategies:
            for seed in matrix.seeds:
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
                        mode=matrix.mode,
                    )
                )
    return runs


class MatrixRunner:
    """Executes a matrix into ``<results_root>/<matrix name>/``.

    Args:
        matrix: The validated matrix.
        results_root: Parent folder of the matrix's results folder.
        data_dir: Folder with local dataset copies (``TUNEBENCH_DATA_DIR``).
        force: Rerun complete runs too.
        threads: Override the matrix's thread count.
    """

    def __init__(
        self,
        matrix: Matrix,
        results_root: Path,
        *,
        data_dir: Path | None = None,
        force: bool = False,
        threads: int | None = None,
    ) -> None:
        self.matrix = matrix
        self.root = results_root / matrix.name
        self.data_dir = data_dir
        self.force = force
        # One thread by default: results then do not depend on how many cores
        # a machine has, and parallel workers (not threads) scale best here.
        self.threads = threads or matrix.execution.threads or 1
        self.backend = matrix.execution.backend
        self.runs = plan_runs(matrix)
        self._data: dict[tuple[str, str, int | None], tuple[Problem, Splits]] = {}

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

    def _problem_data(self, spec: RunSpec) -> tuple[Problem, Splits]:
        key = (spec.problem, repr(sorted(spec.problem_params.items())), spec.subsample)
        if key not in self._data:
            problem = available_problems()[spec.problem](**spec.problem_params)
            splits = problem.load(self.data_dir, spec.subsample)
            self._data[key] = (problem, splits)
        return self._data[key]

    def execute(self, progress: Progress) -> Iterator[RunOutcome]:
        """Run every pending run, yielding each outcome as it finishes."""
        self.check_results_folder()
        write_json_atomic(
            self.root / MATRIX_FILE,
            {"fingerprint": self.matrix.fingerprint(), "matrix": self.matrix.to_dict()},
        )
        configure(self.backend, self.threads)
        todo = self.pending()
        todo_ids = {id(r) for r in todo}
        progress.start(
            total_runs=len(self.runs),
            done_runs=len(self.runs) - len(todo),
            total_budget=sum(self._budget_units(r) for r in todo),
        )
        strategies = available_strategies()
        for spec in self.runs:
            if id(spec) not in todo_ids:
                yield RunOutcome(spec, "skipped")
                continue
            run_dir = self.root / spec.rel_dir
            if run_dir.exists():
                shutil.rmtree(run_dir)  # an incomplete or forced run restarts from scratch
            progress.run_started(spec)
            units = self._budget_units(spec)
            spent = 0.0

            def on_charge(fraction: float, units: float = units) -> None:
                nonlocal spent
                progress.advance(fraction * units - spent)
                spent = fraction * units

            try:
                problem, splits = self._problem_data(spec)
                strategy = strategies[spec.strategy](**spec.strategy_params)
                record = execute_run(
                    spec,
                    run_dir,
                    problem,
                    splits,
                    strategy,
                    on_charge=on_charge,
                    extra_provenance={
                        "backend": self.backend,
                        "threads": self.threads,
                        "data_dir": None if self.data_dir is None else str(self.data_dir),
                    },
                )
                outcome = RunOutcome(spec, "complete", record)
            except Exception as exc:  # one broken run must not stop the matrix
                record = {
                    "status": "failed",
                    "spec": spec.to_dict(),
                    "error": f"{type(exc).__name__}: {exc}",
                    "traceback": traceback.format_exc(),
                }
                write_json_atomic(run_dir / RUN_FILE, record)
                outcome = RunOutcome(spec, "failed", record)
            # Runs that ended early (strategy exhausted) leave budget unspent.
            progress.advance(max(0.0, units - spent))
            progress.run_finished(outcome.spec, outcome.status, outcome.record)
            yield outcome
        progress.finish()

    @staticmethod
    def _budget_units(spec: RunSpec) -> float:
        """Progress units of one run: its cap in full evaluations (1 per run if in seconds)."""
        return float(spec.full_evaluations) if spec.full_evaluations is not None else 1.0
