"""Measure what one writer per run costs a run: its lock, and its log's checksum.

Usage::

    python bench/perf/run_lock.py [--runs 500] [--dir FOLDER] [--log-kb 140]

Prints, in milliseconds per run (median and 95th percentile over ``--runs`` run folders
under ``--dir``, default a temporary folder; give a folder on the filesystem the results
live on, a shared one included, to measure there):

1. ``lock``: what the harness does around every run it executes: the worker takes the
   run's lock on a new folder (creating ``run.lock``), checks the folder's state, clears
   it, releases; the client takes and releases it once more to store the outcome.
2. ``lock, folder exists``: the same on folders whose ``run.lock`` is already there (a rerun).
3. ``sha256``: hashing a ``trials.jsonl`` of ``--log-kb`` KB when ``run.json`` is written
   (a run of the shipped study wrote about 140 KB).
4. ``pending check``: what ``tunebench run`` spends per complete run to decide it is done
   (read ``run.json``, hash the log, compare).

The issue's target is under 5 ms per run for the lock (line 1).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tunebench.records.integrity import clear_run_dir, inspect_run
from tunebench.records.lock import RunLock
from tunebench.records.run_record import (
    LedgerTotals,
    MetricInfo,
    RunRecord,
    RunResult,
    Timings,
    write_run_record,
)
from tunebench.records.storage import TRIALS_FILE, sha256_file
from tunebench.runspec import RunSpec


def _lock_cycle(run_dir: Path) -> None:
    """The harness's locking around one run (execute_task, then MatrixRunner._store)."""
    lock = RunLock(run_dir)
    assert lock.acquire()
    inspect_run(run_dir)
    clear_run_dir(run_dir)
    lock.release()
    lock = RunLock(run_dir)
    assert lock.acquire()
    lock.release()


def _timed(folders: list[Path], step: Callable[[Path], object]) -> list[float]:
    out = []
    for folder in folders:
        t0 = time.perf_counter()
        step(folder)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _show(name: str, ms: list[float]) -> None:
    p95 = statistics.quantiles(ms, n=20)[-1]
    print(f"{name:<24} median {statistics.median(ms):7.3f} ms   p95 {p95:7.3f} ms   (n={len(ms)})")


def _complete_run(run_dir: Path, log_bytes: int) -> None:
    spec = RunSpec(matrix="perf", problem="stocks-mlp", max_epochs=10, strategy="random",
                   strategy_label="random", seed=int(run_dir.name.split("=")[1]))  # fmt: skip
    line = '{"event": "epoch", "t": 0.1, "trial": 0, "epoch": 1, "value": 0.5}\n'
    (run_dir / TRIALS_FILE).write_text(line * max(1, log_bytes // len(line)), encoding="utf-8")
    result = RunResult(best_trial=0, best_config={}, best_value=0.5, best_epochs=10,
                       test_value=0.5, budget_used=10.0, n_trials=1, n_complete=1, n_stopped=0,
                       n_failed=0, end_reason="budget spent")  # fmt: skip
    write_run_record(run_dir, RunRecord(
        spec=spec, result=result, metric=MetricInfo(name="accuracy", direction="maximize"),
        ledger=LedgerTotals(epochs=100, full_evaluations=10.0, train_seconds=1.0,
                            setup_seconds=0.1, strategy_seconds=0.1, flops=1.0),
        timings=Timings(wall_seconds=1.0, test_eval_seconds=0.0, retrain_seconds=0.0),
        strategy_params={}, provenance={},
    ))  # fmt: skip


def main() -> None:
    """Run the four measurements and print them."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--dir", type=Path, default=None, help="where the run folders go")
    ap.add_argument("--log-kb", type=int, default=140)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp)
        folders = [root / "p" / "s" / f"seed={k}" for k in range(args.runs)]
        _lock_cycle(root / "warm-up" / "s" / "seed=0")
        _show("lock", _timed(folders, _lock_cycle))
        _show("lock, folder exists", _timed(folders, _lock_cycle))
        for folder in folders:
            _complete_run(folder, args.log_kb * 1024)
        _show("sha256", _timed(folders, lambda d: sha256_file(d / TRIALS_FILE)))
        _show("pending check", _timed(folders, inspect_run))


if __name__ == "__main__":
    main()
