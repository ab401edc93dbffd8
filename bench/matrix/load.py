"""Reading a matrix file: TOML to a validated :class:`~tunebench.matrix.schema.Matrix`.

:func:`load_matrix` reads a file and :func:`parse_matrix` its text; both refuse a bad
matrix with one located line (:class:`~tunebench.matrix.messages.MatrixError`), and load
the problem files its entries name (``module``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)

from tunebench.matrix.messages import MatrixError, first_error, locate, toml_error
from tunebench.matrix.schema import (
    Matrix,
)
from tunebench.matrix.toml_lines import LineLocator

__all__ = ["load_matrix", "matrix_problems", "parse_matrix"]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib


def _load_modules(data: Any, text: str, source: str, base_dir: Path | None) -> set[str]:
    """Import the problem files that entries name in ``module``; the problem names they add.

    Raises:
        MatrixError: A file that does not exist, does not import, defines no problem, or
            not the entry's ``name`` (one line, at the entry's ``module`` key).
    """
    from tunebench.datasets.problem_files import ProblemFileError, load_problem_file

    entries = data.get("problems") if isinstance(data, dict) else None
    names: set[str] = set()
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        module = entry.get("module") if isinstance(entry, dict) else None
        if not isinstance(module, str):
            continue  # absent, or the wrong type: the schema reports it
        path = Path(module)
        path = path if path.is_absolute() else (base_dir or Path.cwd()) / path
        try:
            found = load_problem_file(path)
        except ProblemFileError as exc:
            raise locate(source, text, ("problems", i, "module"), str(exc)) from None
        name = entry.get("name")
        if isinstance(name, str) and name not in found:
            raise locate(
                source, text, ("problems", i, "name"),
                f"{module} defines the problems {', '.join(sorted(found))}, not {name!r}",
            )  # fmt: skip
        names |= set(found)
    return names


def matrix_problems(matrix: Matrix, base_dir: Path | None = None) -> dict[str, Any]:
    """Every problem a matrix can name: the registry's and those of its entries' files.

    Args:
        matrix: A matrix as :func:`parse_matrix` returns it (its files load).
        base_dir: Folder that an entry's ``module`` path is relative to (the matrix
            file's); default the working directory.

    Returns:
        Name -> problem class: built-ins and plug-ins, then the problems each entry's
        ``module`` file defines.
    """
    from tunebench.datasets import available_problems
    from tunebench.datasets.problem_files import load_problem_file

    problems: dict[str, Any] = dict(available_problems())
    for entry in matrix.problems:
        if entry.module is not None:
            path = Path(entry.module)
            problems.update(
                load_problem_file(path if path.is_absolute() else (base_dir or Path.cwd()) / path)
            )
    return problems


def parse_matrix(
    text: str,
    *,
    source: str,
    problems: Collection[str],
    strategies: Mapping[str, Callable[..., object]],
    base_dir: Path | None = None,
) -> Matrix:
    """Parse and validate the text of a matrix file.

    Args:
        text: TOML text.
        source: File name used in error messages.
        problems: Known problem names.
        strategies: Known strategy names mapped to their class; constructor signatures are
            used to check each strategy's ``params`` (skipped for ``**kwargs`` constructors).
        base_dir: Folder that an entry's ``module`` path is relative to (the matrix
            file's); default the working directory.

    Returns:
        The validated matrix.

    Raises:
        MatrixError: On the first problem in file order, as one line naming file, line, key
            path and what is allowed.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise toml_error(exc, source, text) from exc
    known = set(problems) | _load_modules(data, text, source, base_dir)
    try:
        return Matrix.model_validate(data, context={"problems": known, "strategies": strategies})
    except ValidationError as exc:
        raise first_error(exc, source, LineLocator(text), Matrix) from exc


def load_matrix(
    path: str | os.PathLike[str],
    *,
    problems: Collection[str],
    strategies: Mapping[str, Callable[..., object]],
) -> Matrix:
    """Read, parse and validate a matrix file.

    Args:
        path: The TOML file; error messages name it as given.
        problems: Known problem names.
        strategies: Known strategy names mapped to their class.

    Returns:
        The validated matrix.

    Raises:
        MatrixError: If the file cannot be read, is not UTF-8 TOML, or is not a valid matrix.
    """
    source = os.fspath(path)
    try:
        raw = Path(source).read_bytes()
    except FileNotFoundError:
        raise MatrixError(source, None, "", "file not found") from None
    except IsADirectoryError:
        raise MatrixError(source, None, "", "is a directory, not a file") from None
    except OSError as exc:
        raise MatrixError(source, None, "", f"cannot read file: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise MatrixError(source, line, "", "invalid TOML: not valid UTF-8 text") from exc
    return parse_matrix(
        text,
        source=source,
        problems=problems,
        strategies=strategies,
        base_dir=Path(source).resolve().parent,
    )
