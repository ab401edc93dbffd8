"""Space-filling samples of a whole search space (for sampled learning-curve tables).

:func:`sample_configs` draws configs from a :class:`~tunebench.strategies.space.SearchSpace`
with a scrambled Sobol sequence (:class:`scipy.stats.qmc.Sobol`), one dimension per
parameter, so the sample covers every range evenly instead of clumping as independent
uniform draws do. Each unit coordinate is mapped to its parameter's value by
:func:`~tunebench.strategies.space.unit.value_at` (linear or log for a ``Float``, equal
shares for the values of an ``Int`` or the choices of a ``Categorical``).

A conditional parameter is set only when it is active under the values already drawn
(its coordinate is then unused), so every config holds exactly its active parameters and
is valid. Duplicate configs (possible in discrete spaces) are skipped and replaced by
later points of the same sequence, so the result has ``n`` distinct configs in a fixed,
seeded order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunebench.strategies.space.params import Categorical, Param
from tunebench.strategies.space.search_space import SearchSpace
from tunebench.strategies.space.unit import value_at

__all__ = ["config_at", "sample_configs"]


def config_at(space: SearchSpace, point: Sequence[float]) -> dict[str, Any]:
    """The config at a point of the unit cube, one coordinate per parameter.

    A parameter that its parents' values leave inactive is left out.
    """
    config: dict[str, Any] = {}
    for param, u in zip(space.params, point, strict=True):
        if space.is_active(param.name, config):
            config[param.name] = value_at(param, float(u))
    return space.canonical(config)


def _constant(param: Param) -> bool:
    return isinstance(param, Categorical) and len(param.choices) == 1


def sample_configs(space: SearchSpace, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` distinct valid configs of ``space``, space-filling and reproducible.

    Args:
        space: The space to sample (conditions and log scales honoured).
        n: Number of configs, at least 1.
        seed: Seed of the Sobol scrambling; the same seed gives the same list.

    Returns:
        The configs in sequence order (a prefix of a larger sample is the smaller sample).

    Raises:
        ValueError: ``n`` is below 1, or the space holds fewer than ``n`` distinct configs.
    """
    from scipy.stats import qmc

    if n < 1:
        raise ValueError(f"a sample needs at least 1 config, got {n}")
    params = space.params
    # Sobol dimensions go to the parameters that vary: a one-choice parameter (fixed,
    # as in a benchmark subspace) would only dilute the sample's balance in the others.
    free = np.array([not _constant(p) for p in params])
    sobol = qmc.Sobol(d=max(1, int(free.sum())), scramble=True, seed=np.random.default_rng(seed))
    configs: list[dict[str, Any]] = []
    seen: set[str] = set()
    drawn = 0
    # Draw in powers of two (Sobol's balanced sizes); stop once a whole draw adds nothing
    # new, which means the space is exhausted.
    batch = 1 << max(0, math.ceil(math.log2(n)))
    while len(configs) < n:
        points = np.zeros((batch, len(params)))
        points[:, free] = sobol.random(batch)[:, : int(free.sum())]
        drawn += batch
        added = 0
        for row in points:
            config = config_at(space, row.tolist())
            key = space.config_key(config)
            if key in seen:
                continue
            seen.add(key)
            configs.append(config)
            added += 1
            if len(configs) == n:
                break
        if added == 0:
            raise ValueError(
                f"the space holds fewer than {n} distinct configs "
                f"(found {len(configs)} in {drawn} draws)"
            )
    return configs
