"""Serving a sampled table against serving a grid table: one random-search run each.

Usage::

    python bench/perf/sampled_replay.py [--sampled FILE] [--grid FILE] [--budget 50]
        [--repeats 7]

The same random-search replay run (``--budget`` full evaluations, seed k on the k-th
repeat) is executed on a sampled table of a problem's full space (strategies search the
real space; every proposal is served from its nearest recorded config) and on the
problem's grid table (exact lookups), alternating, in this one process, so the ratio is
measured under the same machine load. Tables are loaded once, before timing, as a
worker does. It prints the median seconds per run of each and their ratio; the goal is
a ratio of at most 2.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tunebench.curves.table import LearningCurveTable, table_space
from tunebench.datasets import available_problems
from tunebench.matrix.plan import default_table
from tunebench.run.execute import RunSpec, execute_run
from tunebench.strategies import RandomSearch

SAMPLED = Path(__file__).resolve().parents[2] / "datasets" / "tables" / "sampled"


def _time_run(table: LearningCurveTable, budget: int, seed: int) -> tuple[float, int]:
    name = str(table.meta["problem"])
    problem = available_problems()[name](**(table.meta.get("problem_params") or {}))
    spec = RunSpec(matrix="sampled-replay", problem=name, max_epochs=table.epochs,
                   strategy="random", strategy_label="random", seed=seed,
                   full_evaluations=budget, mode="replay", table=str(table.path))  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        record = execute_run(spec, Path(tmp), problem, None, RandomSearch(), table=table)
        return time.perf_counter() - t0, record.result.n_trials


def main() -> None:
    """Time both runs, alternating, and print the ratio."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sampled", type=Path, default=SAMPLED / "stocks-mlp.parquet")
    ap.add_argument("--grid", type=Path, default=None, help="Default: the shipped grid table.")
    ap.add_argument("--budget", type=int, default=50, help="Full evaluations per run.")
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()

    t0 = time.perf_counter()
    sampled = LearningCurveTable(args.sampled)
    load_s = time.perf_counter() - t0
    problem_name = str(sampled.meta["problem"])
    grid = LearningCurveTable(args.grid or default_table(problem_name))
    for table in (sampled, grid):
        problem = available_problems()[problem_name](**(table.meta.get("problem_params") or {}))
        expected = table_space(problem, table.meta).fingerprint()
        if table.meta.get("space_fingerprint") != expected:
            raise SystemExit(f"{table.path}: recorded for another space of {problem_name}")
    print(f"sampled: {args.sampled} ({len(sampled.config_keys)} configs, loaded in "
          f"{load_s:.2f} s); grid: {grid.path} ({len(grid.config_keys)} configs); "
          f"random search, {args.budget} full evaluations")  # fmt: skip
    times: dict[str, list[float]] = {"sampled": [], "grid": []}
    trials: dict[str, list[int]] = {"sampled": [], "grid": []}
    _time_run(sampled, args.budget, 10_000)  # warm both paths (imports, caches)
    _time_run(grid, args.budget, 10_000)
    for k in range(args.repeats):
        for label, table in (("sampled", sampled), ("grid", grid)):
            seconds, n = _time_run(table, args.budget, k)
            times[label].append(seconds)
            trials[label].append(n)
    med = {label: statistics.median(v) for label, v in times.items()}
    for label in ("sampled", "grid"):
        print(f"{label:8s} median {med[label] * 1000:8.1f} ms per run "
              f"(min {min(times[label]) * 1000:.1f}, max {max(times[label]) * 1000:.1f}; "
              f"{statistics.mean(trials[label]):.1f} trials)")  # fmt: skip
    print(f"ratio sampled / grid: {med['sampled'] / med['grid']:.2f} (goal: <= 2)")


if __name__ == "__main__":
    main()
