"""How much faster a replayed run is than the same run trained live, side by side.

Usage::

    python bench/perf/replay_speed.py [--problem stocks-mlp] [--strategies random,hyperband]
        [--budget 10] [--seed 0] [--replay-repeats 5]

For each strategy, the same run (problem, strategy, seed, budget in full
evaluations) is executed live, training real Keras models on the data the
problem's shipped table was recorded on (same subsample and problem options,
1 thread), and then in replay against that table, ``--replay-repeats`` times
(median). Both happen in this one process, one after the other, so the ratio is
measured under the same machine load. It prints wall seconds of each, the
ratio, and the simulated clock of the replay next to the live wall time (how
well the table's recorded costs match a fresh live run).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tunebench.backends.registry import problem_data
from tunebench.curves.table import LearningCurveTable, TableError
from tunebench.datasets import available_problems
from tunebench.execution.keras_env import configure
from tunebench.matrix.plan import default_table
from tunebench.records.run_record import RunRecord
from tunebench.run.execute import RunSpec, execute_run
from tunebench.strategies import available_strategies


def _run(
    spec: RunSpec, live: bool, table: LearningCurveTable, data_dir: str | None
) -> tuple[float, RunRecord]:
    problem_cls = available_problems()[spec.problem]
    with tempfile.TemporaryDirectory() as tmp:
        strategy = available_strategies()[spec.strategy]()
        t0 = time.perf_counter()
        if live:
            problem, splits = problem_data(
                spec.problem, spec.problem_params, spec.subsample, data_dir
            )
            record = execute_run(spec, Path(tmp), problem, splits, strategy)
        else:
            record = execute_run(
                spec, Path(tmp), problem_cls(**spec.problem_params), None, strategy, table=table
            )
        return time.perf_counter() - t0, record


def main() -> None:
    """Time live and replayed runs of each strategy and print the ratios."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problem", default="stocks-mlp")
    ap.add_argument("--strategies", default="random,hyperband")
    ap.add_argument("--budget", type=int, default=10, help="Full evaluations per run.")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--replay-repeats", type=int, default=5)
    ap.add_argument("--table", type=Path, default=None, help="Default: the shipped table.")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()

    problem_cls = available_problems()[args.problem]
    path = args.table or default_table(args.problem)
    table = LearningCurveTable(path)
    params = dict(table.meta.get("problem_params") or {})
    problem = problem_cls(**params)
    if table.meta.get("space_fingerprint") != problem.table_space().fingerprint():
        raise TableError(f"{path}: recorded for another table space of {args.problem}")
    configure(str(table.meta.get("backend", "tensorflow")), 1)
    # Warm the data cache and the framework so the first live run is not charged for it.
    problem_data(args.problem, params, table.meta.get("subsample"), args.data_dir)

    print(f"problem {args.problem}, table {path}, budget {args.budget} full evaluations, "
          f"seed {args.seed}, max_epochs {table.epochs}")  # fmt: skip
    print(f"{'strategy':22s} {'live s':>9s} {'replay s':>9s} {'ratio':>9s} "
          f"{'sim. clock s':>12s} {'trials live/replay':>19s}")  # fmt: skip
    ratios = []
    for name in args.strategies.split(","):
        base: dict[str, Any] = dict(
            matrix="replay-speed", problem=args.problem, max_epochs=table.epochs,
            strategy=name, strategy_label=name, seed=args.seed,
            full_evaluations=args.budget, problem_params=params,
            subsample=table.meta.get("subsample"),
        )  # fmt: skip
        live_s, live_rec = _run(RunSpec(**base, mode="live"), True, table, args.data_dir)
        replays = [
            _run(RunSpec(**base, mode="replay", table=str(path)), False, table, None)
            for _ in range(args.replay_repeats)
        ]
        replay_s = statistics.median(t for t, _ in replays)
        rec = replays[0][1]
        sim = rec.ledger.train_seconds + rec.ledger.setup_seconds
        ratio = live_s / replay_s
        ratios.append(ratio)
        print(
            f"{name:22s} {live_s:9.2f} {replay_s:9.4f} {ratio:9.0f} {sim:12.2f} "
            f"{live_rec.result.n_trials:>9d}/{rec.result.n_trials}",
            flush=True,
        )
    print(f"smallest ratio: {min(ratios):.0f}x (goal: >= 1000x)")


if __name__ == "__main__":
    main()
