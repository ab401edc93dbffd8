"""Measure seconds per epoch of a problem and the harness's overhead per trial.

Usage::

    python bench/perf/harness_overhead.py [--problem stocks-mlp] [--trials 12] [--epochs 3]
        [--repeats 3] [--backend tensorflow|torch]

Prints (1) seconds per epoch for each batch size of a fixed mid-sized config
(first epoch, which includes tracing, and the median of the others);
(2) a random-search run through the real harness, with its wall time split
into training, model setup, strategy, test evaluation and the rest (Keras's
per-fit set-up and the harness's own work), per trial; (3) the same configs
trained with a bare ``model.fit`` in the same process, and the ratio of the two
throughputs. Everything runs in one process, (2) and (3) in alternating order
after a warm-up run, so the ratios are comparable on a noisy machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tunebench.backends.keras_training import LiveTrainer
from tunebench.backends.session import EpochOutcome
from tunebench.datasets import available_problems
from tunebench.execution.keras_env import configure
from tunebench.records.events import TrialStart
from tunebench.records.run_record import RunRecord
from tunebench.records.storage import read_events
from tunebench.run.execute import RunSpec, execute_run
from tunebench.strategies import RandomSearch


def main() -> None:
    """Run the three measurements and print them."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problem", default="stocks-mlp")
    ap.add_argument("--trials", type=int, default=12)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--backend", default="tensorflow", help="Keras backend: tensorflow, torch")
    args = ap.parse_args()
    configure(args.backend, args.threads)
    import keras

    problem = available_problems()[args.problem]()
    splits = problem.load()
    print(f"{args.problem}: {splits.sizes()} rows, threads={args.threads}, backend={args.backend}")

    # 1. seconds per epoch by batch size
    trainer = LiveTrainer(problem, splits)
    space = problem.space()
    print("\nbatch  first_epoch_s  later_epoch_s (median of 4)")
    for batch in (32, 64, 128, 256):
        config = {**space.defaults(), "batch_size": batch}
        config = {k: v for k, v in config.items() if space.is_active(k, config)}
        session = trainer.open(config, space.config_key(config), seed=0)
        times: list[float] = []

        def keep(out: EpochOutcome, times: list[float] = times) -> bool:
            times.append(out.seconds)
            return True

        session.fit(5, keep)
        session.close()
        print(f"{batch:>5}  {times[0]:>13.3f}  {statistics.median(times[1:]):>13.3f}")

    # 2 and 3, interleaved `repeats` times so machine noise hits both alike
    spec = RunSpec(
        matrix="perf", problem=args.problem, max_epochs=args.epochs, strategy="random",
        strategy_label="random", seed=0, full_evaluations=args.trials,
    )  # fmt: skip

    def harness() -> tuple[float, RunRecord, list[dict[str, Any]]]:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            record = execute_run(spec, Path(tmp), problem, splits, RandomSearch())
            wall = time.perf_counter() - t0
            configs = [e.config for e in read_events(Path(tmp)) if isinstance(e, TrialStart)]
        return wall, record, configs

    def bare(configs: list[dict[str, Any]]) -> float:
        """A bare ``model.fit`` of the same configs in the same process."""
        t0 = time.perf_counter()
        for i, config in enumerate(configs):
            keras.utils.set_random_seed(i)
            model = problem.build_model(config, splits)
            model.fit(
                splits.x_train, splits.y_train, batch_size=int(config["batch_size"]),
                epochs=args.epochs, validation_data=(splits.x_val, splits.y_val), verbose=0,
            )  # fmt: skip
            del model
            keras.backend.clear_session(free_memory=False)
        return time.perf_counter() - t0

    _, _, configs = harness()  # the run's configs (the same every time: seed 0); a warm-up
    ratios, overheads = [], []
    for rep in range(args.repeats):
        # alternate which goes first, so a load that comes and goes hits both alike
        if rep % 2:
            bare_wall = bare(configs)
            harness_wall, record, _ = harness()
        else:
            harness_wall, record, _ = harness()
            bare_wall = bare(configs)
        led, n = record.ledger, record.result.n_trials
        evals = record.timings.test_eval_seconds
        rest = harness_wall - led.train_seconds - led.setup_seconds
        rest -= led.strategy_seconds + evals
        scored = record.timings.test_evaluations
        print(f"\n[{rep + 1}/{args.repeats}] harness: {n} trials x {args.epochs} epochs "
              f"in {harness_wall:.2f} s ({scored} scored on test)")  # fmt: skip
        for label, value in [
            ("training epochs", led.train_seconds),
            ("model setup", led.setup_seconds),
            ("strategy (ask/report/tell)", led.strategy_seconds),
            ("test evaluation of the trials scored", evals),
            ("harness rest (fit set-up, logging, checks)", rest),
        ]:
            print(f"  {label:<46} {value:7.3f} s  {value / n * 1000:8.1f} ms/trial")
        ratios.append(bare_wall / harness_wall)
        overheads.append((harness_wall - bare_wall) / n * 1000)
        print(f"  bare model.fit of the same configs: {bare_wall:.2f} s; "
              f"throughput ratio {ratios[-1]:.3f}")  # fmt: skip
    print(f"\nharness throughput / bare fit throughput: median {statistics.median(ratios):.3f} "
          f"(runs: {', '.join(f'{r:.3f}' for r in ratios)})")  # fmt: skip
    print(f"harness overhead per trial beyond bare fit: median "
          f"{statistics.median(overheads):.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
