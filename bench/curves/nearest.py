"""Serving a sampled table: the recorded config nearest to any config of the space.

A sampled learning-curve table holds a finite set of points of a continuous space, but
strategies search the real space (types, ranges, log scales, conditions). Replay serves
a proposed config from the recorded config nearest to it (1-nearest-neighbour, as
syne-tune serves LCBench), under one distance for every strategy:

* each numeric parameter is scaled to [0, 1] over its range, in ``log`` for a log-scale
  parameter, and contributes its absolute difference;
* a categorical parameter contributes 0 when equal and 1 when not;
* a parameter active in one config and inactive in the other contributes 1; inactive
  in both, 0;

and the distance is the Euclidean norm of these contributions. An exact match is at
distance 0, so a recorded config is always served its own curve. Ties go to the first
config in the table's key order, so serving is deterministic. The distance of every
serve is written to the trial log (the ``served`` event), so a report can tell how far
proposals were from what was measured.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np

from tunebench.strategies.space import Categorical, SearchSpace
from tunebench.strategies.space.unit import position

__all__ = ["SERVING_RULE", "SPARSE_DISTANCE", "NearestConfig", "median_gap"]

#: A sampled table is too sparse for its space when a random config's nearest recorded
#: config is, in the median, farther than this (one categorical differing counts 1).
SPARSE_DISTANCE = 0.3
#: Random configs drawn to measure a table's median gap.
GAP_DRAWS = 256

#: How a proposal is served from a sampled table, recorded in every run's provenance.
SERVING_RULE = (
    "1-nearest recorded config; numeric parameters scaled to [0, 1] (log scale where the "
    "space says log), categorical 0/1, active-vs-inactive 1; Euclidean; ties to the first key; "
    "a fresh trial is served the nearest config the run was not served yet (a resumed trial "
    "continues its own), and the strategy learns the served config"
)


class NearestConfig:
    """Maps any config of ``space`` to the nearest of a fixed list of recorded configs.

    Args:
        space: The search space the configs belong to.
        keys: The recorded configs' keys (``space.config_key``), in the order ties follow.
        configs: The recorded configs, parallel to ``keys``.
    """

    def __init__(
        self, space: SearchSpace, keys: Sequence[str], configs: Sequence[Mapping[str, Any]]
    ) -> None:
        self.space = space
        self.keys = list(keys)
        self._categorical = np.array([isinstance(p, Categorical) for p in space.params])
        self._encoded = np.stack([self._encode(c) for c in configs]) if configs else None

    def _encode(self, config: Mapping[str, Any]) -> np.ndarray:
        """Each parameter's :func:`position`, NaN when inactive (categoricals: equal or not)."""
        row = np.full(len(self.space.params), np.nan)
        for j, param in enumerate(self.space.params):
            if param.name in config:
                row[j] = position(param, config[param.name])
        return row

    def nearest(
        self, config: Mapping[str, Any], exclude: Collection[str] = ()
    ) -> tuple[str, float]:
        """The key of the recorded config nearest to ``config``, and its distance.

        Args:
            config: Any config of the space.
            exclude: Keys not to serve (a run's configs already served), unless every
                recorded config is among them.

        Raises:
            LookupError: No configs were recorded.
        """
        if self._encoded is None:
            raise LookupError("the table holds no configs")
        query = self._encode(config)
        table = self._encoded
        diff = np.where(self._categorical, (table != query).astype(float), np.abs(table - query))
        missing_t, missing_q = np.isnan(table), np.isnan(query)
        diff = np.where(missing_t & missing_q, 0.0, diff)
        diff = np.where(missing_t ^ missing_q, 1.0, diff)
        dist = np.sqrt((diff**2).sum(axis=1))
        if exclude and len(exclude) < len(self.keys):
            taken = np.fromiter((k in exclude for k in self.keys), bool, len(self.keys))
            dist = np.where(taken, np.inf, dist)
        best = int(np.argmin(dist))  # first of equal minima: ties follow key order
        return self.keys[best], float(dist[best])


def median_gap(nearest: NearestConfig, seed: int, draws: int = GAP_DRAWS) -> float:
    """Median distance from a random config of the space to its nearest recorded config.

    Args:
        nearest: The recorded configs, as served.
        seed: Seed of the random configs (uniform in each parameter's unit scale, as
            random search proposes them).
        draws: How many random configs.

    Returns:
        The median distance, in the serving distance's units.
    """
    from tunebench.strategies.space.sampling import config_at

    points = np.random.default_rng(seed).random((draws, len(nearest.space.params)))
    return float(np.median([nearest.nearest(config_at(nearest.space, p))[1] for p in points]))
