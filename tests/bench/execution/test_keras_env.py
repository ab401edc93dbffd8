from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tunebench.execution.keras_env import BackendError, configure, current_backend


def test_unknown_backend_and_bad_threads() -> None:
    with pytest.raises(BackendError, match="allowed: tensorflow, torch, jax"):
        configure("theano")
    with pytest.raises(BackendError, match="threads"):
        configure("tensorflow", threads=0)


def test_cannot_switch_backend_after_keras_import() -> None:
    import keras  # noqa: F401  (the session fixture configured TensorFlow)

    assert current_backend() == "tensorflow"
    with pytest.raises(BackendError):
        configure("jax")  # either not installed or keras is already on tensorflow


def test_threads_are_pinned_in_a_fresh_process() -> None:
    code = (
        "from tunebench.execution.keras_env import configure; configure('tensorflow', 2);"
        "import tensorflow as tf, keras;"
        "print(tf.config.threading.get_intra_op_parallelism_threads(),"
        " tf.config.threading.get_inter_op_parallelism_threads(), keras.backend.backend())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2", "1", "tensorflow"]


def test_limit_threads_caps_loaded_native_pools(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np  # loads BLAS
    from threadpoolctl import threadpool_info

    import tunebench.execution.keras_env as backend_mod
    from tunebench.execution.keras_env import limit_threads

    monkeypatch.setattr(backend_mod, "_thread_limit", None)  # apply it even if done before

    np.ones((4, 4)) @ np.ones((4, 4))
    limit_threads(1)
    pools = threadpool_info()
    assert pools, "numpy's BLAS should be visible to threadpoolctl"
    assert all(pool["num_threads"] == 1 for pool in pools)
    assert os.environ["OMP_NUM_THREADS"] == "1"
