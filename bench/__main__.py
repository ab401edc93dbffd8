"""``python -m tunebench``."""

from __future__ import annotations

from tunebench.cli import main

main()
