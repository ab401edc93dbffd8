"""The results folder: ``<root>/<matrix>/`` holds one matrix's runs and its ``matrix.json``."""

from __future__ import annotations

from pathlib import Path

from tunebench.errors import TunebenchError

__all__ = ["MATRIX_FILE", "ResultsFolderError", "matrix_folders", "resolve_matrix_folder"]

MATRIX_FILE = "matrix.json"


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
