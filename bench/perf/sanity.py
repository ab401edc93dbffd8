"""Sanity of the problems against the outside world: one fixed sensible config per problem.

Usage::

    python bench/perf/sanity.py mnist|covertype|events|stocks|all
        [--data-dir DIR] [--threads 2] [--epochs N] [--max-seconds S] [--json OUT]

Each problem's fixed config is trained once on its full training split (validation
watched, never used for fitting) and scored on the test split, next to baselines:

- mnist: convnet test accuracy; published tuned convnets reach 99.3-99.7%, the bar is 99.0%.
- covertype: MLP test accuracy beside a scikit-learn random forest (300 trees) trained on
  the same split, and the majority class. On the full UCI data the bar is 0.90.
- events: MLP test MAE (standardised target and GeV) against the reconstructed-mass baseline.
- stocks: MLP test accuracy of every shipped series beside its majority-class accuracy.

``--max-seconds`` stops training after the epoch that crosses it (the figure printed
says how many epochs were trained). scikit-learn is needed for the covertype baseline.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path
from typing import Any

from tunebench.datasets.covertype import CovertypeMLP
from tunebench.datasets.events import EventsMLP
from tunebench.datasets.mnist import MnistCNN
from tunebench.datasets.problem import Problem, Splits
from tunebench.datasets.stocks import TICKERS, StocksMLP
from tunebench.execution.keras_env import configure

PROBLEMS = ("mnist", "covertype", "events", "stocks")

# The fixed configs (all inside each problem's search space).
MNIST_CONFIG: dict[str, Any] = {
    "conv_layers": 2,
    "conv_filters_1": 32,
    "conv_activation_1": "relu",
    "conv_init_1": "he_normal",
    "conv_filters_2": 64,
    "conv_activation_2": "relu",
    "conv_init_2": "he_normal",
    "kernel_size": 3,
    "pool_size": 2,
    "conv_dropout": 0.25,
    "dense_layers": 1,
    "dense_units_1": 128,
    "dense_activation_1": "relu",
    "dense_init_1": "he_normal",
    "dense_dropout": 0.5,
    "learning_rate": 0.05,
    "momentum": 0.9,
    "batch_size": 128,
}
COVERTYPE_CONFIG: dict[str, Any] = {
    "n_layers": 3,
    "units_1": 512,
    "units_2": 512,
    "units_3": 256,
    "activation": "relu",
    "optimizer": "adam",
    "learning_rate": 1e-3,
    "input_dropout": 0.0,
    "hidden_dropout": 0.1,
    "batch_size": 128,
}
EVENTS_CONFIG: dict[str, Any] = {
    "depth": 9,
    "first_width": 512,
    "batch_size": 1024,
    "learning_rate": 1e-3,
    "optimizer": "adam",
}
STOCKS_CONFIG: dict[str, Any] = {
    "n_layers": 2,
    "units_1": 32,
    "units_2": 32,
    "optimizer": "adam",
    "learning_rate": 1e-3,
    "batch_size": 64,
}


def train_and_test(
    problem: Problem,
    splits: Splits,
    config: dict[str, Any],
    epochs: int,
    max_seconds: float | None,
    seed: int = 0,
    verbose: bool = True,
) -> dict[str, Any]:
    """Train ``config`` once, print each epoch, return the test metric and timings."""
    import keras

    problem.space().validate(config)
    keras.utils.set_random_seed(seed)
    model = problem.build_model(config, splits)
    metric = problem.metric
    t0 = time.perf_counter()
    log: list[dict[str, float]] = []

    class _Watch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            logs = logs or {}
            elapsed = time.perf_counter() - t0
            log.append({"epoch": epoch + 1, "val": float(logs[f"val_{metric}"]), "s": elapsed})
            if verbose:
                print(
                    f"  epoch {epoch + 1:>2}: val_{metric}={logs[f'val_{metric}']:.4f} "
                    f"loss={logs['loss']:.4f}  ({elapsed:.0f} s)",
                    flush=True,
                )
            if max_seconds is not None and elapsed >= max_seconds:
                self.model.stop_training = True

    model.fit(
        splits.x_train,
        splits.y_train,
        batch_size=problem.batch_size(config),
        epochs=epochs,
        validation_data=(splits.x_val, splits.y_val),
        shuffle=True,
        verbose=0,
        callbacks=[_Watch()],
    )
    train_seconds = time.perf_counter() - t0
    scores = model.evaluate(
        splits.x_test, splits.y_test, batch_size=1024, verbose=0, return_dict=True
    )
    return {
        "test": float(scores[metric]),
        "epochs": len(log),
        "train_seconds": round(train_seconds, 1),
        "seconds_per_epoch": round(train_seconds / max(len(log), 1), 1),
        "val_curve": [round(e["val"], 5) for e in log],
    }


def run_mnist(args: argparse.Namespace) -> dict[str, Any]:
    """The convnet on the 50,000 training images; the official 10,000 test images."""
    problem = MnistCNN()
    splits = problem.load(args.data_dir)
    print(f"mnist-cnn: {splits.sizes()} rows, config {MNIST_CONFIG}", flush=True)
    out = train_and_test(
        problem, splits, MNIST_CONFIG, args.epochs or problem.max_epochs, args.max_seconds
    )
    out["majority_test_accuracy"] = splits.source["majority_test_accuracy"]
    out["bar"] = 0.990
    print(
        f"mnist-cnn: test accuracy {out['test']:.4f} after {out['epochs']} epochs "
        f"({out['seconds_per_epoch']} s/epoch; bar 0.990, published tuned 0.993-0.997; "
        f"majority class {out['majority_test_accuracy']:.4f})",
        flush=True,
    )
    return out


def run_covertype(args: argparse.Namespace) -> dict[str, Any]:
    """The MLP and a random forest on the same stratified split."""
    problem = CovertypeMLP()
    splits = problem.load(args.data_dir)
    variant = splits.source["variant"]
    print(f"covertype-mlp ({variant}): {splits.sizes()} rows, config {COVERTYPE_CONFIG}")
    out = train_and_test(
        problem, splits, COVERTYPE_CONFIG, args.epochs or problem.max_epochs, args.max_seconds
    )
    out["variant"] = variant
    out["majority_test_accuracy"] = splits.source["majority_test_accuracy"]
    try:
        from sklearn.ensemble import RandomForestClassifier
    except ImportError:
        print("covertype: scikit-learn not installed; no random-forest baseline")
        out["random_forest_test"] = None
    else:
        t0 = time.perf_counter()
        forest = RandomForestClassifier(n_estimators=300, random_state=0, n_jobs=args.threads)
        forest.fit(splits.x_train, splits.y_train)
        out["random_forest_test"] = float(forest.score(splits.x_test, splits.y_test))
        out["random_forest_seconds"] = round(time.perf_counter() - t0, 1)
    rf = out["random_forest_test"]
    rf_text = "n/a" if rf is None else f"{rf:.4f}"
    bar = " (bar 0.90)" if variant == "uci-full" else ""
    print(
        f"covertype-mlp ({variant}): test accuracy {out['test']:.4f}{bar}; random forest "
        f"(300 trees, same split) {rf_text}; majority class {out['majority_test_accuracy']:.4f}"
    )
    return out


def run_events(args: argparse.Namespace) -> dict[str, Any]:
    """The funnel MLP on 1.5 million simulated events against the m_reco baseline."""
    problem = EventsMLP()
    t0 = time.perf_counter()
    splits = problem.load(args.data_dir)
    load_seconds = time.perf_counter() - t0
    src = splits.source
    print(f"events-mlp: {splits.sizes()} rows (loaded in {load_seconds:.1f} s), {EVENTS_CONFIG}")
    out = train_and_test(
        problem, splits, EVENTS_CONFIG, args.epochs or problem.max_epochs, args.max_seconds
    )
    out.update(
        load_seconds=round(load_seconds, 1),
        target_std=src["target_std"],
        test_mae_gev=out["test"] * src["target_std"],
        baseline_test_mae=src["baseline_test_mae"],
        baseline_test_mae_gev=src["baseline_test_mae_gev"],
    )
    print(
        f"events-mlp: test MAE {out['test']:.4f} (standardised; {out['test_mae_gev']:.3f} GeV) "
        f"vs reconstructed-mass baseline {out['baseline_test_mae']:.4f} "
        f"({out['baseline_test_mae_gev']:.3f} GeV)"
    )
    return out


def run_stocks(args: argparse.Namespace) -> dict[str, Any]:
    """The MLP on every shipped series, beside the majority-class accuracy."""
    results: dict[str, Any] = {}
    for ticker in TICKERS:
        problem = StocksMLP(ticker=ticker)
        splits = problem.load(args.data_dir)
        out = train_and_test(
            problem,
            splits,
            STOCKS_CONFIG,
            args.epochs or problem.max_epochs,
            args.max_seconds,
            verbose=False,
        )
        out["majority_test_accuracy"] = splits.source["majority_test_accuracy"]
        results[ticker] = out
        print(
            f"stocks-mlp {ticker:<6}: test accuracy {out['test']:.4f} vs majority class "
            f"{out['majority_test_accuracy']:.4f} ({splits.sizes()})",
            flush=True,
        )
    return results


def main() -> None:
    """Parse arguments, run the chosen sanity checks, print (and optionally save) them."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=(*PROBLEMS, "all"))
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=None, help="default: the problem's max_epochs")
    ap.add_argument("--max-seconds", type=float, default=None)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    configure("tensorflow", args.threads)
    runners = {
        "mnist": run_mnist,
        "covertype": run_covertype,
        "events": run_events,
        "stocks": run_stocks,
    }
    chosen = PROBLEMS if args.what == "all" else (args.what,)
    results: dict[str, Any] = {
        "command": " ".join(["python", *sys.argv]),
        "machine": f"{platform.processor() or platform.machine()}, threads={args.threads}",
    }
    for name in chosen:
        t0 = time.perf_counter()
        results[name] = runners[name](args)
        print(f"[{name}: {time.perf_counter() - t0:.0f} s wall]", flush=True)
    if args.json is not None:
        args.json.write_text(
            json.dumps(results, indent=2, default=lambda v: None if math.isnan(v) else v),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
