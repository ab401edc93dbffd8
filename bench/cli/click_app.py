"""The ``tunebench`` command as a click object, for tools that read click (the docs' CLI page)."""

from __future__ import annotations

import typer.main

from tunebench.cli.commands import app

__all__ = ["cli"]

#: The Typer app as the click group it runs as: ``cli.commands``, ``make_context``.
cli = typer.main.get_command(app)
