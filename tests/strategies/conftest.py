"""Fixtures of the strategy tests."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture
def user_module(tmp_path: Path) -> Iterator[Callable[[str, str], None]]:
    """Write a module of the user's own and make it importable, as an installed package is."""
    names: list[str] = []
    folder = tmp_path / "user_modules"
    folder.mkdir()
    sys.path.insert(0, str(folder))

    def write(name: str, source: str) -> None:
        (folder / f"{name}.py").write_text(source)
        names.append(name)

    yield write
    sys.path.remove(str(folder))
    for name in names:
        sys.modules.pop(name, None)
