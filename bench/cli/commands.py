"""The ``tunebench`` command line: the app with every command registered, and ``main``.

The commands live by what they work on: :mod:`~tunebench.cli.running` (run, tabulate),
:mod:`~tunebench.cli.listing` (list), :mod:`~tunebench.cli.surrogates` (surrogate),
:mod:`~tunebench.cli.results` (check, collect, export, report, figures, summary); the app,
its exit codes and shared options are :mod:`~tunebench.cli.app`'s. Importing them
registers their commands on the app, in the order ``tunebench --help`` lists them.
"""

from __future__ import annotations

import logging
import os

import typer

from tunebench.cli import listing, results  # noqa: F401  (their commands register on app)
from tunebench.cli.app import EXIT_CODES, app
from tunebench.cli.running import BackendName, _problem_params, shipped_matrices
from tunebench.cli.surrogates import LinkName

__all__ = [
    "EXIT_CODES",
    "BackendName",
    "LinkName",
    "_problem_params",
    "app",
    "main",
    "shipped_matrices",
]


def main() -> None:
    """Console-script entry point."""
    from tunebench.errors import TunebenchError, one_line

    logging.basicConfig(level=os.environ.get("TUNEBENCH_LOG", "WARNING"))
    try:
        app()
    except TunebenchError as exc:  # the one place a tunebench error meets the user
        typer.echo(f"tunebench: error: {one_line(str(exc))}", err=True)
        raise SystemExit(exc.exit_code) from None
