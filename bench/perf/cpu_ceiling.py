"""The most any 2-process speedup can reach on this machine: a pure CPU loop, 1 vs 2.

Usage::

    python bench/perf/cpu_ceiling.py [--processes 2] [--repeats 2] [--json OUT]

Runs a busy pure-Python loop in one process, then the same loop in N processes at
once, alternating ``--repeats`` times, and prints the throughput ratio
(N x time of one alone / time of N together). On a machine whose cores are really
independent it is close to N; shared or throttled virtual cores give less, and no
executor can scale past it. Put beside ``executor_scaling.py`` and
``replay_matrix.py`` figures.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

LOOP = "s = 0\nfor i in range(30_000_000):\n    s += i\n"


def _wall(n: int) -> float:
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", LOOP]) for _ in range(n)]
    for p in procs:
        p.wait()
    return time.perf_counter() - t0


def main() -> None:
    """Time the loop alone and N at once; print the throughput ratio."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--json", type=Path, help="Also write the figures to this results data file.")
    args = ap.parse_args()
    alone, together = [], []
    for _ in range(args.repeats):
        alone.append(_wall(1))
        together.append(_wall(args.processes))
    one, many = statistics.median(alone), statistics.median(together)
    print(
        f"1 process: {', '.join(f'{t:.2f}' for t in alone)} s; {args.processes} at once: "
        f"{', '.join(f'{t:.2f}' for t in together)} s; throughput ratio "
        f"{args.processes * one / many:.2f}x (ideal {args.processes}.00x)"
    )
    if args.json:
        from tunebench.reports.results_data import table, write_results

        rows = [[i + 1, a, t] for i, (a, t) in enumerate(zip(alone, together, strict=True))]
        write_results(
            args.json,
            shlex.join(["python", "bench/perf/cpu_ceiling.py", *sys.argv[1:]]),
            {
                "cpu_ceiling": table(
                    ["repeat", "1 process (s)", f"{args.processes} at once (s)"],
                    rows,
                    {"1 process (s)": ".2f", f"{args.processes} at once (s)": ".2f"},
                )
            },
            {
                "processes": args.processes,
                "throughput_ratio": {"value": args.processes * one / many, "format": ".2f"},
            },
        )


if __name__ == "__main__":
    main()
