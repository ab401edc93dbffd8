"""Throughput of the executors on one live matrix, as ratios measured side by side.

Usage::

    python bench/perf/executor_scaling.py [--seeds 4] [--budget 4] [--epochs 3] [--repeats 2]

Runs the same small live ``stocks-mlp`` x ``random`` matrix with: 1 worker x 1
thread (inline), 1 worker x 2 threads (inline), 2 local worker processes x 1
thread, and a Dask LocalCluster with 2 workers x 1 thread. The configurations
alternate ``repeats`` times so machine noise hits all of them; each prints its
wall time and the script prints speedups over 1 worker x 1 thread (medians).
Thread counts that differ can change floating-point results, so the 1x2 runs
use their own results folder and are not compared for equality.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

CONFIGS = {
    "1 worker x 1 thread": ["--workers", "1", "--threads", "1"],
    "1 worker x 2 threads": ["--workers", "1", "--threads", "2"],
    "2 workers x 1 thread": ["--workers", "2", "--threads", "1"],
    "dask local 2 x 1": ["--dask-local", "2", "--threads", "1"],
}


def main() -> None:
    """Time every configuration ``repeats`` times and print the ratios."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--budget", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    walls: dict[str, list[float]] = {name: [] for name in CONFIGS}
    with tempfile.TemporaryDirectory() as tmp:
        matrix = Path(tmp) / "scaling.toml"
        matrix.write_text(
            textwrap.dedent(f"""\
                name = "scaling"
                mode = "live"
                seeds = {args.seeds}
                [budget]
                full_evaluations = {args.budget}
                [[problems]]
                name = "stocks-mlp"
                max_epochs = {args.epochs}
                [[strategies]]
                name = "random"
                """)
        )
        for rep in range(args.repeats):
            for name, opts in CONFIGS.items():
                # One fresh results folder per configuration and repeat.
                out = Path(tmp) / f"r{rep}-{name.replace(' ', '')}"
                cmd = [sys.executable, "-m", "tunebench", "run", str(matrix), "-q",
                       "--results", str(out), "--reports", str(out / "rep"), *opts]  # fmt: skip
                t0 = time.perf_counter()
                subprocess.run(cmd, check=True)
                walls[name].append(time.perf_counter() - t0)
                print(f"[{rep + 1}/{args.repeats}] {name:<22} {walls[name][-1]:7.2f} s", flush=True)
    base = statistics.median(walls["1 worker x 1 thread"])
    print(f"\n{args.seeds} runs x {args.budget} full evaluations x {args.epochs} epochs "
          "(stocks-mlp, random), whole command wall time incl. start-up")  # fmt: skip
    for name, values in walls.items():
        med = statistics.median(values)
        print(f"  {name:<22} median {med:7.2f} s   speedup vs 1x1: {base / med:5.2f}x")


if __name__ == "__main__":
    main()
