from __future__ import annotations

from tunebench.backends.live import BACKEND_INSTALL
from tunebench.runspec import KERAS_BACKENDS


def test_every_keras_backend_has_its_install_command() -> None:
    assert tuple(BACKEND_INSTALL) == KERAS_BACKENDS
