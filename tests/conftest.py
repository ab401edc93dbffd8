"""Shared fixtures. Tests train real (tiny) Keras models on real data."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _pinned_backend() -> None:
    """One TensorFlow thread, op determinism on, as the harness does."""
    from tunebench.backend import configure

    configure("tensorflow", threads=1)


@pytest.fixture
def write_matrix(tmp_path: Path) -> Callable[..., Path]:
    """Write a small live matrix file; keyword arguments override its parts."""

    def write(
        name: str = "tiny",
        seeds: str = "2",
        budget: str = "full_evaluations = 2",
        max_epochs: int = 2,
        subsample: int = 300,
        strategies: str = '[[strategies]]\nname = "random"\n',
        filename: str = "tiny.toml",
    ) -> Path:
        text = textwrap.dedent(
            f"""\
            name = "{name}"
            mode = "live"
            seeds = {seeds}
            [budget]
            {budget}
            [[problems]]
            name = "stocks-mlp"
            max_epochs = {max_epochs}
            subsample = {subsample}
            """
        )
        path = tmp_path / filename
        path.write_text(text + strategies, encoding="utf-8")
        return path

    return write
