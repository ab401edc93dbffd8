"""How replay served a results folder's proposals: repeated curves and served distances.

Usage::

    python bench/perf/serving_stats.py RESULTS/MATRIX [--csv OUT]

On a sampled table every fresh trial's proposal is served a recorded config (a
``served`` event after its ``trial_start``, with the distance between the two). Per
problem entry and strategy this prints:

- ``fresh``: trials that started from epoch 0 and were served (resumed trials continue
  the curve they were served and are not counted);
- ``repeated``: the share of those served a recorded config the same run had already
  been served, a curve the run had seen (issue 42's goal: at most 5% for every
  strategy on every default table);
- ``distance``: the median distance from a proposal to the config that served it.

Runs on grid tables, live runs and surrogate runs have no ``served`` events and are
left out. Only complete runs are read. Issue 42 asks for these figures before and after
the serving changes, on the study's records; the same script reads both.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any


def run_serving(trials: Path) -> tuple[int, int, list[float]]:
    """(fresh served trials, of them served a config seen before, served distances)."""
    fresh = repeated = 0
    distances: list[float] = []
    seen: set[str] = set()
    starts: dict[int, bool] = {}
    with trials.open() as fh:
        for line in fh:
            if not line.strip():
                continue
            event: dict[str, Any] = json.loads(line)
            kind = event.get("event")
            if kind == "trial_start":
                starts[event["trial"]] = int(event.get("start_epoch") or 0) == 0
            elif kind == "served":
                key = str(event["config_key"])
                distances.append(float(event["distance"]))
                if starts.get(event["trial"], False):
                    fresh += 1
                    repeated += key in seen
                seen.add(key)
    return fresh, repeated, distances


def serving_stats(folder: Path) -> list[dict[str, Any]]:
    """One row per problem entry and strategy with served trials, in folder order."""
    fresh: dict[tuple[str, str], int] = defaultdict(int)
    repeated: dict[tuple[str, str], int] = defaultdict(int)
    distances: dict[tuple[str, str], list[float]] = defaultdict(list)
    runs: dict[tuple[str, str], int] = defaultdict(int)
    for run_json in sorted(folder.glob("*/*/seed=*/run.json")):
        if json.loads(run_json.read_text()).get("status") != "complete":
            continue
        f, r, d = run_serving(run_json.parent / "trials.jsonl")
        if not d:
            continue
        key = (run_json.parent.parent.parent.name, run_json.parent.parent.name)
        runs[key] += 1
        fresh[key] += f
        repeated[key] += r
        distances[key].extend(d)
    return [
        {
            "problem": problem,
            "strategy": strategy,
            "runs": runs[(problem, strategy)],
            "fresh": fresh[(problem, strategy)],
            "repeated_share": (
                repeated[(problem, strategy)] / fresh[(problem, strategy)]
                if fresh[(problem, strategy)]
                else float("nan")
            ),
            "median_distance": statistics.median(distances[(problem, strategy)]),
        }
        for problem, strategy in runs
    ]


def main() -> None:
    """Print the table; ``--csv`` also writes it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a matrix's results folder")
    parser.add_argument("--csv", type=Path, default=None)
    args = parser.parse_args()
    rows = serving_stats(args.folder)
    if not rows:
        print(f"{args.folder}: no complete run was served from a sampled table")
        return
    print(f"{'problem':24s} {'strategy':24s} {'runs':>5s} {'fresh':>7s} {'repeated':>9s} "
          f"{'distance':>9s}")  # fmt: skip
    for r in rows:
        print(f"{r['problem']:24s} {r['strategy']:24s} {r['runs']:5d} {r['fresh']:7d} "
              f"{r['repeated_share']:9.1%} {r['median_distance']:9.3f}")  # fmt: skip
    if args.csv is not None:
        import pandas as pd

        pd.DataFrame(rows).to_csv(args.csv, index=False)
        print(f"wrote {args.csv}")


if __name__ == "__main__":
    main()
