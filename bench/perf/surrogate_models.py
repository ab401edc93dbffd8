"""Which regressor makes the best learning-curve surrogate? Held-out fidelity, side by side.

Usage::

    python bench/perf/surrogate_models.py [--problems stocks-mlp,mnist-cnn] [--folds 5]
        [--models hgb,forest,xgboost,lightgbm]

For each problem's shipped sampled table, every model is fitted on the rows
(config, epoch) of 4/5 of the configs and scored on the configs held out (by config,
never by row), fold by fold. Features: every hyperparameter (log parameters on a log
scale, categoricals as codes, inactive ones missing) and the epoch. Targets: the
validation value and log epoch seconds. Printed per model: Spearman's rho and R^2 of
the held-out configs' validation (mean over repeats) at the last epoch and at three
intermediate epochs, the same for seconds at the last epoch, the share of predictions
outside the metric's range, fit seconds and predict microseconds per row. A first row,
``repeats``, scores recorded repeat 1 as a prediction of repeat 0: the ceiling that the
training noise puts on any surrogate. A model that is not installed is skipped with a
line saying so.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import r2_score

from tunebench.curves.surrogate import encode, metric_range
from tunebench.datasets import available_problems
from tunebench.matrix.plan import shipped_table
from tunebench.strategies.space import SearchSpace


def features(space: SearchSpace, table: pd.DataFrame) -> pd.DataFrame:
    """The surrogate's own encoding of each row's config (:func:`encode`), and the epoch."""
    keys = table["config_key"].to_numpy()
    unique, where = np.unique(keys, return_inverse=True)
    encoded = encode(space, [json.loads(k) for k in unique])[where]
    frame = pd.DataFrame(encoded, columns=list(space.names), index=table.index)
    frame["epoch"] = table["epoch"].astype(float)
    return frame


def models(seed: int) -> dict[str, tuple[str, Callable[[], Any]]]:
    """The candidate regressors: name -> (the module it needs, a factory)."""

    def hgb() -> Any:
        from sklearn.ensemble import HistGradientBoostingRegressor

        return HistGradientBoostingRegressor(max_iter=400, learning_rate=0.05, random_state=seed)

    def forest() -> Any:
        from sklearn.ensemble import RandomForestRegressor

        # trees cannot take NaN in every sklearn version: the caller fills them
        return RandomForestRegressor(n_estimators=200, min_samples_leaf=2, n_jobs=2,
                                     random_state=seed)  # fmt: skip

    def xgb() -> Any:
        from xgboost import XGBRegressor

        return XGBRegressor(n_estimators=400, max_depth=6, learning_rate=0.05, subsample=0.8,
                            n_jobs=2, random_state=seed)  # fmt: skip

    def lgbm() -> Any:
        from lightgbm import LGBMRegressor

        return LGBMRegressor(n_estimators=400, learning_rate=0.05, num_leaves=31, n_jobs=2,
                             random_state=seed, verbose=-1)  # fmt: skip

    return {
        "hgb": ("sklearn", hgb),
        "forest": ("sklearn", forest),
        "xgboost": ("xgboost", xgb),
        "lightgbm": ("lightgbm", lgbm),
    }


def evaluate(problem_name: str, model_names: list[str], folds: int, seed: int) -> None:
    """Fit and score every model on one problem's sampled table; print a table."""
    problem = available_problems()[problem_name]()
    path = shipped_table(problem_name, "sampled")
    table = pd.read_parquet(path)
    table = table[~table["failed"].fillna(False).astype(bool)] if "failed" in table else table
    table = table[np.isfinite(table["value"].astype(float))]
    space = problem.space()
    x = features(space, table)
    y_val = table["value"].astype(float).to_numpy()
    y_sec = np.log(table["seconds"].astype(float).clip(lower=1e-6)).to_numpy()
    keys = table["config_key"].to_numpy()
    configs = np.unique(keys)
    rng = np.random.default_rng(seed)
    fold_of = dict(zip(configs, rng.permutation(len(configs)) % folds, strict=True))
    fold = np.array([fold_of[k] for k in keys])
    max_epoch = int(table["epoch"].max())
    probe = sorted({max(1, round(max_epoch * f)) for f in (0.25, 0.5, 0.75)} | {max_epoch})
    low, high = metric_range(problem.metric)
    print(f"\n{problem_name}: {len(configs)} configs, {len(table)} rows, epochs 1..{max_epoch}, "
          f"{folds} folds by config; validation at epochs {probe}")  # fmt: skip
    head = "model     " + "".join(f"  rho@{e:<3} R2@{e:<4}" for e in probe)
    print(head + "  rho_sec  R2_sec  out_of_range  fit_s  predict_us/row")
    # The noise ceiling: how well one recorded repeat ranks the configs of the other.
    if table["repeat"].nunique() >= 2:
        both = table[table["repeat"].isin([0, 1])]
        cells = []
        for e in probe:
            wide = (
                both[both["epoch"] == e]
                .pivot_table(index="config_key", columns="repeat", values="value")
                .dropna()
            )
            rho = spearmanr(wide[0], wide[1]).statistic
            cells.append(f"  {rho:>7.3f} {r2_score(wide[0], wide[1]):>7.3f}")
        print(f"{'repeats':<10}" + "".join(cells) + "  (repeat 1 as a prediction of repeat 0)")
    for name in model_names:
        module, make = models(seed)[name]
        if importlib.util.find_spec(module) is None:
            print(f"{name:<10}not installed (pip install {module})")
            continue
        pred_val = np.empty_like(y_val)
        pred_sec = np.empty_like(y_sec)
        fit_s = pred_s = 0.0
        xs = x.fillna(-1.0) if name == "forest" else x
        for k in range(folds):
            train, test = fold != k, fold == k
            for y, pred in ((y_val, pred_val), (y_sec, pred_sec)):
                model = make()
                t0 = time.perf_counter()
                model.fit(xs[train], y[train])
                t1 = time.perf_counter()
                pred[test] = model.predict(xs[test])
                fit_s += t1 - t0
                pred_s += time.perf_counter() - t1
        frame = pd.DataFrame(
            {"key": keys, "epoch": table["epoch"].to_numpy(), "y": y_val, "p": pred_val,
             "ys": y_sec, "ps": pred_sec}
        )  # fmt: skip
        cells = []
        for e in probe:
            at = frame[frame["epoch"] == e].groupby("key")[["y", "p"]].mean()
            rho = spearmanr(at["y"], at["p"]).statistic
            cells.append(f"  {rho:>7.3f} {r2_score(at['y'], at['p']):>7.3f}")
        last = frame[frame["epoch"] == max_epoch].groupby("key")[["ys", "ps"]].mean()
        rho_s = spearmanr(last["ys"], last["ps"]).statistic
        outside = float(np.mean((pred_val < low) | (pred_val > high)))
        per_row = pred_s / (2 * len(table)) * 1e6
        r2_s = r2_score(last["ys"], last["ps"])
        print(f"{name:<10}" + "".join(cells) + f"  {rho_s:>7.3f} {r2_s:>7.3f}"
              f"  {outside:>12.4f}  {fit_s:>5.1f}  {per_row:>14.2f}")  # fmt: skip


def main() -> None:
    """Parse the options and evaluate every problem."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problems", default="stocks-mlp,mnist-cnn")
    ap.add_argument("--models", default="hgb,forest,xgboost,lightgbm")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    for problem in args.problems.split(","):
        evaluate(problem, args.models.split(","), args.folds, args.seed)


if __name__ == "__main__":
    main()
