"""Problems defined in a local Python file, named by a matrix entry's ``module``.

Trying the suite on one's own model should not need a package: a matrix entry
``name = "my-problem"`` with ``module = "my_problem.py"`` (relative to the matrix
file) imports that file and uses the :class:`~tunebench.datasets.problem.Problem`
subclass it defines with that ``name``. Loading a file returns the problems it
defines; nothing is added to a global registry: whoever needs them (the matrix's plan
and checks, a worker opening a run) loads the file named by the entry or the run spec
(imports are cached per process). Every run records the file's path and SHA-256 in its
provenance.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tunebench.datasets import available_problems
from tunebench.datasets.problem import Problem
from tunebench.errors import TunebenchError, describe_exception

__all__ = ["ProblemFileError", "known_problems", "load_problem_file", "problem_file_provenance"]

# The import cache: resolved path -> (sha256, the problems it defines). A file is
# imported once per process (its classes must stay the same objects for pickling).
_LOADED: dict[Path, tuple[str, dict[str, type[Problem]]]] = {}


class ProblemFileError(TunebenchError, ValueError):
    """A problem file that does not exist, does not import, or defines no problem."""


def load_problem_file(path: Path) -> dict[str, type[Problem]]:
    """Import a problem file (once per process) and return the problems it defines.

    Args:
        path: The Python file.

    Returns:
        Name -> class of every named ``Problem`` subclass the file itself defines.

    Raises:
        ProblemFileError: No such file, an error while importing it, or no problem in it.
    """
    path = path.resolve()
    if path in _LOADED:
        return dict(_LOADED[path][1])
    if not path.is_file():
        raise ProblemFileError(f"no such file: {path}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    name = f"tunebench_problem_file_{digest[:16]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ProblemFileError(f"{path} is not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # classes defined in it must be importable by name (pickling)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ProblemFileError(f"{path} could not be imported: {describe_exception(exc)}") from exc
    found = {
        obj.name: obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, Problem)
        and obj.__module__ == name
        and bool(obj.name)
    }
    if not found:
        raise ProblemFileError(
            f"{path} defines no Problem subclass with a name (class attribute `name`)"
        )
    _LOADED[path] = (digest, found)
    return dict(found)


def problem_file_provenance(path: Path) -> dict[str, Any]:
    """The file's resolved path and SHA-256, as runs record them (loads it if needed)."""
    load_problem_file(path)
    resolved = path.resolve()
    return {"path": str(resolved), "sha256": _LOADED[resolved][0]}


def known_problems(
    module: str | Path | None = None, problems: Mapping[str, type[Problem]] | None = None
) -> dict[str, type[Problem]]:
    """The problems a run can name: a registry plus those of its problem file.

    Args:
        module: A problem file (a run spec's ``problem_module``); None for none.
        problems: The registry to start from (default: every registered problem).

    Returns:
        Name -> class; the file's problems win over registered ones of the same name.

    Raises:
        ProblemFileError: The file cannot be loaded.
    """
    known = dict(available_problems() if problems is None else problems)
    if module is not None:
        known.update(load_problem_file(Path(module)))
    return known
