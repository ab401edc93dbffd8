"""What ``tunebench run --dry-run`` prints: the plan, what is done, and how long the rest takes.

Per problem entry of the matrix: its mode, the runs planned, those already complete and
those still to run, and for live entries an estimate of the training time left. The
estimate multiplies each pending run's budget in full evaluations (plus its final
retrains) by the mean recorded seconds of one full learning curve in the problem's
shipped table (its sampled table where there is one), scaled to the run's
``max_epochs``, and divides by the workers. A table recorded on another machine or
with other data settings is only a guide, and the estimate says which table it used.
Replay and surrogate runs train nothing: their epochs cost the recorded seconds on a
simulated clock, and a run takes about a second of this machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tunebench.backends.registry import backend_class
from tunebench.curves.shipped import default_table, shipped_table
from tunebench.runspec import RunSpec

__all__ = ["EntryEstimate", "estimate", "format_estimate"]


@dataclass(frozen=True)
class EntryEstimate:
    """One problem entry of a dry run.

    Attributes:
        label: The entry's folder name (``name`` or ``name@mode``).
        mode: Its mode.
        planned: Runs the matrix plans for it.
        pending: Runs still to execute.
        train_seconds: Estimated training seconds of the pending runs, summed over runs
            (live entries with a full-evaluation budget and a recorded table; else
            ``None``).
        source: The table the estimate used, or why there is none.
    """

    label: str
    mode: str
    planned: int
    pending: int
    train_seconds: float | None
    source: str


@lru_cache(maxsize=16)
def _seconds_per_epoch(path: Path) -> float | None:
    """Mean recorded seconds of one epoch over a table's curves (``None`` if unreadable)."""
    import pandas as pd

    try:
        frame = pd.read_parquet(path, columns=["config_key", "repeat", "epoch", "seconds"])
    except (OSError, ValueError):
        return None
    per_curve = frame.groupby(["config_key", "repeat"])["seconds"].agg(["sum", "count"])
    epochs = float(per_curve["count"].sum())
    return float(per_curve["sum"].sum()) / epochs if epochs else None


def _table_for(problem: str) -> Path | None:
    """The problem's shipped table to take recorded seconds from, if any."""
    for path in (shipped_table(problem, "sampled"), default_table(problem)):
        if path.is_file():
            return path
    return None


def _run_seconds(spec: RunSpec, per_epoch: float) -> float:
    """Training seconds of one run: its budget plus its final retrains, at full length."""
    evaluations = float(spec.full_evaluations or 0) + float(spec.retrain_repeats)
    return evaluations * spec.max_epochs * per_epoch


def estimate(runs: Sequence[RunSpec], pending: Sequence[RunSpec]) -> list[EntryEstimate]:
    """The dry run of a matrix: per problem entry, in plan order.

    Args:
        runs: Every planned run (:attr:`MatrixRunner.runs`).
        pending: Those still to execute (:meth:`MatrixRunner.pending`).
    """
    todo = {id(r) for r in pending}
    labels = list(dict.fromkeys(r.problem_label or r.problem for r in runs))
    out = []
    for label in labels:
        mine = [r for r in runs if (r.problem_label or r.problem) == label]
        left = [r for r in mine if id(r) in todo]
        mode = mine[0].mode
        seconds: float | None = None
        if backend_class(mode).simulated:
            source = "simulated clock: no training"
        elif any(r.full_evaluations is None for r in left):
            capped = [r.seconds or 0.0 for r in left]
            seconds, source = float(sum(capped)), "the runs' seconds budgets"
        else:
            table = _table_for(mine[0].problem)
            per_epoch = None if table is None else _seconds_per_epoch(table)
            if table is None or per_epoch is None:
                source = "no recorded table to estimate from"
            else:
                seconds = sum(_run_seconds(r, per_epoch) for r in left)
                source = f"recorded seconds of {table.name}"
        out.append(EntryEstimate(label, mode, len(mine), len(left), seconds, source))
    return out


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def format_estimate(entries: Sequence[EntryEstimate], workers: int) -> list[str]:
    """The dry run's lines: one per entry, then the total training time on ``workers``."""
    on = f"on {workers} worker{'s' if workers != 1 else ''}"
    lines = []
    total = 0.0
    for e in entries:
        done = e.planned - e.pending
        line = (
            f"{e.label:<28} {e.mode:<9} {e.planned:>5} runs, {done:>5} complete, "
            f"{e.pending:>5} to run"
        )
        if e.train_seconds is not None and e.pending:
            total += e.train_seconds
            line += f"; about {_duration(e.train_seconds / workers)} {on}"
        lines.append(f"{line} ({e.source})")
    if total:
        lines.append(f"live training left: about {_duration(total / workers)} {on}")
    return lines
