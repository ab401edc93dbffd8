"""Micro-benchmarks (pytest-benchmark); run with ``tox -e bench``, not part of the tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _pinned_backend() -> None:
    """One TensorFlow thread with op determinism, as the harness runs."""
    from tunebench.execution.keras_env import configure

    configure("tensorflow", threads=1)
