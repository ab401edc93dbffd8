"""A parameter's values on the unit interval: where a value lies, and the value at a point.

Every place that puts a parameter on a common [0, 1] scale uses these two functions, so
the scales agree: serving a sampled table measures distances in :func:`position`, the
strategies' conformance kit scores configs by it, and sampled tables are drawn through
:func:`value_at`.

* :func:`position`: a numeric value's place over ``[low, high]``, linear or linear in
  ``log`` for a log-scale parameter; a categorical value's index over ``n - 1``.
* :func:`value_at`: the value at a point ``u`` of [0, 1], each allowed value taking an
  equal share of the interval where the values are discrete (see
  :mod:`~tunebench.strategies.space.sampling`). It is not the exact inverse of
  :func:`position` for discrete parameters: a share, not a point, maps to each value.
"""

from __future__ import annotations

import math
from typing import Any

from tunebench.strategies.space.params import Categorical, Float, Int, Param

__all__ = ["position", "value_at"]


def position(param: Param, value: Any) -> float:
    """Where ``value`` lies in its parameter's range, in [0, 1].

    Args:
        param: The parameter.
        value: One of its values.

    Returns:
        For a numeric parameter ``(value - low) / (high - low)``, in ``log`` for a
        log-scale one (0.0 when ``low == high``); for a categorical one the choice's
        index divided by ``n - 1`` (0.0 for a single choice).
    """
    if isinstance(param, Categorical):
        n = len(param.choices)
        return 0.0 if n == 1 else param.choices.index(value) / (n - 1)
    low, high = float(param.low), float(param.high)
    if param.log:
        low, high, value = math.log(low), math.log(high), math.log(value)
    return (float(value) - low) / (high - low) if high > low else 0.0


def value_at(param: Param, u: float) -> Any:
    """The value of ``param`` at the point ``u`` of [0, 1].

    * ``Float``: linear, or linear in ``log`` for a log-scale parameter;
    * ``Int``: the allowed values ``low, low + step, ..., high`` in equal shares; a
      log-scale ``Int`` is uniform in ``log`` over ``[low - 0.5, high + 0.5]`` and then
      rounded, so each integer gets the share of the log axis around it (Optuna's
      convention);
    * ``Categorical``: its choices in equal shares.

    Args:
        param: The parameter.
        u: A point of [0, 1] (``1.0`` gives the last value).
    """
    if isinstance(param, Categorical):
        return param.choices[min(int(u * len(param.choices)), len(param.choices) - 1)]
    if isinstance(param, Float):
        if param.log:
            lo, hi = math.log(param.low), math.log(param.high)
            return float(min(max(math.exp(lo + u * (hi - lo)), param.low), param.high))
        return float(param.low + u * (param.high - param.low))
    assert isinstance(param, Int)
    if param.log:
        lo, hi = math.log(param.low - 0.5), math.log(param.high + 0.5)
        value = round(math.exp(lo + u * (hi - lo)))
        return int(min(max(value, param.low), param.high))
    count = (param.high - param.low) // param.step + 1
    return int(param.low + min(int(u * count), count - 1) * param.step)
