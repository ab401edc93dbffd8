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
  also refuses a missing optional dependency with its install command.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tunebench.curves.table import TableError, read_table_meta, table_space
from tunebench.datasets import Problem
from tunebench.matrix.plan import entry_backend, entry_mode, entry_surrogate, entry_table
from tunebench.matrix.schema import Loc, Matrix, MatrixError, locate

__all__ = ["BACKEND_INSTALL", "check_matrix"]

#: How to install each Keras backend tunebench can run on.
BACKEND_INSTALL = {
    "tensorflow": "pip install tensorflow-cpu",
    "torch": "pip install torch --index-url https://download.pytorch.org/whl/cpu",
    "jax": "pip install jax",
}


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


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


def _check_surrogate(check: _Checker, index: int, problem: Problem, base_dir: Path) -> None:
    """A surrogate entry's file: present, readable, for this problem and space, long enough."""
    from tunebench.curves.surrogate import SurrogateError, read_surrogate_meta

    entry = check.matrix.problems[index]
    path = entry_surrogate(entry, base_dir)
    at: Loc = ("problems", index, "surrogate") if entry.surrogate else ("problems", index, "name")
    shown = entry.surrogate or str(path)
    fit = f"tunebench surrogate fit {entry.name}"
    try:
        meta = read_surrogate_meta(path)
    except SurrogateError as exc:
        reason = str(exc).removeprefix(f"{path}: ")
        if not path.is_file():
            reason = f"{entry.name!r} has no surrogate here; fit one with {fit}"
        raise check.fail(at, f"surrogate {shown}: {reason}") from None
    _check_recorded_for(
        check, index, at, meta, problem.space().fingerprint(), f"surrogate {shown}", "fitted",
        f"refit it with {fit}", lambda epochs: f"surrogate {shown} predicts",
    )  # fmt: skip


def _check_recorded_for(
    check: _Checker,
    index: int,
    at: Loc,
    meta: Mapping[str, Any],
    expected: str,
    what: str,
    verb: str,
    remedy: str,
    holds: Callable[[int], str],
) -> None:
    """What a table's or a surrogate's metadata must say: this problem, this space, enough epochs.

    Args:
        check: The matrix's checker.
        index: The problem entry.
        at: Where a wrong problem or space is reported.
        meta: The file's metadata.
        expected: The space fingerprint the file must carry.
        what: The file as the message names it (``"table x.parquet"``).
        verb: How it came to be (``"recorded"``, ``"fitted"``).
        remedy: What to do about another space.
        holds: The end of the message for too few epochs, given the file's epochs.
    """
    entry = check.matrix.problems[index]
    if meta.get("problem") != entry.name:
        raise check.fail(
            at, f"{what} was {verb} for problem {meta.get('problem')!r}, not {entry.name!r}"
        )
    if meta.get("space_fingerprint") != expected:
        raise check.fail(
            at,
            f"{what} was {verb} for another search space of {entry.name!r} "
            f"(space hash {str(meta.get('space_fingerprint'))[:12]}, the problem's is "
            f"{expected[:12]}); {remedy}",
        )
    epochs = int(meta.get("epochs", 0))
    if entry.max_epochs is not None and entry.max_epochs > epochs:
        raise check.fail(
            ("problems", index, "max_epochs"),
            f"{entry.max_epochs} is more than the {epochs} epochs {holds(epochs)}",
        )


def _check_table(
    check: _Checker, index: int, problem: Problem, base_dir: Path
) -> None:  # fmt: skip
    entry = check.matrix.problems[index]
    path = entry_table(entry, base_dir)
    at: Loc = ("problems", index, "table") if entry.table else ("problems", index, "name")
    shown = entry.table or str(path)
    try:
        meta = read_table_meta(path)
    except TableError as exc:
        reason = str(exc).removeprefix(f"{path}: ")
        raise check.fail(at, f"table {shown}: {reason}") from None
    _check_recorded_for(
        check, index, at, meta, table_space(problem, meta).fingerprint(), f"table {shown}",
        "recorded", "re-record it with tunebench tabulate",
        lambda epochs: f"table {shown} holds; leave max_epochs out to replay all {epochs}",
    )  # fmt: skip
    try:
        recorded = type(problem)(**(meta.get("problem_params") or {})).get_params()
    except (TypeError, ValueError):
        recorded = dict(meta.get("problem_params") or {})
    mine = problem.get_params()
    for key in entry.params:  # only what the entry sets: the rest follows the table
        if mine.get(key) != recorded.get(key):
            raise check.fail(
                ("problems", index, "params", key),
                f"{mine.get(key)!r} differs from the {recorded.get(key)!r} table {shown} was "
                "recorded with; replay serves that training, so record a table with these params",
            )
    if entry.subsample is not None and entry.subsample != meta.get("subsample"):
        raise check.fail(
            ("problems", index, "subsample"),
            f"{entry.subsample} differs from the subsample table {shown} was recorded with "
            f"({meta.get('subsample')}); leave it out in replay",
        )


def _check_live_data(
    check: _Checker,
    index: int,
    data_dir: Path | None,
    load: Callable[..., Any],
) -> None:
    from tunebench.datasets.files import DatasetError

    entry = check.matrix.problems[index]
    try:
        load(
            entry.name,
            dict(entry.params),
            entry.subsample,
            None if data_dir is None else str(data_dir),
        )
    except (DatasetError, OSError, ValueError) as exc:
        raise check.fail(("problems", index, "name"), f"data: {_one_line(exc)}") from None


def _check_plugin_problem(
    check: _Checker, index: int, data_dir: Path | None, base_dir: Path, backend: str
) -> None:
    """A live entry's plug-in problem must pass the run-time checks of the problem kit.

    Plug-ins are problems of the ``tunebench.problems`` entry points and of ``module``
    files. The checks run in a process of their own, on the entry's ``backend``, so this
    one never imports Keras for them.
    """
    import json
    import os
    import subprocess
    import sys

    from tunebench.datasets import Problem
    from tunebench.datasets.testing import RUN_CHECKS
    from tunebench.matrix.plan import entry_module
    from tunebench.plugins import load_registry

    entry = check.matrix.problems[index]
    module = entry_module(entry, base_dir)
    if module is None and entry.name not in load_registry("tunebench.problems", {}, Problem):
        return  # a built-in: the test suite runs the whole kit on it
    cmd = [sys.executable, "-m", "tunebench.datasets.testing", entry.name,
           "--params", json.dumps(dict(entry.params))]  # fmt: skip
    if module is not None:
        cmd += ["--module", module]
    if data_dir is not None:
        cmd += ["--data-dir", str(data_dir)]
    env = {**os.environ, "KERAS_BACKEND": backend,
           "TF_CPP_MIN_LOG_LEVEL": "3"}  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        finding = " ".join((lines[-1] if lines else f"exit status {done.returncode}").split())
        raise check.fail(
            ("problems", index, "name"),
            f"problem {entry.name!r} fails the problem kit's run checks "
            f"({', '.join(RUN_CHECKS)}): {finding}",
        )


def check_matrix(
    matrix: Matrix,
    source: Path,
    *,
    problems: Mapping[str, type[Problem]],
    strategies: Mapping[str, Callable[..., Any]],
    data_dir: Path | None = None,
    base_dir: Path | None = None,
    load_data: bool = True,
) -> None:
    """Refuse, in one line, a matrix whose runs would fail; write nothing.

    Args:
        matrix: The parsed matrix.
        source: Its file (for line numbers in messages).
        problems: The problem registry.
        strategies: The strategy registry.
        data_dir: Local dataset copies (as ``tunebench run --data-dir``).
        base_dir: Folder relative table paths are relative to (default: the file's).
        load_data: Load and verify live entries' data (tests of other checks skip it).

    Raises:
        MatrixError: The first entry, in file order, that cannot run.
    """
    from tunebench.backends.registry import problem_data

    check = _Checker(matrix, source)
    base = base_dir if base_dir is not None else source.resolve().parent
    for i, entry in enumerate(matrix.problems):
        cls = problems[entry.name]
        try:
            problem = cls(**entry.params)
        except (TypeError, ValueError) as exc:
            allowed = ", ".join(cls.param_names()) or "none"
            raise check.fail(
                ("problems", i, "params"), f"{_one_line(exc)}; allowed parameters: {allowed}"
            ) from None
        if entry_mode(matrix, entry) == "replay":
            _check_table(check, i, problem, base)
            continue
        if entry_mode(matrix, entry) == "surrogate":
            _check_surrogate(check, i, problem, base)
            continue
        backend = entry_backend(matrix, entry, base)
        if importlib.util.find_spec(backend) is None:
            where = ("execution", "backend") if matrix.execution.backend else ("problems", i)
            raise check.fail(
                where,
                f"live entry {entry.label!r} trains with Keras on {backend!r}, which is not "
                f"installed; {BACKEND_INSTALL.get(backend, f'pip install {backend}')}",
            )
        if load_data:
            _check_live_data(check, i, data_dir, problem_data)
            _check_plugin_problem(check, i, data_dir, base, backend)
    for j, sentry in enumerate(matrix.strategies):
        try:
            strategies[sentry.name](**sentry.params).check_params()
        except (TypeError, ValueError, ImportError) as exc:
            raise check.fail(("strategies", j, "params"), _one_line(exc)) from None
