"""Serving a sampled table against a grid table, and against the earlier serving rule.

Usage::

    python bench/perf/sampled_replay.py [--sampled FILE] [--grid FILE] [--budget 50]
        [--repeats 7]

The same random-search replay run (``--budget`` full evaluations, seed k on the k-th
repeat) is executed on a sampled table of a problem's full space (strategies search the
real space; every proposal is served from its nearest recorded config) and on the
problem's grid table (exact lookups), alternating, in this one process, so the ratio is
measured under the same machine load. A third variant serves the sampled table by the
rule before fresh trials were kept to configs the run was not served yet (the nearest
recorded config, served or not): the same run, so the ratio of the two is what the
rule costs. Tables are loaded once, before timing, as a worker does. It prints the
median seconds per run of each and the ratios; the goals are at most 2 for both.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from tunebench.curves.nearest import NearestConfig
from tunebench.curves.table import LearningCurveTable, table_space
from tunebench.datasets import available_problems
from tunebench.matrix.plan import default_table
from tunebench.run.execute import RunSpec, execute_run
from tunebench.strategies import RandomSearch

SAMPLED = Path(__file__).resolve().parents[2] / "datasets" / "tables" / "sampled"


class _EarlierRule(NearestConfig):
    """The serving rule before this one: the nearest recorded config, served or not."""

    def nearest(
        self, config: Mapping[str, Any], exclude: Collection[str] = ()
    ) -> tuple[str, float]:
        return super().nearest(config)


def _earlier_rule(path: Path, space: Any) -> LearningCurveTable:
    """The table, loaded again, serving by :class:`_EarlierRule`."""
    table = LearningCurveTable(path)
    configs = [json.loads(k) for k in table.config_keys]
    table._nearest[space.fingerprint()] = _EarlierRule(space, table.config_keys, configs)
    return table


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
    spaces = {}
    for table in (sampled, grid):
        problem = available_problems()[problem_name](**(table.meta.get("problem_params") or {}))
        spaces[id(table)] = table_space(problem, table.meta)
        if table.meta.get("space_fingerprint") != spaces[id(table)].fingerprint():
            raise SystemExit(f"{table.path}: recorded for another space of {problem_name}")
    earlier = _earlier_rule(args.sampled, spaces[id(sampled)])
    print(f"sampled: {args.sampled} ({len(sampled.config_keys)} configs, loaded in "
          f"{load_s:.2f} s); grid: {grid.path} ({len(grid.config_keys)} configs); "
          f"random search, {args.budget} full evaluations")  # fmt: skip
    variants = (("sampled", sampled), ("earlier", earlier), ("grid", grid))
    times: dict[str, list[float]] = {label: [] for label, _ in variants}
    trials: dict[str, list[int]] = {label: [] for label, _ in variants}
    for _, table in variants:  # warm every path (imports, caches)
        _time_run(table, args.budget, 10_000)
    for k in range(args.repeats):
        for label, table in variants:
            seconds, n = _time_run(table, args.budget, k)
            times[label].append(seconds)
            trials[label].append(n)
    med = {label: statistics.median(v) for label, v in times.items()}
    for label, _ in variants:
        print(f"{label:8s} median {med[label] * 1000:8.1f} ms per run "
              f"(min {min(times[label]) * 1000:.1f}, max {max(times[label]) * 1000:.1f}; "
              f"{statistics.mean(trials[label]):.1f} trials)")  # fmt: skip
    print(f"ratio sampled / grid: {med['sampled'] / med['grid']:.2f} (goal: <= 2)")
    print(f"ratio sampled / earlier serving rule: {med['sampled'] / med['earlier']:.2f} "
          "(goal: <= 2)")  # fmt: skip


if __name__ == "__main__":
    main()
