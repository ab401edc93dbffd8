"""tunebench: reproducible benchmarks of hyperparameter-search strategies.

Import layout (folder -> package): ``bench/`` -> ``tunebench`` (the harness:
matrix, ledger, trainer, runner, records, CLI), ``datasets/`` ->
``tunebench.datasets`` (problems), ``strategies/`` -> ``tunebench.strategies``,
``reports/`` -> ``tunebench.reports``.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version

# TensorFlow's C++ runtime logs (oneDNN notices, tf.data attribute warnings) are noise
# here; set before anything (keras-tuner, Keras) may import TensorFlow in this process.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

try:
    __version__ = version("tunebench")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
