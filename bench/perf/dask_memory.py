"""Peak memory of Dask workers on a live matrix, with and without per-run child processes.

Usage::

    python bench/perf/dask_memory.py [--seeds 6] [--population 40] [--budget 20] [--repeats 1]
        [--strategy evolutionary-pruning|random] [--max-epochs 3] [--ways both|child]

``--ways child`` measures only the harness's way (for a long matrix, e.g. ``--seeds 300
--strategy random --budget 1 --max-epochs 1``: 300 live runs).

Runs the same live ``stocks-mlp`` x ``evolutionary-pruning`` matrix (many short trials,
so many models built) on a Dask LocalCluster of 2 workers, twice per repeat, in
alternation: once as the harness does (each live run trains in a child process of its
worker, :mod:`tunebench.execution.child_process`) and once with the workers training every run
themselves. A sampler reads the resident memory of every process below this one every
0.2 s. Prints, for each way, the peak RSS of the largest process, the peak of their sum
and the wall time, and the ratios between the two ways.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import psutil

from tunebench.datasets import available_problems
from tunebench.execution.matrix_runner import DaskExecutor, MatrixRunner
from tunebench.execution.progress import LineProgress
from tunebench.matrix.load import load_matrix
from tunebench.strategies import available_strategies

MIB = 2**20


class Sampler:
    """Peak RSS of the processes below this one (the cluster's nannies, workers, children)."""

    def __init__(self) -> None:
        self.largest = 0
        self.total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process(os.getpid())
        while not self._stop.is_set():
            sizes = []
            for proc in me.children(recursive=True):
                try:
                    sizes.append(proc.memory_info().rss)
                except psutil.Error:  # ended between listing and reading
                    continue
            if sizes:
                self.largest = max(self.largest, max(sizes))
                self.total = max(self.total, sum(sizes))
            self._stop.wait(0.2)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measure(matrix_file: Path, results: Path, isolate: bool) -> tuple[int, int, float]:
    """Run the matrix once on a fresh local cluster; (largest, total) peak RSS and wall."""
    matrix = load_matrix(
        matrix_file, problems=available_problems(), strategies=available_strategies()
    )
    runner = MatrixRunner(matrix, results, workers=2, threads=1)
    t0 = time.perf_counter()
    with Sampler() as sampler:
        executor = DaskExecutor(None, local_workers=2, threads=1, isolate_live=isolate)
        statuses = [o.status for o in runner.execute(LineProgress(quiet=True), executor)]
    wall = time.perf_counter() - t0
    if set(statuses) != {"complete"}:
        raise SystemExit(f"runs did not all complete: {statuses}")
    return sampler.largest, sampler.total, wall


def main() -> None:
    """Measure both ways ``repeats`` times, alternating, and print the ratios."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--population", type=int, default=40, help="evolutionary-pruning's")
    ap.add_argument("--budget", type=int, default=20, help="full evaluations per run")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--strategy", choices=("evolutionary-pruning", "random"),
                    default="evolutionary-pruning")  # fmt: skip
    ap.add_argument("--max-epochs", type=int, default=3)
    ap.add_argument("--ways", choices=("both", "child"), default="both")
    args = ap.parse_args()
    params = (
        f"params = {{ population = {args.population}, survivors = 4 }}"
        if args.strategy == "evolutionary-pruning"
        else ""
    )
    text = textwrap.dedent(
        f"""\
        name = "dask-memory"
        mode = "live"
        seeds = {args.seeds}
        [budget]
        full_evaluations = {args.budget}
        [[problems]]
        name = "stocks-mlp"
        max_epochs = {args.max_epochs}
        [[strategies]]
        name = "{args.strategy}"
        {params}
        [execution]
        backend = "tensorflow"
        """
    )
    ways = {"child process per live run": True, "workers train themselves": False}
    if args.ways == "child":
        del ways["workers train themselves"]
    found: dict[str, list[tuple[int, int, float]]] = {way: [] for way in ways}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dask-memory.toml"
        path.write_text(text)
        for rep in range(args.repeats):
            for i, (way, isolate) in enumerate(ways.items()):
                out = measure(path, Path(tmp) / f"r{rep}-{i}", isolate)
                found[way].append(out)
                print(f"[{rep + 1}/{args.repeats}] {way}: largest process "
                      f"{out[0] / MIB:.0f} MiB, all processes {out[1] / MIB:.0f} MiB, "
                      f"{out[2]:.1f} s")  # fmt: skip
    med = {
        way: tuple(statistics.median(r[k] for r in rows) for k in range(3))
        for way, rows in found.items()
    }
    iso = med["child process per live run"]
    what = f"{args.seeds} live runs of {args.strategy}" + (
        f" (population {args.population})" if args.strategy == "evolutionary-pruning" else ""
    )
    if "workers train themselves" not in med:
        print(f"\n{what}, 2 Dask workers, a child process per live run (medians):")
        print(f"  peak RSS of the largest process: {iso[0] / MIB:.0f} MiB")
        print(f"  peak RSS of all processes:       {iso[1] / MIB:.0f} MiB")
        print(f"  wall time:                       {iso[2]:.1f} s")
        return
    own = med["workers train themselves"]
    print(f"\n{what}, 2 Dask workers; child process / workers themselves (medians):")
    print(f"  peak RSS of the largest process: {iso[0] / own[0]:.2f}x "
          f"({iso[0] / MIB:.0f} / {own[0] / MIB:.0f} MiB)")  # fmt: skip
    print(f"  peak RSS of all processes:       {iso[1] / own[1]:.2f}x "
          f"({iso[1] / MIB:.0f} / {own[1] / MIB:.0f} MiB)")  # fmt: skip
    print(f"  wall time:                       {iso[2] / own[2]:.2f}x "
          f"({iso[2]:.1f} / {own[2]:.1f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
