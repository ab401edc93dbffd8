"""A benchmark problem: data, model family, search space, metric and fidelity.

A problem fixes everything that must be identical across strategies and seeds:
the data split (never the run seed's business), the model builder, the search
space and the metric. Keras is imported lazily, inside :meth:`Problem.build_model`,
so that listing problems does not start TensorFlow and the backend can still be
chosen (``KERAS_BACKEND``) before the first model is built.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from tunebench.plugins import constructor_params
from tunebench.strategies.base import Direction, Fidelity
from tunebench.strategies.space import SearchSpace

if TYPE_CHECKING:
    import keras

__all__ = ["SUBSPACES", "Problem", "Splits", "check_subspace", "make_optimizer"]

#: Optimizer names the problems' search spaces use -> Keras optimizer class names.
OPTIMIZERS = {"adam": "Adam", "nadam": "Nadam", "rmsprop": "RMSprop", "sgd": "SGD"}


def make_optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    """A fresh Keras optimizer for a config's ``optimizer`` and ``learning_rate``."""
    import keras

    return getattr(keras.optimizers, OPTIMIZERS[name])(learning_rate=learning_rate)


@dataclass(frozen=True)
class Splits:
    """Train, validation and test arrays of one problem, plus where they came from.

    Attributes:
        x_train: Training inputs.
        y_train: Training targets.
        x_val: Validation inputs (the metric strategies see).
        y_val: Validation targets.
        x_test: Test inputs (scored only for the incumbent, never shown to strategies).
        y_test: Test targets.
        source: Provenance of the data (origin, version, rows, checksums), JSON-able.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: dict[str, Any] = field(default_factory=dict)

    def sizes(self) -> dict[str, int]:
        """Rows per split."""
        return {"train": len(self.x_train), "val": len(self.x_val), "test": len(self.x_test)}


class Problem(ABC):
    """Base class of a benchmark problem.

    Subclasses set the class attributes and implement :meth:`space`,
    :meth:`load` and :meth:`build_model`. Constructor keyword arguments are
    problem options (a matrix's ``params``); store them unchanged.

    Attributes:
        name: As the matrix file spells it, e.g. ``"stocks-mlp"``.
        description: One line for ``tunebench list problems``.
        metric: The Keras metric whose validation value strategies optimise
            (the harness reads ``val_<metric>`` from the training logs).
        direction: ``"maximize"`` or ``"minimize"``.
        max_epochs: Default length of a full evaluation.
        ordered: Rows are in time order: K-fold evaluation then uses forward-chaining
            folds, so no model trains on rows later than those it is validated on.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    metric: ClassVar[str] = ""
    direction: ClassVar[Direction] = "maximize"
    max_epochs: ClassVar[int] = 1
    ordered: ClassVar[bool] = False

    @abstractmethod
    def space(self) -> SearchSpace:
        """The search space of this problem."""

    def table_space(self) -> SearchSpace:
        """The space whose grid ``tunebench tabulate`` records for replay.

        Default: :meth:`space`. Problems whose full grid is too large to train
        override it with a coarser space (explicit ``grid`` values); replay runs
        give strategies its grid-shaped form (``with_grid()``).
        """
        return self.space()

    @abstractmethod
    def load(self, data_dir: Path | None = None, subsample: int | None = None) -> Splits:
        """Load and split the data.

        Args:
            data_dir: Folder with local copies of the data files, if any.
            subsample: Keep at most this many training rows (validation and
                test stay whole, so scores remain comparable).
        """

    @abstractmethod
    def build_model(self, config: Mapping[str, Any], splits: Splits) -> keras.Model:
        """Build and compile a fresh model for ``config``, with :attr:`metric` compiled in."""

    def batch_size(self, config: Mapping[str, Any]) -> int:
        """Training batch size for ``config`` (default: its ``batch_size`` value)."""
        return int(config["batch_size"])

    def fidelity(self, max_epochs: int | None = None) -> Fidelity:
        """The epoch range, with ``max_epochs`` overriding the problem default."""
        return Fidelity(1, max_epochs if max_epochs is not None else self.max_epochs)

    def flops_per_example(self, model: keras.Model) -> float:
        """Estimated training FLOPs per example per epoch.

        Default: 6 x parameters (forward 2, backward 4 multiply-adds per weight),
        the usual estimate for dense networks. Convolutional problems override it.
        """
        return 6.0 * float(model.count_params())

    @classmethod
    def param_names(cls) -> list[str]:
        """Names of the problem options (what a matrix may set in ``params``)."""
        return constructor_params(cls)

    def get_params(self) -> dict[str, Any]:
        """Problem options as stored on the instance (recorded in provenance)."""
        return {name: getattr(self, name) for name in self.param_names()}


#: The values of a problem's ``subspace`` option (problems with a benchmark subspace).
SUBSPACES = ("full", "benchmark")


def check_subspace(subspace: str) -> None:
    """Refuse an unknown ``subspace`` option in one line.

    Raises:
        ValueError: Not one of :data:`SUBSPACES`.
    """
    if subspace not in SUBSPACES:
        raise ValueError(f"unknown subspace {subspace!r}; allowed: {', '.join(SUBSPACES)}")
