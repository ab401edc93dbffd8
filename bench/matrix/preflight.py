"""Load-time checks: refuse a matrix that would fail run by run, before anything runs.

:func:`check_matrix` goes through everything a run needs that is knowable from
the matrix, the problem and strategy registries and the files on disk, and
raises one :class:`~tunebench.matrix.schema.MatrixError` (file, line, key, what is
wrong) for the first thing that would fail. It writes nothing. What it checks:

* every problem entry's ``params`` construct the problem;
* replay entries: the table exists, is a readable tunebench table, was recorded
  for this problem, for its current space, and with the entry's problem options
  and subsample (where the entry sets them); ``max_epochs`` is at most the
  table's epochs (left out, it is the table's);
* live entries: the Keras backend is installed, and the data files are present
  and pass their checksums (the data is loaded once here; an inline run reuses it);
* every strategy entry's ``params`` pass the strategy's ``check_params``, which
  also refuses a missing optional dependency with its install command;
* multi-objective entries (``objectives``): their mode supports them (replay, live and
  surrogate), the table that fixes their hypervolume frame fits them (replay: the table
  served; live: the entry's ``table``, else the problem's default table, recorded for
  this problem at the entry's data settings; surrogate: the table the surrogate was
  fitted on, found by its checksum, and the data its models are built on) and has the
  column each objective needs (naming the command that adds it), and every strategy is
  multi-objective; a multi-objective strategy on a single-objective entry is refused
  too.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tunebench.backends.base import CheckContext, EntryError, TrialBackend
from tunebench.backends.live import problem_data
from tunebench.backends.registry import BACKENDS, backend_class
from tunebench.curves.table import TableError
from tunebench.datasets import Problem
from tunebench.errors import one_line
from tunebench.matrix.plan import entry_mode, plan_context
from tunebench.matrix.schema import Loc, Matrix, MatrixError, locate
from tunebench.objectives import ObjectiveError, check_objectives, require_columns

__all__ = ["check_matrix"]


class _Checker:
    def __init__(self, matrix: Matrix, source: Path) -> None:
        self.matrix = matrix
        self.source = source
        try:
            self.text = source.read_text(encoding="utf-8")
        except OSError:
            self.text = ""

    def fail(self, loc: Loc, message: str) -> MatrixError:
        return locate(os.fspath(self.source), self.text, loc, message)


def check_matrix(
    matrix: Matrix,
    source: Path,
    *,
    problems: Mapping[str, type[Problem]],
    strategies: Mapping[str, Callable[..., Any]],
    data_dir: Path | None = None,
    base_dir: Path | None = None,
    load_data: bool = True,
) -> list[str]:
    """Refuse, in one line, a matrix whose runs would fail; write nothing.

    Each problem entry is checked by its mode's backend class
    (:meth:`~tunebench.backends.base.TrialBackend.check_entry`).

    Args:
        matrix: The parsed matrix.
        source: Its file (for line numbers in messages).
        problems: The problem registry.
        strategies: The strategy registry.
        data_dir: Local dataset copies (as ``tunebench run --data-dir``).
        base_dir: Folder relative table paths are relative to (default: the file's).
        load_data: Load and verify live entries' data (tests of other checks skip it).

    Returns:
        Warnings about entries that can run but deserve one (a table too sparse for its
        space), one line each, naming the file and entry.

    Raises:
        MatrixError: The first entry, in file order, that cannot run.
    """
    check = _Checker(matrix, source)
    warnings: list[str] = []
    base = base_dir if base_dir is not None else source.resolve().parent
    for i, entry in enumerate(matrix.problems):
        cls = problems[entry.name]
        try:
            problem = cls(**entry.params)
        except (TypeError, ValueError) as exc:
            allowed = ", ".join(cls.param_names()) or "none"
            raise check.fail(
                ("problems", i, "params"), f"{one_line(exc)}; allowed parameters: {allowed}"
            ) from None
        backend = backend_class(entry_mode(matrix, entry))
        ctx = CheckContext(
            base_dir=base,
            plan=backend.entry_plan(entry, plan_context(matrix, entry, base, problems)),
            backend_at=("execution", "backend") if matrix.execution.backend else ("problems", i),
            data_dir=data_dir,
            load_data=functools.partial(problem_data, problems=problems) if load_data else None,
        )
        try:
            backend.check_entry(entry, problem, ctx)
        except EntryError as exc:
            where: Loc = exc.at or ("problems", i, *(exc.key or ("name",)))
            raise check.fail(where, exc.message) from None
        warnings += [str(check.fail(("problems", i, "name"), w)) for w in ctx.warnings]
        if entry.objectives is not None:
            _check_objectives_entry(check, i, backend, problem, ctx)
    _check_strategy_objectives(check, strategies)
    for j, sentry in enumerate(matrix.strategies):
        try:
            strategies[sentry.name](**sentry.params).check_params()
        except (TypeError, ValueError, ImportError) as exc:
            raise check.fail(("strategies", j, "params"), one_line(exc)) from None
    return list(dict.fromkeys(warnings))


def _check_objectives_entry(
    check: _Checker, i: int, backend: type[TrialBackend], problem: Problem, ctx: CheckContext
) -> None:
    """A multi-objective entry: its mode supports objectives, its frame table fits it.

    The frame table (:meth:`~tunebench.backends.base.TrialBackend.objective_table`) must
    fit the entry and have the columns of its objectives.
    """
    entry = check.matrix.problems[i]
    assert entry.objectives is not None
    at: Loc = ("problems", i, "objectives")
    supported = sorted(m for m, cls in BACKENDS.items() if cls.supports_objectives)
    if not backend.supports_objectives:
        raise check.fail(
            at,
            f"multi-objective runs are supported in modes {', '.join(supported)}; this "
            f"entry runs in mode {backend.mode!r}",
        )
    table = backend.objective_table(entry, ctx.base_dir)
    if table is None:  # pragma: no cover - a mode that supports objectives names one
        raise check.fail(at, "this entry's mode names no table to fix its hypervolume frame")
    try:
        backend.check_objective_table(entry, problem, table, ctx)
    except EntryError as exc:
        where: Loc = exc.at or ("problems", i, *(exc.key or ("objectives",)))
        raise check.fail(where, exc.message) from None
    try:
        require_columns(table, check_objectives(entry.objectives))
    except (ObjectiveError, TableError) as exc:
        raise check.fail(at, one_line(exc)) from None


def _check_strategy_objectives(
    check: _Checker, strategies: Mapping[str, Callable[..., Any]]
) -> None:
    """Single-objective strategies only on single-objective entries, and the reverse."""
    multi = [(i, e) for i, e in enumerate(check.matrix.problems) if e.objectives is not None]
    single = [e for e in check.matrix.problems if e.objectives is None]
    mo_names = sorted(n for n, f in strategies.items() if getattr(f, "multi_objective", False))
    for j, sentry in enumerate(check.matrix.strategies):
        is_multi = bool(getattr(strategies[sentry.name], "multi_objective", False))
        if multi and not is_multi:
            i, entry = multi[0]
            raise check.fail(
                ("strategies", j, "name"),
                f"strategy {sentry.name!r} is single-objective, but problem entry "
                f"{entry.label!r} (problems[{i}]) has objectives {entry.objectives}; "
                f"multi-objective strategies: {', '.join(mo_names) or '(none registered)'}",
            )
        if single and is_multi:
            raise check.fail(
                ("strategies", j, "name"),
                f"strategy {sentry.name!r} is multi-objective, but problem entry "
                f"{single[0].label!r} has no objectives; set objectives on it, or run it "
                "in a matrix of its own",
            )
