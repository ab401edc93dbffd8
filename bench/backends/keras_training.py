"""Live training: real Keras models, trained epoch by epoch.

The trainer knows nothing about budgets or strategies. It builds a model for a
config, runs ``model.fit`` for one segment of epochs (one ``fit`` call, so the
compiled train function is traced once per trial), and hands each finished
epoch to a callback that decides whether to go on. The runner supplies that
callback: it charges the ledger, writes the record and asks the strategy.

Weights of ended trials can be snapshotted (weights and optimizer state, as
NumPy arrays) so a later trial continues exactly where the old one stopped;
snapshots live in memory and spill to ``.npz`` files past a memory limit.
"""

from __future__ import annotations

import contextlib
import math
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import keras

    from tunebench.datasets.problem import Problem, Splits

from tunebench.backends.session import EpochOutcome, Snapshot
from tunebench.objectives.model_costs import model_costs

__all__ = ["LiveTrainer", "TrialSession"]


@contextlib.contextmanager
def private_python_rng(rng: random.Random) -> Iterator[None]:
    """Make Keras draw its default seeds from ``rng`` instead of Python's global ``random``.

    Keras seeds every unseeded initializer and seed generator with
    ``random.randint`` on the global generator, which other threads of the
    process share: under a Dask worker the event-loop thread draws from it too,
    so two identical runs built different models (measured). Swapping in a
    private, per-trial generator makes the draws depend on the trial seed only.
    Falls back to seeding the global generator if Keras' internals move.
    """
    try:
        from keras.src.random import seed_generator
    except ImportError:  # pragma: no cover - Keras layout changed
        random.seed(rng.random())
        yield
        return
    saved = seed_generator.python_random
    seed_generator.python_random = rng
    try:
        yield
    finally:
        seed_generator.python_random = saved


# Live sessions open in this process (more than one with live trials in flight); they
# are opened and closed by the run loop's thread only.
_OPEN_SESSIONS = 0


class TrialSession:
    """One model being trained for one trial. Created by :meth:`LiveTrainer.open`.

    Attributes:
        start_epoch: Epochs the weights had already seen when the session opened.
        epochs: Epochs the weights have seen now.
        setup_seconds: Wall seconds spent building (and restoring) the model.
    """

    def __init__(
        self,
        trainer: LiveTrainer,
        model: keras.Model,
        config_key: str,
        start_epoch: int,
        batch_size: int,
        setup_seconds: float,
        flops_per_epoch: float,
        rng: random.Random | None = None,
    ) -> None:
        self._rng = rng or random.Random(0)
        self._trainer = trainer
        self.model = model
        self.config_key = config_key
        self.start_epoch = start_epoch
        self.epochs = start_epoch
        self.batch_size = batch_size
        self.setup_seconds = setup_seconds
        self.served: tuple[str, float] | None = None  # trained (or made) as proposed
        self.flops_per_epoch = flops_per_epoch

    def fit(self, target_epochs: int, on_epoch: Callable[[EpochOutcome], bool]) -> None:
        """Train up to ``target_epochs``, calling ``on_epoch`` after every epoch.

        Training stops early when ``on_epoch`` returns ``False``. ``on_epoch``
        sees every epoch, including one whose loss went NaN (it decides).
        """
        import keras

        if target_epochs <= self.epochs:
            return
        splits = self._trainer.splits
        metric_key = f"val_{self._trainer.problem.metric}"
        session = self

        class _EpochHook(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
                self._t0 = time.perf_counter()

            def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
                seconds = time.perf_counter() - self._t0
                logs = logs or {}
                session.epochs = epoch + 1
                outcome = EpochOutcome(
                    epoch=epoch + 1,
                    value=float(logs.get(metric_key, math.nan)),
                    loss=float(logs.get("loss", math.nan)),
                    seconds=seconds,
                    flops=session.flops_per_epoch,
                    weights_finite=session.weights_finite(),
                )
                if not on_epoch(outcome):
                    self.model.stop_training = True

        with private_python_rng(self._rng):
            self.model.fit(
                splits.x_train,
                splits.y_train,
                batch_size=self.batch_size,
                epochs=target_epochs,
                initial_epoch=self.epochs,
                validation_data=(splits.x_val, splits.y_val),
                shuffle=True,
                verbose=0,
                callbacks=[_EpochHook()],
            )

    def weights_finite(self) -> bool:
        """Whether every trainable weight is a finite number."""
        import keras

        return all(
            bool(keras.ops.all(keras.ops.isfinite(v))) for v in self.model.trainable_variables
        )

    def evaluate_test(self) -> float:
        """The metric on the test split (never shown to strategies)."""
        scores = self._trainer.evaluate_test(self.model)
        return float(scores[self._trainer.problem.metric])

    def full_length(self, max_epochs: int) -> tuple[float, float] | None:
        """Not known without training on: live runs score what they trained."""
        return None

    def snapshot(self) -> Snapshot:
        """Copy the weights and optimizer state so a later trial can continue them."""
        import keras

        return Snapshot(
            config_key=self.config_key,
            epochs=self.epochs,
            weights=[np.array(w, copy=True) for w in self.model.get_weights()],
            optimizer=[keras.ops.convert_to_numpy(v) for v in self.model.optimizer.variables],
        )

    def close(self) -> None:
        """Drop the model and clear Keras' global state.

        ``free_memory=False`` skips Keras' forced full garbage collection: it
        added a noticeable cost to every trial and did not reduce memory growth
        (Python's own collector still runs). The growth that remains with every
        model built is TensorFlow's own and happens with a bare ``model.fit`` loop
        too (keras-team/keras#17458); only a fresh process returns it.
        ``bench/perf/backends.py`` measures it.

        With several trials training at once (live ``concurrency``), Keras' global
        state is cleared only when the last open session closes, so a model still
        training in another thread keeps its state.
        """
        import keras

        del self.model
        global _OPEN_SESSIONS
        _OPEN_SESSIONS -= 1
        if _OPEN_SESSIONS == 0:
            keras.backend.clear_session(free_memory=False)


#: Batch size of test evaluations (the same batches, so the same sums, for every trial).
TEST_BATCH = 1024


class LiveTrainer:
    """Builds and trains real Keras models for one problem's data.

    Args:
        problem: The problem (model builder, metric).
        splits: Its loaded data; loaded once and shared by every trial.
        costs: Where each built model's deterministic objectives go, by config key
            (shared by the fold trainers of a k-fold run); default a dict of its own.

    Attributes:
        costs: Config key -> ``params`` and ``flops`` of the last model built for it
            (:func:`~tunebench.objectives.model_costs`): a multi-objective run's
            vectors take them from the trials' own models.
    """

    def __init__(
        self, problem: Problem, splits: Splits, costs: dict[str, dict[str, float]] | None = None
    ) -> None:
        self.problem = problem
        self.splits = splits
        self.costs: dict[str, dict[str, float]] = {} if costs is None else costs
        self._test_dataset: Any = None
        self._test_lock = threading.Lock()

    def evaluate_test(self, model: keras.Model) -> dict[str, float]:
        """``model.evaluate`` on the test split, in batches of :data:`TEST_BATCH`.

        On TensorFlow the split goes in as a ``tf.data.Dataset`` built once for every
        trial: given numpy arrays, ``evaluate`` converts them into one on every call,
        which was several times slower per trial, with the same scores (the same
        batches). Other backends take the arrays, which costs them little.
        """
        import keras

        splits = self.splits
        if keras.backend.backend() != "tensorflow":
            return dict(model.evaluate(
                splits.x_test, splits.y_test, batch_size=TEST_BATCH, verbose=0, return_dict=True
            ))  # fmt: skip
        with self._test_lock:
            if self._test_dataset is None:
                import tensorflow as tf

                pairs = tf.data.Dataset.from_tensor_slices((splits.x_test, splits.y_test))
                self._test_dataset = pairs.batch(TEST_BATCH)
        return dict(model.evaluate(self._test_dataset, verbose=0, return_dict=True))

    def open(
        self,
        config: Mapping[str, Any],
        config_key: str,
        seed: int,
        resume: Snapshot | None = None,
    ) -> TrialSession:
        """Build a fresh model for ``config`` (or restore ``resume`` into it).

        A ``resume`` taken with another config (one that differs in the space's
        continuable parameters only, as the run loop checks) gives its weights to the
        new model, which keeps the fresh optimizer that its own config built: the
        optimizer's settings are what changed, and its state (momenta) belonged to the
        old ones.

        Args:
            config: The hyperparameters.
            config_key: Canonical key of the config.
            seed: Seeds weight initialisation and shuffling of this trial.
            resume: Weights and optimizer state to continue from.

        Raises:
            ValueError: ``resume``'s weights do not fit the model of ``config``.
        """
        import keras

        t0 = time.perf_counter()
        keras.utils.set_random_seed(seed)
        rng = random.Random(seed)
        with private_python_rng(rng):
            model = self.problem.build_model(config, self.splits)
        start_epoch = 0
        if resume is not None:
            model.set_weights(resume.weights)
            if resume.config_key == config_key:
                model.optimizer.build(model.trainable_variables)
                for var, value in zip(model.optimizer.variables, resume.optimizer, strict=True):
                    var.assign(value)
            start_epoch = resume.epochs
        per_example = self.problem.flops_per_example(model)
        self.costs[config_key] = model_costs(model, per_example)
        flops = per_example * len(self.splits.x_train)
        global _OPEN_SESSIONS
        _OPEN_SESSIONS += 1
        return TrialSession(
            self,
            model,
            config_key,
            start_epoch,
            self.problem.batch_size(config),
            time.perf_counter() - t0,
            flops,
            rng,
        )
