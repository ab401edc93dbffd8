"""Progress of a matrix: a rich progress bar, or one log line per run (``--quiet``).

The bar counts budget in full-evaluation equivalents (or runs, for a seconds
cap), so its ETA follows the work actually charged, not the number of runs.
"""

from __future__ import annotations

import sys
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichBar

from tunebench.records.run_record import FailedRun, RunRecord
from tunebench.runspec import RunSpec

#: What a finished run left: its record, or ``None`` (skipped).
Record = RunRecord | FailedRun | None

__all__ = ["BarProgress", "LineProgress", "Progress", "describe_outcome"]


def describe_outcome(spec: RunSpec, status: str, record: RunRecord | FailedRun | None) -> str:
    """One line about a finished run."""
    where = f"{spec.problem}/{spec.strategy_label}/seed={spec.seed}"
    if isinstance(record, FailedRun):
        return f"FAILED {where}: {record.error}"
    if status == "busy":
        return f"busy {where}: another process holds it and runs it"
    if record is None or status == "skipped":
        return f"{status} {where}"
    result = record.result
    fmt = lambda v: "n/a" if v is None else f"{v:.4f}"  # noqa: E731
    return (
        f"done {where}: best val {fmt(result.best_value)}, test {fmt(result.test_value)}, "
        f"{result.n_trials} trials, {result.budget_used:.2f} full evals"
    )


class Progress(Protocol):
    """What the executor tells about its progress."""

    def start(self, total_runs: int, done_runs: int, total_budget: float) -> None:
        """The matrix starts; ``done_runs`` were already complete."""

    def run_started(self, spec: RunSpec) -> None:
        """A run starts."""

    def advance(self, budget: float) -> None:
        """``budget`` more units were charged."""

    def run_finished(
        self, spec: RunSpec, status: str, record: RunRecord | FailedRun | None
    ) -> None:
        """A run ended ("complete" or "failed")."""

    def finish(self) -> None:
        """The matrix ended."""


class LineProgress:
    """Plain log lines on stderr: one per finished run (and nothing with ``quiet``)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.total = 0
        self.done = 0
        self.failed = 0

    def start(self, total_runs: int, done_runs: int, total_budget: float) -> None:
        """Remember the totals."""
        self.total, self.done = total_runs, done_runs

    def run_started(self, spec: RunSpec) -> None:
        """Nothing to show."""

    def advance(self, budget: float) -> None:
        """Nothing to show."""

    def run_finished(
        self, spec: RunSpec, status: str, record: RunRecord | FailedRun | None
    ) -> None:
        """Count the run; print a line unless quiet (failures always print)."""
        self.done += 1
        self.failed += status == "failed"
        if not self.quiet or status == "failed":
            print(f"[{self.done}/{self.total}] {describe_outcome(spec, status, record)}",
                  file=sys.stderr)  # fmt: skip

    def finish(self) -> None:
        """Nothing to show."""


class BarProgress:
    """A rich bar: runs done, failed, budget spent, ETA; a line per run with ``verbose``."""

    def __init__(self, verbose: bool = False, console: Console | None = None) -> None:
        self.verbose = verbose
        self.console = console or Console(stderr=True)
        self.bar = RichBar(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("full evals"),
            TextColumn("{task.fields[runs]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self.task: TaskID | None = None
        self.total_runs = 0
        self.done = 0
        self.failed = 0

    def _runs(self) -> str:
        failed = f", {self.failed} failed" if self.failed else ""
        return f"runs {self.done}/{self.total_runs}{failed}"

    def start(self, total_runs: int, done_runs: int, total_budget: float) -> None:
        """Show the bar."""
        self.total_runs, self.done = total_runs, done_runs
        self.bar.start()
        self.task = self.bar.add_task("matrix", total=total_budget, runs=self._runs())

    def run_started(self, spec: RunSpec) -> None:
        """Name the run in flight."""
        assert self.task is not None
        self.bar.update(self.task, description=f"{spec.problem}/{spec.strategy_label}/{spec.seed}")

    def advance(self, budget: float) -> None:
        """Move the bar by charged budget."""
        assert self.task is not None
        self.bar.advance(self.task, budget)

    def run_finished(
        self, spec: RunSpec, status: str, record: RunRecord | FailedRun | None
    ) -> None:
        """Count the run and print its line (failures always, others with verbose)."""
        assert self.task is not None
        self.done += 1
        self.failed += status == "failed"
        self.bar.update(self.task, runs=self._runs())
        if self.verbose or status == "failed":
            self.bar.console.print(describe_outcome(spec, status, record), highlight=False)

    def finish(self) -> None:
        """Stop the bar."""
        self.bar.stop()
