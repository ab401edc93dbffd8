"""The deterministic objectives of a built model: trainable parameters and forward FLOPs.

A live run takes them from each trial's own model; a surrogate run computes them by
building a config's model without training it. Both give what a table's ``params`` and
``flops`` columns give (:mod:`.table_points`: the same count, the same forward FLOPs per
example), so every mode's points lie in one frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tunebench.objectives.add_params import count_trainable
from tunebench.objectives.catalog import TRAINING_PER_FORWARD

if TYPE_CHECKING:
    import keras

__all__ = ["model_costs"]


def model_costs(model: keras.Model, training_flops_per_example: float) -> dict[str, float]:
    """A built model's ``params`` and ``flops`` objectives.

    Args:
        model: The built (not necessarily trained) model.
        training_flops_per_example: Its problem's ``flops_per_example(model)``: training
            FLOPs per example, of which the objective is the forward share.

    Returns:
        ``{"params": trainable parameters, "flops": forward FLOPs per example}``.
    """
    return {
        "params": float(count_trainable(model)),
        "flops": float(training_flops_per_example) / TRAINING_PER_FORWARD,
    }
