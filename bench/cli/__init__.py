"""The ``tunebench`` command: parse the arguments, call the library, print."""

from __future__ import annotations

from tunebench.cli.commands import app, main

__all__ = ["app", "main"]
