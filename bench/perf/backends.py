"""Keras backends side by side: epoch and setup seconds, memory per model, and agreement.

Usage::

    python bench/perf/backends.py [--problems stocks-mlp,covertype-mlp,events-mlp,mnist-cnn]
        [--backends tensorflow,torch,jax] [--epochs 3] [--seeds 5] [--agree-epochs 5]
        [--threads 1]

For every backend that is installed, one worker process (``KERAS_BACKEND`` is
fixed per process) measures, problem by problem, on the data the shipped tables
use (mnist-cnn: 3,000 training images; events-mlp: 20,000 of 200,000 events):

* a small and a large config of the problem's space (every integer parameter at
  its lower or upper bound, the rest at their defaults), each at the smallest
  and the largest batch size the space allows: model setup seconds, the first
  epoch (tracing included) and the median later epoch;
* RSS growth: the first model built (one-time allocations), then per later model
  built and closed;
* agreement: the space's default config trained ``--agree-epochs`` epochs with
  ``--seeds`` seeds; its final validation values, and Welch's t-test of equal means
  against TensorFlow (scipy).

Workers run one after the other, so their timings do not compete; the parent
prints each figure with its ratio to TensorFlow's in the same invocation.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

PROBLEM_DATA: dict[str, dict[str, Any]] = {
    "stocks-mlp": {"subsample": None, "params": {}},
    "covertype-mlp": {"subsample": None, "params": {}},
    "events-mlp": {"subsample": 20000, "params": {"n_events": 200000}},
    "mnist-cnn": {"subsample": 3000, "params": {}},
}


def _rss_mb() -> float:
    """Resident memory of this process (Linux ``/proc``), in MB."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _configs(space: Any) -> dict[str, dict[str, Any]]:
    """``small`` / ``large``: every Int at its lower / upper bound, the rest at defaults."""
    from tunebench.strategies.space import Int

    out = {}
    for name, pick in (("small", "low"), ("large", "high")):
        config: dict[str, Any] = {}
        for p in space:
            if not space.is_active(p.name, config):
                continue
            config[p.name] = getattr(p, pick) if isinstance(p, Int) else p.default_value()
        out[name] = space.canonical(config)
    return out


def _batches(space: Any, config: dict[str, Any]) -> list[Any]:
    """The smallest and largest batch size the space allows (or none to vary)."""
    if "batch_size" not in space.names:
        return [None]
    p = space["batch_size"]
    values = sorted(p.choices) if hasattr(p, "choices") else [p.low, p.high]
    return sorted({values[0], values[-1]})


def worker(backend: str, problems: list[str], epochs: int, seeds: int, agree_epochs: int,
           threads: int) -> dict[str, Any]:  # fmt: skip
    """Every measurement of one backend, in this process."""
    from tunebench.execution.keras_env import configure

    t0 = time.perf_counter()
    configure(backend, threads)
    from tunebench.backends.keras_training import LiveTrainer
    from tunebench.backends.session import EpochOutcome
    from tunebench.datasets import available_problems

    import_seconds = time.perf_counter() - t0
    out: dict[str, Any] = {"backend": backend, "import_seconds": import_seconds, "problems": {}}
    for name in problems:
        spec = PROBLEM_DATA[name]
        problem = available_problems()[name](**spec["params"])
        splits = problem.load(None, spec["subsample"])
        trainer = LiveTrainer(problem, splits)
        space = problem.space()
        rows = []
        rss_start, rss0, built = _rss_mb(), 0.0, 0
        for label, base in _configs(space).items():
            for batch in _batches(space, base):
                config = base if batch is None else space.canonical({**base, "batch_size": batch})
                seconds: list[float] = []

                def on_epoch(o: EpochOutcome, seconds: list[float] = seconds) -> bool:
                    seconds.append(o.seconds)
                    return True

                session = trainer.open(config, space.config_key(config), seed=0)
                setup = session.setup_seconds
                session.fit(epochs, on_epoch)
                session.close()
                built += 1
                if built == 1:  # the first model pays one-time allocations; count it apart
                    rss0 = _rss_mb()
                    first_model = rss0 - rss_start
                rows.append({"config": label, "batch": batch, "setup": setup,
                             "first": seconds[0],
                             "steady": statistics.median(seconds[1:]) if len(seconds) > 1
                             else seconds[0]})  # fmt: skip
        rss_growth = (_rss_mb() - rss0) / max(built - 1, 1)
        finals = []
        default = space.canonical(space.defaults())
        for seed in range(seeds):
            values: list[float] = []

            def keep(o: EpochOutcome, values: list[float] = values) -> bool:
                values.append(o.value)
                return True

            session = trainer.open(default, space.config_key(default), seed=seed)
            session.fit(agree_epochs, keep)
            session.close()
            finals.append(values[-1])
        out["problems"][name] = {"rows": rows, "rss_mb_per_model": rss_growth,
                                 "rss_mb_first_model": first_model,
                                 "finals": finals, "metric": problem.metric}  # fmt: skip
    return out


def _ratio(x: float, ref: float) -> str:
    return "" if not ref else f"{x / ref:.2f}x"


def main() -> None:
    """Run one worker per installed backend and print the comparison."""
    import importlib.util

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problems", default=",".join(PROBLEM_DATA))
    ap.add_argument("--backends", default="tensorflow,torch,jax")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--agree-epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    problems = [p for p in args.problems.split(",") if p]
    if args.worker:
        result = worker(args.worker, problems, args.epochs, args.seeds, args.agree_epochs,
                        args.threads)  # fmt: skip
        print("RESULT " + json.dumps(result))
        return
    module = {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax"}
    results: dict[str, dict[str, Any]] = {}
    for backend in args.backends.split(","):
        if importlib.util.find_spec(module[backend]) is None:
            print(f"{backend}: not installed, skipped (pip install {module[backend]})")
            continue
        cmd = [
            sys.executable, __file__, "--worker", backend, "--problems", ",".join(problems),
            "--epochs", str(args.epochs), "--seeds", str(args.seeds),
            "--agree-epochs", str(args.agree_epochs), "--threads", str(args.threads),
        ]  # fmt: skip
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
        if proc.returncode or line is None:
            print(f"{backend}: worker failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        results[backend] = json.loads(line[len("RESULT ") :])
        results[backend]["wall"] = time.perf_counter() - t0
    if not results:
        raise SystemExit("no backend could be measured")
    ref = "tensorflow" if "tensorflow" in results else next(iter(results))
    from scipy import stats

    print(f"\nratios are against {ref}; seconds per epoch at {args.threads} thread(s)")
    for backend, r in results.items():
        print(f"{backend}: worker wall {r['wall']:.1f} s (imports and backend setup "
              f"{r['import_seconds']:.1f} s)")  # fmt: skip
    for name in problems:
        print(f"\n{name}")
        print(f"  {'config':6} {'batch':>5} {'backend':10} {'setup s':>8} {'first s':>8} "
              f"{'steady s':>9} {'steady vs ' + ref:>16}")  # fmt: skip
        base_rows = results[ref]["problems"][name]["rows"]
        for i, row in enumerate(base_rows):
            for backend, r in results.items():
                x = r["problems"][name]["rows"][i]
                print(f"  {row['config']:6} {row['batch'] or '-':>5} {backend:10} "
                      f"{x['setup']:8.2f} {x['first']:8.2f} {x['steady']:9.3f} "
                      f"{_ratio(x['steady'], row['steady']):>16}")  # fmt: skip
        ref_finals = results[ref]["problems"][name]["finals"]
        metric = results[ref]["problems"][name]["metric"]
        for backend, r in results.items():
            p = r["problems"][name]
            finals = p["finals"]
            line = (f"  {backend:10} RSS +{p['rss_mb_first_model']:.0f} MB first model, "
                    f"+{p['rss_mb_per_model']:.1f} MB per later one; final val "
                    f"{metric} {statistics.mean(finals):.4f} +- "
                    f"{statistics.stdev(finals) if len(finals) > 1 else 0:.4f} "
                    f"({len(finals)} seeds)")  # fmt: skip
            if backend != ref and len(finals) > 1:
                test = stats.ttest_ind(finals, ref_finals, equal_var=False)
                line += f"; Welch t-test vs {ref}: p = {test.pvalue:.3f}"
            print(line)


if __name__ == "__main__":
    main()
