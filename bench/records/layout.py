"""The results folder: ``<root>/<matrix>/`` holds one matrix's runs and its ``matrix.json``.

This module owns the layout: ``<matrix>/<problem label>/<strategy label>/seed=<k>/``
holds one run (``run.json`` and ``trials.jsonl``, see :mod:`tunebench.records.storage`).
Everything that lists runs goes through :func:`run_folders`.
"""

from __future__ import annotations

from pathlib import Path

from tunebench.errors import TunebenchError
from tunebench.records.storage import RUN_FILE, TRIALS_FILE

__all__ = [
    "MATRIX_FILE",
    "RUN_PATTERN",
    "ResultsFolderError",
    "matrix_folders",
    "resolve_matrix_folder",
    "run_folders",
    "run_key",
]

MATRIX_FILE = "matrix.json"

#: A run's folder, relative to its matrix's results folder.
RUN_PATTERN = "*/*/seed=*"


def run_folders(results: Path, *, with_file: str | None = None) -> list[Path]:
    """Every run folder of a matrix's results folder, sorted.

    Args:
        results: ``results/<matrix>``.
        with_file: Only folders holding this file (``run.json`` or ``trials.jsonl``);
            ``None``: folders holding either.
    """
    names = (RUN_FILE, TRIALS_FILE) if with_file is None else (with_file,)
    found = {p.parent for name in names for p in results.glob(f"{RUN_PATTERN}/{name}")}
    return sorted(found)


def run_key(run_dir: Path) -> tuple[str, str, int]:
    """``(problem label, strategy label, seed)`` of a run folder."""
    problem, strategy, seed_part = run_dir.parts[-3:]
    return problem, strategy, int(seed_part.split("=", 1)[1])


class ResultsFolderError(TunebenchError, FileNotFoundError):
    """A path that is not one matrix's results folder (one line, naming what is there)."""


def matrix_folders(root: Path) -> list[Path]:
    """The matrix results folders directly inside ``root`` (those with a ``matrix.json``)."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / MATRIX_FILE).is_file())


def resolve_matrix_folder(path: Path) -> tuple[Path, str | None]:
    """``path`` itself when it is a matrix's results folder, else the one matrix folder in it.

    Args:
        path: What the user named: ``results/smoke``, or its parent ``results``.

    Returns:
        The folder to read and, when it is not ``path``, a one-line note saying so.

    Raises:
        ResultsFolderError: ``path`` holds several matrix folders (the message names them).
    """
    if (path / MATRIX_FILE).is_file() or not path.is_dir():
        return path, None
    found = matrix_folders(path)
    if len(found) == 1:
        return found[0], f"using {found[0]}, the one matrix folder in {path}"
    if found:
        names = ", ".join(p.name for p in found)
        raise ResultsFolderError(
            f"{path} holds {len(found)} matrix results folders ({names}); name one, e.g. {found[0]}"
        )
    return path, None
