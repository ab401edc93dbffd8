"""The learning-curve tables and surrogates that ship with the package, and their backends.

A replay entry that names no table serves its problem's shipped table, and a surrogate
entry its shipped surrogate; a live entry trains on the Keras backend its problem's
table was recorded with, so live runs confirm a table on the table's own backend.
"""

from __future__ import annotations

from pathlib import Path

from tunebench.curves.table import TableError, read_table_meta
from tunebench.runspec import KERAS_BACKENDS

__all__ = [
    "DEFAULT_BACKEND",
    "SHIPPED_TABLES",
    "default_backend",
    "default_table",
    "shipped_surrogate",
    "shipped_table",
    "table_backend",
]

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
    (README, "Keras backend, threads and speed"), so following the table makes live
    runs both fast and comparable with replay. Problems without a table: ``DEFAULT_BACKEND``.
    """
    return table_backend(default_table(problem)) or DEFAULT_BACKEND
