"""Seed streams derived from one run seed.

Independent streams, as the design asks: the strategy's sampler, model
initialisation and shuffling (one seed per trial), in replay mode which
recorded repeat is served, and the final retrains of the incumbent. NumPy's
``SeedSequence`` gives well-separated streams from (run seed, stream id[, trial id]).
"""

from __future__ import annotations

import numpy as np

__all__ = ["STREAMS", "seed_for", "seeds_of_run"]

STREAMS = {"strategy": 0, "training": 1, "replay": 2, "final": 3, "surrogate": 4}


def seed_for(run_seed: int, stream: str, *extra: int) -> int:
    """A 31-bit seed for ``stream`` of ``run_seed`` (and e.g. a trial id)."""
    seq = np.random.SeedSequence([run_seed, STREAMS[stream], *extra])
    return int(seq.generate_state(1, dtype=np.uint32)[0] >> 1)


def seeds_of_run(run_seed: int) -> dict[str, int]:
    """The run seed and each stream's base seed, for provenance."""
    return {"run": run_seed, **{name: seed_for(run_seed, name) for name in STREAMS}}
