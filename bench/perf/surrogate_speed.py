"""Serving a surrogate against serving its table: query cost, and one random-search run each.

Usage::

    python bench/perf/surrogate_speed.py [--problem mnist-cnn ...] [--budget 50] [--repeats 7]
        [--queries 200] [--json OUT]

Prints (1) the cost of a surrogate query: a whole curve per call, one config per call
as a run opens a trial, as milliseconds per epoch served (the goal: under 1 ms), and
(2) the same random-search run (``--budget`` full evaluations, seed k on the k-th
repeat) in surrogate mode and in replay mode on the table the surrogate was fitted on,
alternating, in this one process, so the ratio is measured under the same machine
load; the goal is a ratio of at most 3. The surrogate and the table are loaded once,
before timing, as a worker does. Several problems are measured one after the other;
``--json`` writes one row per problem to a results data file.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tunebench.backends.surrogate import SurrogateTrainer
from tunebench.curves.surrogate import Surrogate
from tunebench.curves.table import LearningCurveTable
from tunebench.datasets import available_problems
from tunebench.matrix.plan import shipped_surrogate, shipped_table
from tunebench.run.execute import RunSpec, execute_run
from tunebench.strategies import RandomSearch
from tunebench.strategies.space.sampling import sample_configs


def main() -> None:
    """Time the queries and both runs, alternating, and print the ratios."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problem", nargs="+", default=["mnist-cnn"])
    ap.add_argument("--budget", type=int, default=50, help="Full evaluations per run.")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--queries", type=int, default=200, help="Configs queried one by one.")
    ap.add_argument("--json", type=Path, help="Also write the figures to this results data file.")
    args = ap.parse_args()
    rows = [measure(name, args) for name in args.problem]
    if args.json:
        from tunebench.reports.results_data import table, write_results

        columns = ["problem", "epochs", "query ms per epoch", "surrogate run ms",
                   "replay run ms", "ratio surrogate / replay"]  # fmt: skip
        formats = {"query ms per epoch": ".2f", "surrogate run ms": ".0f",
                   "replay run ms": ".0f", "ratio surrogate / replay": ".2f"}  # fmt: skip
        write_results(
            args.json,
            shlex.join(["python", "bench/perf/surrogate_speed.py", *sys.argv[1:]]),
            {"surrogate_speed": table(columns, rows, formats)},
            {"budget": args.budget, "repeats": args.repeats, "queries": args.queries},
        )


def measure(name: str, args: argparse.Namespace) -> list[Any]:
    """One problem: print the query cost and both runs' medians.

    Returns:
        The problem, its epochs, ms per epoch served, the median surrogate and replay run
        in ms, and their ratio.
    """
    problem = available_problems()[name]()
    space = problem.space()
    surrogate_path = shipped_surrogate(name)
    table_path = shipped_table(name, "sampled")
    surrogate = Surrogate.load(surrogate_path, space.fingerprint(), table_path)
    table = LearningCurveTable(table_path, space.fingerprint())
    epochs = surrogate.epochs

    # 1. one curve per call, as trials open
    warm, *configs = sample_configs(space, args.queries + 1, seed=1)
    trainer = SurrogateTrainer(surrogate, space, run_seed=0)
    trainer.curve(warm, space.config_key(warm))
    t0 = time.perf_counter()
    for config in configs:
        trainer.curve(config, space.config_key(config))
    per_epoch = (time.perf_counter() - t0) / (len(configs) * epochs) * 1000
    print(f"{name}: surrogate {surrogate_path.name}, table {table_path.name} "
          f"({len(table.config_keys)} configs), {epochs} epochs")  # fmt: skip
    print(f"query: {per_epoch:.3f} ms per epoch served ({len(configs)} configs, a whole "
          f"curve per call; goal < 1 ms)")  # fmt: skip

    # 2. the same run in both modes
    def run(mode: str, seed: int) -> tuple[float, int]:
        spec = RunSpec(matrix="surrogate-speed", problem=name, max_epochs=epochs,
                       strategy="random", strategy_label="random", seed=seed,
                       full_evaluations=args.budget, mode=mode,
                       table=str(table_path) if mode == "replay" else None,
                       surrogate=str(surrogate_path) if mode == "surrogate" else None)  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            record = execute_run(spec, Path(tmp), problem, None, RandomSearch(),
                                 table=table if mode == "replay" else None)  # fmt: skip
            return time.perf_counter() - t0, record.result.n_trials

    run("surrogate", 10_000)  # warm both paths (imports, caches)
    run("replay", 10_000)
    times: dict[str, list[float]] = {"surrogate": [], "replay": []}
    trials: dict[str, list[int]] = {"surrogate": [], "replay": []}
    for k in range(args.repeats):
        for mode in ("surrogate", "replay") if k % 2 == 0 else ("replay", "surrogate"):
            seconds, n = run(mode, k)
            times[mode].append(seconds)
            trials[mode].append(n)
    med = {mode: statistics.median(v) for mode, v in times.items()}
    for mode in ("surrogate", "replay"):
        print(f"{mode:9s} median {med[mode] * 1000:8.1f} ms per run "
              f"(min {min(times[mode]) * 1000:.1f}, max {max(times[mode]) * 1000:.1f}; "
              f"{statistics.mean(trials[mode]):.1f} trials)")  # fmt: skip
    ratio = med["surrogate"] / med["replay"]
    print(f"ratio surrogate / replay: {ratio:.2f} (goal: <= 3)")
    return [name, epochs, per_epoch, med["surrogate"] * 1000, med["replay"] * 1000, ratio]


if __name__ == "__main__":
    main()
