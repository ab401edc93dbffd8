"""Time ``tunebench figures`` and ``tunebench report`` on a results folder.

Usage: ``python bench/perf/report_speed.py RESULTS [--repeats 3] [--out DIR]``

Each repeat runs in a fresh Python process (imports included, as the command pays them)
and prints wall and CPU seconds; CPU seconds are the better guide on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
from tunebench.reports.report import build_figures, build_report
kind, results, out = sys.argv[1:4]
(build_figures if kind == "figures" else build_report)(Path(results), Path(out))
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall": time.perf_counter() - t0, "cpu": usage.ru_utime + usage.ru_stime}))
"""


def main() -> None:
    """Run the timings and print one line per command."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="report-speed-"))
    for kind in ("figures", "report"):
        walls, cpus = [], []
        for _ in range(args.repeats):
            done = subprocess.run(
                [sys.executable, "-c", CHILD, kind, str(args.results), str(out)],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            timing = json.loads(done.stdout.strip().splitlines()[-1])
            walls.append(timing["wall"])
            cpus.append(timing["cpu"])
        print(
            f"{kind:<8} wall {min(walls):.2f}-{max(walls):.2f} s  "
            f"cpu {min(cpus):.2f}-{max(cpus):.2f} s  ({args.repeats} runs, {args.results})"
        )


if __name__ == "__main__":
    main()
