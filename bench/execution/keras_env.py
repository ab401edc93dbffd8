"""Choose the Keras backend and pin thread counts, before Keras is imported.

Keras reads ``KERAS_BACKEND`` once, at import; TensorFlow fixes its thread
pools when its runtime starts. Both must therefore be set before the first
model is built, which is what :func:`configure` does. Oversubscribed threads
collapse throughput on a shared machine, so the counts are always explicit.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
import tempfile
from collections.abc import Iterator
from types import ModuleType

from tunebench.errors import TunebenchError
from tunebench.runspec import KERAS_BACKENDS

__all__ = [
    "BackendError",
    "configure",
    "current_backend",
    "keras_on_other_backend",
    "limit_threads",
]

_configured: tuple[str, int] | None = None


class BackendError(TunebenchError, RuntimeError):
    """The requested backend cannot be used in this process."""


@contextlib.contextmanager
def _native_stderr_captured() -> Iterator[None]:
    """Hold back what C++ code writes to stderr; replay it only if the block fails.

    TensorFlow's absl logging prints start-up notices (oneDNN, CPU features)
    before it reads ``TF_CPP_MIN_LOG_LEVEL``, so the variable cannot hide them.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (e.g. some embedded interpreters)
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            os.write(2, sink.read())
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _import_quietly(name: str) -> ModuleType:
    with _native_stderr_captured():
        return importlib.import_module(name)


def current_backend() -> str:
    """The backend Keras uses (or will use) in this process."""
    if "keras" in sys.modules:
        import keras

        return str(keras.backend.backend())
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def keras_on_other_backend(backend: str) -> bool:
    """Whether Keras is already imported here with a backend other than ``backend``."""
    return "keras" in sys.modules and current_backend() != backend


_thread_limit: int | None = None  # what limit_threads last applied


def limit_threads(threads: int) -> None:
    """Cap the native thread pools of this process (BLAS, OpenMP, torch) at ``threads``.

    Replay runs train nothing, but model-based strategies do numerical work (optuna's
    GP on torch, keras-tuner's GP on scikit-learn/BLAS) that would otherwise use every
    core in every worker process and oversubscribe the machine. Applied once per process
    and count: a replay worker calls it before every run, and each application walks the
    loaded libraries, which is not free; libraries loaded later read the variables.
    """
    global _thread_limit
    if _thread_limit == threads:
        return
    _thread_limit = threads
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)  # for libraries loaded later
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)  # for those already loaded
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


def configure(backend: str = "tensorflow", threads: int = 1, deterministic: bool = True) -> None:
    """Set the Keras backend, thread counts and op determinism for this process.

    Calling it again with the same arguments is a no-op.

    Args:
        backend: ``"tensorflow"`` (default), ``"torch"`` or ``"jax"``.
        threads: Intra-op threads for the backend; inter-op is pinned to 1.
        deterministic: Turn TensorFlow op determinism on (TensorFlow backend).

    Raises:
        BackendError: Unknown backend, its package is not installed, or Keras
            was already imported with a different backend in this process.
    """
    global _configured
    if backend not in KERAS_BACKENDS:
        raise BackendError(
            f"unknown Keras backend {backend!r}; allowed: {', '.join(KERAS_BACKENDS)}"
        )
    if threads < 1:
        raise BackendError(f"threads must be >= 1, got {threads}")
    if _configured == (backend, threads):
        return
    if importlib.util.find_spec(backend) is None:  # each backend's package bears its name
        raise BackendError(
            f"Keras backend {backend!r} needs the {backend!r} package, which is not "
            f"installed (pip install {backend})"
        )
    if "keras" in sys.modules and current_backend() != backend:
        raise BackendError(
            f"Keras was already imported with backend {current_backend()!r}; "
            f"cannot switch to {backend!r} in this process"
        )
    os.environ["KERAS_BACKEND"] = backend
    for var in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"

    # Keras imports TensorFlow whenever it is installed (tf.data), whatever the backend.
    keras = _import_quietly("keras")
    if keras.backend.backend() != backend:
        raise BackendError(
            f"Keras started with backend {keras.backend.backend()!r}, not {backend!r}"
        )
    if backend == "tensorflow":
        tf = _import_quietly("tensorflow")
        # Its Python logger warns about "retracing" whenever a process builds many models,
        # which is what a benchmark does (every trial is a new model).
        tf.get_logger().setLevel("ERROR")

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError as exc:  # runtime already started with other pools
            if tf.config.threading.get_intra_op_parallelism_threads() != threads:
                raise BackendError(
                    f"TensorFlow already started with "
                    f"{tf.config.threading.get_intra_op_parallelism_threads()} threads; "
                    f"cannot pin {threads} in this process"
                ) from exc
        if deterministic:
            tf.config.experimental.enable_op_determinism()
    elif backend == "torch":
        torch = _import_quietly("torch")

        torch.set_num_threads(threads)
        if deterministic:
            torch.use_deterministic_algorithms(True)
    _configured = (backend, threads)
