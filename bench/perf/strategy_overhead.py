"""Measure each strategy's own overhead per trial: ask + report + tell, without training.

Usage::

    python bench/perf/strategy_overhead.py [--trials 100 1000] [--max-seconds 120]
        [--problem stocks-mlp] [--epochs 10] [--strategies tpe gp ...] [--json OUT]

Every registered strategy (built-ins and plug-ins) is driven by the conformance kit's
harness stand-in (:func:`tunebench.strategies.testing.drive`) on the problem's search
space, with a fake deterministic objective and each trial reported epoch by epoch as the
harness does, until it has proposed N trials. Only time spent inside the strategy's
methods (ask, report, tell, keep_weights) is counted per trial; ``setup`` (which the
harness does not charge either) is shown on its own. For each N the table gives the mean
per trial over the whole run and over its last 10% of trials (the marginal cost at that
history size). A run that takes more than ``--max-seconds`` of
strategy time stops early and says how many trials it reached; a strategy that runs out
of things to propose (``one-at-a-time``) says so.

Evolutionary strategies get ``population = 200`` for N > 250 so that their plan has N
trials (the default population of 50 ends after about 250 trials at 10 epochs).
Threads are pinned as in the harness (``tunebench.execution.keras_env.configure``), which also keeps
PyTorch, used by ``gp``, to one thread.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from tunebench.datasets import available_problems
from tunebench.execution.keras_env import configure
from tunebench.strategies import Fidelity, available_strategies
from tunebench.strategies.testing import drive


def params_for(name: str, n: int) -> dict[str, Any]:
    """Constructor parameters that let a strategy reach ``n`` trials."""
    if name.startswith("evolutionary") and n > 250:
        return {"population": 200}
    if name == "kt-hyperband":
        return {"hyperband_iterations": 0}  # 0: keep sweeping until the budget ends
    return {}


def measure(
    name: str, n: int, space: Any, epochs: int, max_seconds: float
) -> tuple[int, float, float, float, str, dict[str, Any]]:
    """Drive one strategy to ``n`` trials.

    Returns:
        Trials told, mean seconds per trial, mean over the last 10%, setup seconds, why it
        ended, and the parameters used.
    """
    params = params_for(name, n)
    strategy = available_strategies()[name](**params)
    out = drive(
        strategy,
        space=space,
        seed=0,
        budget_epochs=10**9,
        fidelity=Fidelity(1, epochs),
        max_trials=n,
        max_seconds=max_seconds,
        max_asks=10 * n + 1000,
    )
    told = len(out.seconds_at)
    if not told:
        return 0, float("nan"), float("nan"), out.setup_seconds, out.ended, params
    mean = out.strategy_seconds / told
    tail = max(1, told // 10)
    before = out.seconds_at[-tail - 1] if told > tail else 0.0
    last = (out.seconds_at[-1] - before) / tail
    return told, mean, last, out.setup_seconds, out.ended, params


def fmt_ms(seconds: float) -> str:
    """Seconds as milliseconds with sensible precision."""
    ms = seconds * 1e3
    return f"{ms:.3f}" if ms < 1 else f"{ms:.1f}" if ms < 100 else f"{ms:.0f}"


def main() -> None:
    """Measure and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--max-seconds", type=float, default=120.0)
    ap.add_argument("--problem", default="stocks-mlp")
    ap.add_argument("--epochs", type=int, default=None, help="max_epochs (problem default)")
    ap.add_argument("--strategies", nargs="+", default=None)
    ap.add_argument("--json", type=Path, help="Also write the table to this results data file.")
    args = ap.parse_args()
    configure("tensorflow", threads=1)
    problem = available_problems()[args.problem]()
    epochs = args.epochs or problem.max_epochs
    space = problem.space()
    names = args.strategies or list(available_strategies())
    print(f"problem {args.problem}, max_epochs {epochs}, reports per epoch, 1 thread")
    header = (
        f"{'strategy':<22} {'N':>5} {'reached':>8} {'ms/trial':>9} {'last 10%':>9} "
        f"{'setup ms':>9}  note"
    )
    print(header)
    print("-" * len(header))
    rows: list[list[Any]] = []
    for name in names:
        for n in args.trials:
            t0 = time.perf_counter()
            told, mean, last, setup, end, params = measure(name, n, space, epochs, args.max_seconds)
            note = end if end != "max_trials" else ""
            if params:
                note = (note + " " + ",".join(f"{k}={v}" for k, v in params.items())).strip()
            print(
                f"{name:<22} {n:>5} {told:>8} {fmt_ms(mean):>9} {fmt_ms(last):>9} "
                f"{fmt_ms(setup):>9}  {note}"
                f"  ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
            rows.append([name, n, told, mean * 1e3, last * 1e3, setup * 1e3, note])
    if args.json:
        from tunebench.reports.results_data import table, write_results

        columns = ["strategy", "N", "reached", "ms/trial", "ms/trial, last 10%", "setup ms", "note"]
        formats = {"ms/trial": ".3g", "ms/trial, last 10%": ".3g", "setup ms": ".3g"}
        write_results(
            args.json,
            shlex.join(["python", "bench/perf/strategy_overhead.py", *sys.argv[1:]]),
            {"strategy_overhead": table(columns, rows, formats)},
            {"problem": args.problem, "epochs": epochs},
        )


if __name__ == "__main__":
    main()
