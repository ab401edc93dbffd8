"""tunebench: reproducible benchmarks of hyperparameter-search strategies.

Import layout (folder -> package): ``bench/`` -> ``tunebench`` (the harness:
matrix, ledger, trainer, runner, records, CLI), ``datasets/`` ->
``tunebench.datasets`` (problems), ``strategies/`` -> ``tunebench.strategies``,
``reports/`` -> ``tunebench.reports``.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

# TensorFlow's C++ runtime logs (oneDNN notices, tf.data attribute warnings) are noise
# here; set before anything (keras-tuner, Keras) may import TensorFlow in this process.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

try:
    __version__ = version("tunebench")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "as_optuna_objective"]

if TYPE_CHECKING:
    from tunebench.run.optuna_objective import as_optuna_objective


def __getattr__(name: str) -> Any:
    """``tunebench.as_optuna_objective``, imported on first use (it loads the backends)."""
    if name == "as_optuna_objective":
        from tunebench.run.optuna_objective import as_optuna_objective

        return as_optuna_objective
    raise AttributeError(f"module 'tunebench' has no attribute {name!r}")
