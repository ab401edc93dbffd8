"""``python -m tunebench``."""

from __future__ import annotations

from tunebench.cli.commands import main

main()
