"""The ``tunebench`` Typer app and what its commands share: errors, exit codes, options.

Exit codes: 0 success; 1 some runs failed (the rest are recorded), a results folder
that cannot be written (read-only, full), or records that fail ``check --integrity``; 2 bad
input (matrix file, results folder of another matrix, backend), nothing written.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Annotated

import typer

from tunebench import __version__

__all__ = ["EXIT_CODES", "DataDir", "app"]

#: The exit codes, as every command's --help ends with them.
EXIT_CODES = (
    "Exit codes: 0 success; 1 some runs failed (the rest are recorded), a results folder "
    "that cannot be written, or a check that does not hold; 2 bad input (matrix file, "
    "names, options, a results folder of another matrix), nothing written."
)

app = typer.Typer(
    name="tunebench",
    help="Benchmark hyperparameter-search strategies under matched budgets.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"tunebench: error: {message}", err=True)
    return typer.Exit(code)


def _warn(line: str) -> None:
    typer.echo(f"tunebench: warning: {line}", err=True)


#: What a folder that cannot be written answers: read-only, no permission, full, over quota.
_CANNOT_WRITE = {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT}


def _cannot_write(exc: OSError, folder: Path | None = None) -> typer.Exit:
    """One line for a folder that cannot be written (read-only, full, no permission)."""
    where = exc.filename or folder
    return _fail(f"cannot write{f' {where}' if where else ''}: {exc.strerror or exc}", code=1)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tunebench {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Benchmark hyperparameter-search strategies under matched budgets."""


DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar=["TUNEBENCH_DATA", "TUNEBENCH_DATA_DIR"],
        help="Folder with local copies of dataset files (env TUNEBENCH_DATA).",
    ),
]


def _results(path: Path) -> Path:
    """The matrix results folder ``path`` names (its parent works when it holds one)."""
    from tunebench.records.layout import ResultsFolderError, resolve_matrix_folder

    try:
        folder, note = resolve_matrix_folder(path)
    except ResultsFolderError as exc:
        raise _fail(str(exc)) from None
    if note:
        typer.echo(note, err=True)
    return folder
