"""The learning-curve tables and surrogates that ship with the package, and their backends.

A replay entry that names no table serves its problem's shipped table, and a surrogate
entry its shipped surrogate; a live entry trains on the Keras backend its problem's
table was recorded with, so live runs confirm a table on the table's own backend.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

from tunebench.curves.table import TableError, read_table_meta
from tunebench.runspec import KERAS_BACKENDS

__all__ = [
    "DATA_FILE_KEYS",
    "DEFAULT_BACKEND",
    "PACKAGE_PREFIX",
    "SHIPPED_TABLES",
    "default_backend",
    "default_table",
    "portable_path",
    "portable_source",
    "recorded_path",
    "shipped_surrogate",
    "shipped_table",
    "table_backend",
]

#: How a record names a file that ships inside the package: this prefix, then its path
#: relative to the package's ``datasets`` folder (``tunebench.datasets:tables/x.parquet``).
PACKAGE_PREFIX = "tunebench.datasets:"

#: The Keras backend of a live run whose problem ships no table to follow (plug-in
#: problems); a matrix's ``[execution] backend`` or ``tabulate --backend`` overrides it.
DEFAULT_BACKEND = "tensorflow"

#: Names a matrix's ``table`` may use for a problem's shipped tables, and their folders.
SHIPPED_TABLES = {"grid": "", "sampled": "sampled"}


def _datasets_folder() -> Path:
    import tunebench.datasets

    return Path(tunebench.datasets.__file__).parent


def shipped_table(problem: str, kind: str = "grid") -> Path:
    """Where a learning-curve table shipped for ``problem`` lives.

    Args:
        problem: The problem's name.
        kind: ``"grid"`` (the coarse grid of its ``table_space()``) or ``"sampled"``
            (configs sampled from its full ``space()``).
    """
    return _datasets_folder() / "tables" / SHIPPED_TABLES[kind] / f"{problem}.parquet"


def default_table(problem: str) -> Path:
    """The learning-curve table a replay entry that names no ``table`` serves.

    The problem's shipped sampled table (configs drawn from its full ``space()``), so
    that a default matrix can tell strategies apart; its shipped grid table only where
    no sampled one ships yet. The grid tables stay available as ``table = "grid"``,
    the small smoke tables.
    """
    sampled = shipped_table(problem, "sampled")
    return sampled if sampled.is_file() else shipped_table(problem, "grid")


def shipped_surrogate(problem: str) -> Path:
    """Where the surrogate shipped for ``problem`` lives (``tunebench surrogate fit``)."""
    return _datasets_folder() / "surrogates" / f"{problem}.json.gz"


def table_backend(path: Path) -> str | None:
    """The Keras backend a table was recorded with (its metadata), or ``None``.

    ``None`` when the file is missing or unreadable (the load-time checks refuse a
    replay entry whose table is) or records no known backend.
    """
    try:
        backend = read_table_meta(path).get("backend")
    except TableError:
        return None
    return backend if backend in KERAS_BACKENDS else None


def default_backend(problem: str) -> str:
    """The backend a problem trains on by default: that of its shipped default table.

    Each shipped table was recorded on the backend measured fastest for its problem
    (docs/explanation/determinism.md, "Keras backend, threads"), so following the table makes live
    runs both fast and comparable with replay. Problems without a table: ``DEFAULT_BACKEND``.
    """
    return table_backend(default_table(problem)) or DEFAULT_BACKEND


def _inside(path: Path, folder: Path) -> PurePosixPath | None:
    try:
        return PurePosixPath(path.resolve().relative_to(folder.resolve()).as_posix())
    except (ValueError, OSError):
        return None


def portable_path(
    text: str, data_dir: str | os.PathLike[str] | None = None, *, elsewhere: str = "keep"
) -> str:
    """How a record names a file, without the recording machine's path where it can.

    A file shipped in the package: ``tunebench.datasets:<path inside datasets/>``; one in
    the data folder: its path relative to that folder; any other absolute path: kept
    (``elsewhere="keep"``: the user's own table, which readers must find again) or only
    its file name (``elsewhere="name"``: a data file whose checksum is recorded beside).
    A relative path, or text that is no path, is kept as it is.

    Args:
        text: The path as the process used it.
        data_dir: The data folder of the run (``--data-dir``), if any.
        elsewhere: ``"keep"`` or ``"name"``, for a file neither shipped nor in the data folder.
    """
    if not os.path.isabs(text):
        return text
    path = Path(text)
    shipped = _inside(path, _datasets_folder())
    if shipped is not None:
        return f"{PACKAGE_PREFIX}{shipped}"
    if data_dir is not None:
        in_data = _inside(path, Path(data_dir))
        if in_data is not None and str(in_data) != ".":
            return str(in_data)
    return path.name if elsewhere == "name" else text


#: Keys of a data source's facts that name a data file (its checksum is recorded beside).
DATA_FILE_KEYS = ("file", "cache_file")


def portable_source(
    facts: dict[str, Any], data_dir: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """A data source's facts (a run's or a table's ``data``) without this machine's paths.

    Data files are named relative to the data folder, else by file name; a replayed table
    by :func:`portable_path`. Other facts are kept.
    """
    out = dict(facts)
    for key in DATA_FILE_KEYS:
        if isinstance(out.get(key), str):
            out[key] = portable_path(out[key], data_dir, elsewhere="name")
    if isinstance(out.get("table"), str):
        out["table"] = portable_path(out["table"], data_dir)
    return out


def recorded_path(text: str) -> Path:
    """The file a record names, in either form it was written.

    ``tunebench.datasets:<path>`` (records since issue 38) is the file in this install's
    package. An absolute path (older records) is kept when it exists here; one that
    does not but names a file shipped in a ``datasets/`` folder (a checkout elsewhere)
    is this install's copy of that file, when there is one.
    """
    if text.startswith(PACKAGE_PREFIX):
        return _datasets_folder() / text.removeprefix(PACKAGE_PREFIX)
    path = Path(text)
    if path.is_absolute() and not path.exists() and "datasets" in path.parts:
        tail = path.parts[len(path.parts) - path.parts[::-1].index("datasets") :]
        here = _datasets_folder().joinpath(*tail)
        if here.is_file():
            return here
    return path
