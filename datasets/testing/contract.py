"""What the kit holds every problem to: its constants, its one error, one-line messages.

The rules themselves are listed in the package docs (:mod:`tunebench.datasets.testing`).
"""

from __future__ import annotations

from tunebench.errors import one_line
from tunebench.strategies.base import Direction

DEFAULT_SUBSAMPLE = 300
"""Training rows the kit keeps (enough to build and train one tiny epoch)."""

LOAD_SEEDS = (11, 2024, 987_654)
"""Global seeds set before the first full load, the second full load and the subsampled one."""

REQUIRED_SOURCE_KEYS = ("dataset", "origin", "checksum")
"""Keys every ``splits.source`` must hold, each a non-empty string."""

#: Known Keras metric names -> the direction in which they improve (lower-case names).
METRIC_DIRECTIONS: dict[str, Direction] = {
    **dict.fromkeys(
        (
            "accuracy",
            "acc",
            "binary_accuracy",
            "categorical_accuracy",
            "sparse_categorical_accuracy",
            "top_k_categorical_accuracy",
            "sparse_top_k_categorical_accuracy",
            "auc",
            "precision",
            "recall",
            "f1_score",
            "fbeta_score",
            "r2_score",
            "mean_iou",
        ),
        "maximize",
    ),
    **dict.fromkeys(
        (
            "loss",
            "mae",
            "mse",
            "rmse",
            "mape",
            "msle",
            "mean_absolute_error",
            "mean_squared_error",
            "root_mean_squared_error",
            "mean_absolute_percentage_error",
            "mean_squared_logarithmic_error",
            "log_cosh",
            "logcosh",
            "binary_crossentropy",
            "categorical_crossentropy",
            "sparse_categorical_crossentropy",
            "hinge",
            "squared_hinge",
            "categorical_hinge",
            "kl_divergence",
            "poisson",
            "huber",
        ),
        "minimize",
    ),
}

SPLITS = ("train", "val", "test")


class ProblemConformanceError(AssertionError):
    """A problem broke the harness's contract; the message is one line."""


def _exc(exc: BaseException) -> str:
    """``"TypeName: the whole message"`` on one line: how the kit tells what a problem raised."""
    return one_line(f"{type(exc).__name__}: {exc}")
