"""Hypervolume of 200 points in 2, 3 and 4 objectives against issue 39's 10 ms goal.

Usage::

    python bench/perf/hypervolume_speed.py [--points 200] [--repeats 50] [--table FILE]

Two point sets per dimension: uniform random points in the unit cube (most of them
dominated, as in a run's history) and points on the unit simplex (every one
non-dominated, the hard case). Each is timed through :func:`tunebench.objectives.hypervolume`
(moocore) and, for comparison, optuna's ``compute_hypervolume``, alternating, in this one
process; it prints the median milliseconds per call and whether moocore's meets the goal.
With ``--table`` it also times building a problem's fixed frame
(:func:`~tunebench.objectives.reference_from_table`, table read included) on a shipped
table, for ``metric``, ``train_seconds`` and ``flops`` (shipped tables have no ``params``
column yet), and the regret of a set of its configs, normalisation included.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from optuna._hypervolume import compute_hypervolume

from tunebench.objectives import hypervolume, reference_from_table, table_points

GOAL_MS = 10.0


def _median_ms(call: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return 1000.0 * statistics.median(times)


def main() -> None:
    """Print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--table", type=Path, default=None)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(
        f"hypervolume of {args.points} points, median of {args.repeats} calls (goal {GOAL_MS} ms)"
    )
    for k in (2, 3, 4):
        ref = np.full(k, 1.1)
        sets = {
            "random": rng.uniform(0.0, 1.0, size=(args.points, k)),
            "front": rng.dirichlet(np.ones(k), size=args.points),
        }
        for kind, points in sets.items():
            ours = _median_ms(lambda p=points, r=ref: hypervolume(p, r), args.repeats)
            theirs = _median_ms(lambda p=points, r=ref: compute_hypervolume(p, r), args.repeats)
            verdict = "meets" if ours < GOAL_MS else "MISSES"
            print(
                f"  {k} objectives, {kind:6s}: moocore {ours:8.3f} ms ({verdict} the goal), "
                f"optuna {theirs:8.3f} ms"
            )
    if args.table is not None:
        names = ["metric", "train_seconds", "flops"]
        t0 = time.perf_counter()
        frame = reference_from_table(args.table, names)
        seconds = time.perf_counter() - t0
        print(
            f"fixed frame of {args.table} ({', '.join(names)}): {seconds:.2f} s, "
            f"{frame.configs} configs, {frame.front_size} on the front, "
            f"front hypervolume {frame.front_hypervolume:.4f}"
        )
        values = table_points(args.table, names).values
        picked = values[rng.choice(len(values), size=min(args.points, len(values)), replace=False)]
        ms = _median_ms(lambda: frame.regret(picked), args.repeats)
        verdict = "meets" if ms < GOAL_MS else "MISSES"
        print(
            f"  regret of {len(picked)} of its configs (raw values, normalised in the "
            f"frame): {ms:.3f} ms ({verdict} the goal)"
        )


if __name__ == "__main__":
    main()
