"""Wall time of a replay matrix over the shipped tables, and where the time goes.

Usage::

    python bench/perf/replay_matrix.py [--seeds 30] [--budget 50] [--workers 2]
        [--strategies random,grid,...] [--problems stocks-mlp,...] [--dask-local]
        [--goal 120]

Writes a replay matrix (every given problem x every given strategy x seeds, a
budget of ``--budget`` full evaluations), runs it with ``tunebench run`` in a
fresh results folder, and prints the wall time of the whole matrix as a ratio of
the goal (``--goal``, default 120 s: issue 5's target for 30 seeds at 50 full
evaluations on 2 workers), then per strategy the summed and mean wall seconds of
its runs and the share of that time its own ask/tell took (the part replay
cannot remove). Default: every shipped table and every registered strategy.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from tunebench.curves.table import LearningCurveTable
from tunebench.datasets import available_problems
from tunebench.matrix.plan import default_table
from tunebench.records.layout import matrix_folders, run_folders
from tunebench.records.run_record import RunRecord, read_run_record
from tunebench.records.storage import RUN_FILE
from tunebench.strategies import available_strategies


def _matrix(problems: list[str], strategies: list[str], seeds: int, budget: int) -> str:
    lines = ['name = "replay-speed"', 'mode = "replay"', f"seeds = {seeds}", ""]
    lines += ["[budget]", f"full_evaluations = {budget}", ""]
    for name in problems:
        table = LearningCurveTable(default_table(name))
        params = table.meta.get("problem_params") or {}
        lines += ["[[problems]]", f'name = "{name}"', f"max_epochs = {table.epochs}"]
        if params:
            inline = ", ".join(f"{k} = {json.dumps(v)}" for k, v in params.items())
            lines.append(f"params = {{ {inline} }}")
        lines.append("")
    for name in strategies:
        lines += ["[[strategies]]", f'name = "{name}"', ""]
    return "\n".join(lines)


def main() -> None:
    """Run the matrix once and print its wall time and per-strategy costs."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--budget", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dask-local", action="store_true", help="Dask LocalCluster instead.")
    ap.add_argument("--strategies", default=",".join(available_strategies()))
    shipped = [p for p in available_problems() if default_table(p).is_file()]
    ap.add_argument("--problems", default=",".join(shipped))
    ap.add_argument(
        "--goal", type=float, default=120.0, help="Wall-time goal in seconds (issue 5: 120)."
    )
    args = ap.parse_args()
    problems = args.problems.split(",")
    strategies = args.strategies.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        matrix = Path(tmp) / "replay-speed.toml"
        matrix.write_text(_matrix(problems, strategies, args.seeds, args.budget))
        out = Path(tmp) / "results"
        how = (
            ["--dask-local", str(args.workers)]
            if args.dask_local
            else ["--workers", str(args.workers)]
        )
        cmd = [sys.executable, "-m", "tunebench", "run", str(matrix), "--results", str(out)]
        cmd += ["--quiet", *how]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - t0
        per: dict[str, list[float]] = defaultdict(list)
        overhead: dict[str, float] = defaultdict(float)
        failed = 0
        for matrix_dir in matrix_folders(out):
            for run_dir in run_folders(matrix_dir, with_file=RUN_FILE):
                record = read_run_record(run_dir)
                if not isinstance(record, RunRecord):
                    failed += 1
                    continue
                name = record.spec.strategy_label
                per[name].append(record.timings.wall_seconds)
                overhead[name] += record.ledger.strategy_seconds
    n_runs = sum(len(v) for v in per.values())
    print(
        f"{len(problems)} problems x {len(strategies)} strategies x {args.seeds} seeds = "
        f"{n_runs} complete runs ({failed} failed), {args.budget} full evaluations each, "
        f"{'dask local' if args.dask_local else 'local'} {args.workers} workers"
    )
    verdict = "met" if wall < args.goal else "NOT met"
    print(
        f"matrix wall time: {wall:.1f} s = {wall / args.goal:.2f} x the "
        f"{args.goal:.0f} s goal ({verdict})"
    )
    total = sum(sum(v) for v in per.values())
    print(f"{'strategy':22s} {'run s (sum)':>11s} {'per run s':>9s} {'share':>6s} {'ask/tell':>8s}")
    for name in sorted(per, key=lambda n: -sum(per[n])):
        s = sum(per[name])
        print(
            f"{name:22s} {s:11.1f} {s / len(per[name]):9.3f} {s / total:6.1%} "
            f"{overhead[name] / s if s else 0:8.0%}"
        )


if __name__ == "__main__":
    main()
