"""One run in a fresh Python process of its own.

Keras picks its backend once per process, and TensorFlow keeps memory of every model a
process built (docs/explanation/limitations.md). A run therefore executes in a child process when
the current one has Keras on another backend, when its strategy needs a fixed
``PYTHONHASHSEED`` that this process lacks (SMAC), or when the executor asks for it
(Dask workers are never recycled, so their live runs each get a child). A subprocess rather
than :mod:`multiprocessing`: Dask workers are daemonic, and daemonic processes may not
start multiprocessing children.
"""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tunebench.errors import TunebenchError

__all__ = ["ChildRunError", "call_in_child"]

#: The last characters of a dead child's stderr kept in the failed run's record.
_STDERR_TAIL = 4000


class ChildRunError(TunebenchError, RuntimeError):
    """The child process of a run exited without an outcome (killed, crashed).

    Attributes:
        status: The child's exit status.
        stderr_tail: The last characters the child wrote to stderr.
    """

    def __init__(self, message: str, status: int = 0, stderr_tail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.stderr_tail = stderr_tail


def call_in_child(function: str, argument: Any, env: Mapping[str, str] | None = None) -> Any:
    """Call ``function(argument)`` in a fresh interpreter and return what it returns.

    The child reads the argument from and writes the result to files in a temporary
    folder (pickles of tunebench's own dataclasses, between processes of one
    installation). The function is named, not imported here, so this module depends on
    nothing it runs.

    Args:
        function: ``"package.module:name"`` of a module-level function.
        argument: Its one argument (picklable).
        env: Environment variables to set in the child, beside this process's.

    Raises:
        ChildRunError: The child exited without a result (its status and stderr kept).
    """
    with tempfile.TemporaryDirectory(prefix="tunebench-child-") as tmp:
        arg_file, result_file = Path(tmp) / "task.pkl", Path(tmp) / "outcome.pkl"
        arg_file.write_bytes(pickle.dumps(argument))
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "tunebench.execution.child_process",
                function,
                str(arg_file),
                str(result_file),
            ],
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        if proc.returncode == 0 and result_file.is_file():
            return pickle.loads(result_file.read_bytes())
        raise ChildRunError(
            f"the child process exited with status {proc.returncode} and no outcome",
            proc.returncode,
            proc.stderr[-_STDERR_TAIL:],
        )


def _main(function: str, arg_file: str, result_file: str) -> None:
    module, name = function.split(":")
    result = getattr(importlib.import_module(module), name)(
        pickle.loads(Path(arg_file).read_bytes())
    )
    Path(result_file).write_bytes(pickle.dumps(result))


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2], sys.argv[3])
