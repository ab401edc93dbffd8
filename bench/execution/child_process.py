"""One run in a fresh Python process of its own.

Keras picks its backend once per process, and TensorFlow keeps memory of every model a
process built (README, "Known limit"). A run therefore executes in a child process when
the current one has Keras on another backend, when its strategy needs a fixed
``PYTHONHASHSEED`` that this process lacks (SMAC), or when the executor asks for it
(Dask workers are never recycled, so their live runs each get a child). A subprocess rather
than :mod:`multiprocessing`: Dask workers are daemonic, and daemonic processes may not
start multiprocessing children.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tunebench.errors import TunebenchError

if TYPE_CHECKING:
    from tunebench.execution.task import RunOutcome, RunTask

__all__ = ["ChildRunError", "execute_in_child"]

#: The last characters of a dead child's stderr kept in the failed run's record.
_STDERR_TAIL = 4000


class ChildRunError(TunebenchError, RuntimeError):
    """The child process of a run exited without an outcome (killed, crashed)."""


def execute_in_child(task: RunTask, env: Mapping[str, str] | None = None) -> RunOutcome:
    """Execute ``task`` in a fresh interpreter and return its outcome.

    The child reads the task from and writes the outcome to files in a temporary
    folder (pickles of tunebench's own dataclasses, between processes of one
    installation). A child that dies gives a failed outcome naming its exit status.

    Args:
        task: The run.
        env: Environment variables to set in the child, beside this process's.
    """
    from tunebench.execution.task import RunOutcome, failure

    with tempfile.TemporaryDirectory(prefix="tunebench-child-") as tmp:
        task_file, outcome_file = Path(tmp) / "task.pkl", Path(tmp) / "outcome.pkl"
        task_file.write_bytes(pickle.dumps(replace(task, isolate=False)))
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "tunebench.execution.child_process",
                str(task_file),
                str(outcome_file),
            ],
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        if proc.returncode == 0 and outcome_file.is_file():
            outcome: RunOutcome = pickle.loads(outcome_file.read_bytes())
            return outcome
        error = ChildRunError(
            f"the child process of run {task.spec.rel_dir} exited with status "
            f"{proc.returncode} and no outcome (killed or crashed)"
        )
        tail = proc.stderr[-_STDERR_TAIL:]
        return RunOutcome(task.spec, "failed", failure(task.spec, error, tail))


def _main(task_file: str, outcome_file: str) -> None:
    from tunebench.execution.task import execute_task

    task = pickle.loads(Path(task_file).read_bytes())
    outcome = execute_task(task)
    Path(outcome_file).write_bytes(pickle.dumps(outcome))


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2])
