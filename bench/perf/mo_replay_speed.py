"""A multi-objective random-search replay run against a single-objective one, side by side.

Usage::

    python bench/perf/mo_replay_speed.py [--problem stocks-mlp] [--table grid]
        [--objectives metric,train_seconds] [--budget 50] [--repeats 10]

Issue 39's goal: a 50-evaluation ``mo-random`` replay run within 2x of the same
``random`` run. Both strategies propose the same configs for a seed (the same seeded
RandomSampler), so the difference is the multi-objective work: a partial vector per
epoch, a vector per full trial, the run's front and its hypervolume. Runs alternate
(``random``, ``mo-random``, seed after seed) in this one process, each through
:func:`~tunebench.run.execute.execute_run` with its records written to a temporary
folder, so both see the same machine load; the table's points and the problem's frame
are read once per process, before timing, as a worker does for its first run. It prints
the median wall seconds of each and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tunebench.backends.replay import problem_table
from tunebench.matrix.plan import shipped_table
from tunebench.objectives.run_points import run_objectives
from tunebench.run.execute import RunSpec, execute_run
from tunebench.strategies import available_strategies

GOAL_RATIO = 2.0


def _spec(args: argparse.Namespace, table: Path, strategy: str, seed: int) -> RunSpec:
    multi = strategy == "mo-random"
    return RunSpec(
        matrix="mo-replay-speed",
        problem=args.problem,
        max_epochs=args.max_epochs,
        strategy=strategy,
        strategy_label=strategy,
        seed=seed,
        full_evaluations=args.budget,
        mode="replay",
        table=str(table),
        objectives=tuple(args.objectives.split(",")) if multi else None,
    )


def _time(spec: RunSpec) -> float:
    problem, table = problem_table(spec)
    strategy = available_strategies()[spec.strategy]()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        execute_run(spec, Path(tmp), problem, None, strategy, table=table)
        return time.perf_counter() - t0


def main() -> None:
    """Time both kinds of run and print the medians and their ratio."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problem", default="stocks-mlp")
    ap.add_argument("--table", default="grid", help="'grid', 'sampled' or a file")
    ap.add_argument("--objectives", default="metric,train_seconds")
    ap.add_argument("--budget", type=int, default=50, help="full evaluations")
    ap.add_argument("--max-epochs", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=10, help="seeds, each run once per kind")
    args = ap.parse_args()
    table = (
        shipped_table(args.problem, args.table)
        if args.table in ("grid", "sampled")
        else Path(args.table)
    )
    run_objectives(table, args.objectives.split(","), args.max_epochs)  # read once, untimed
    _time(_spec(args, table, "random", 10_000))  # warm the table cache and imports
    times: dict[str, list[float]] = {"random": [], "mo-random": []}
    for seed in range(args.repeats):
        for strategy in times:
            times[strategy].append(_time(_spec(args, table, strategy, seed)))
    single = statistics.median(times["random"])
    multi = statistics.median(times["mo-random"])
    ratio = multi / single
    verdict = "meets" if ratio <= GOAL_RATIO else "misses"
    print(
        f"{args.problem} ({table.name}), {args.budget} full evaluations, objectives "
        f"{args.objectives}, median of {args.repeats} runs each:"
    )
    print(f"  random     {single:.3f} s")
    print(f"  mo-random  {multi:.3f} s")
    print(f"  ratio      {ratio:.2f}x ({verdict} the {GOAL_RATIO}x goal)")


if __name__ == "__main__":
    main()
