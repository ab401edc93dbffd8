"""XGBoost settings for the learning-curve surrogate: held-out Spearman and predict cost.

Usage::

    python bench/perf/surrogate_params.py PROBLEM [NAME,NAME...] [mean]

Scores each variant below the way ``tunebench surrogate fit`` scores the shipped one
(the same rows, the same 5 folds by config, seed 0): Spearman of the held-out configs'
validation at four epochs, the fit seconds, and the microseconds per epoch of one model
predicting one curve. ``log`` variants fit -log(1 - accuracy) (log of an error metric);
``mean`` fits the mean of the repeats per (config, epoch) instead of every row.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import xgboost as xgb
from scipy.stats import spearmanr

from tunebench.curves.surrogate_fit import _by_config, _rows
from tunebench.curves.table import LearningCurveTable
from tunebench.datasets import available_problems
from tunebench.matrix.plan import shipped_table

prob = sys.argv[1]
p = available_problems()[prob]()
space = p.space()
path = shipped_table(prob, "sampled")
t = LearningCurveTable(path, space.fingerprint())
cur, noise, keys = _rows(space, t)
E = t.epochs
acc = p.metric == "accuracy"
fwd = (
    (lambda v: -np.log(1 - np.clip(v, 0, 1 - 1e-4)))
    if acc
    else (lambda v: np.log(np.clip(v, 1e-6, None)))
)
fold = np.random.default_rng(0).permutation(len(keys)) % 5


def variant(
    depth: int, eta: float, rounds: int, log: bool = False, mcw: int | None = None
) -> tuple[dict[str, float], int, bool]:
    """(XGBoost params, rounds, fit the log target) of one variant."""
    params: dict[str, float] = {"max_depth": depth, "eta": eta, "subsample": 0.8}
    if mcw is not None:
        params["min_child_weight"] = mcw
    return params, rounds, log


variants = {
    "old d6 e.05 r400": variant(6, 0.05, 400),
    "d3 e.05 r400": variant(3, 0.05, 400),
    "d3 e.05 r400 log": variant(3, 0.05, 400, log=True),
    "d3 e.05 r400 mcw5 log": variant(3, 0.05, 400, log=True, mcw=5),
    "d3 e.03 r600 mcw5 log": variant(3, 0.03, 600, log=True, mcw=5),
    "d3 e.02 r1000 mcw5 log": variant(3, 0.02, 1000, log=True, mcw=5),
    # fewer trees: the predict cost of a curve grows with the number of trees
    "d6 e.1 r200": variant(6, 0.1, 200),
    "d6 e.2 r100": variant(6, 0.2, 100),
    "d8 e.1 r150": variant(8, 0.1, 150),
    "d4 e.03 r600 mcw5 log": variant(4, 0.03, 600, log=True, mcw=5),
}
MEAN = len(sys.argv) > 3 and sys.argv[3] == "mean"
only = sys.argv[2].split(",") if len(sys.argv) > 2 else None
rows1 = np.hstack([cur.x[:1].repeat(E, 0)[:, :-1], np.arange(1, E + 1)[:, None]])
for name, (params, rounds, tr) in variants.items():
    if only and not any(o in name for o in only):
        continue
    pr = dict(params, seed=0, nthread=1, objective="reg:squarederror")
    y = fwd(cur.y["value"]) if tr else cur.y["value"]
    X = cur.x
    if MEAN:
        import pandas as pd

        df = pd.DataFrame({"g": cur.group, "e": cur.epoch, "y": y, "i": np.arange(len(y))})
        agg = df.groupby(["g", "e"]).agg(y=("y", "mean"), i=("i", "first")).reset_index()
        mx, my, mg = cur.x[agg.i.to_numpy()], agg.y.to_numpy(), agg.g.to_numpy()
    else:
        mx, my, mg = cur.x, y, cur.group
    held = np.full(len(y), np.nan)
    t0 = time.perf_counter()
    for k in range(5):
        tr_, te = fold[cur.group] != k, fold[cur.group] == k
        mtr = fold[mg] != k
        m = xgb.train(pr, xgb.DMatrix(mx[mtr], label=my[mtr]), num_boost_round=rounds)
        held[te] = m.predict(xgb.DMatrix(cur.x[te]))
    fit = time.perf_counter() - t0
    rhos = [
        spearmanr(*_by_config(cur, held, e)).statistic
        for e in sorted({max(1, round(E * f)) for f in (0.25, 0.5, 0.75)} | {E})
    ]
    m.set_param({"nthread": 1})
    n = 300
    t0 = time.perf_counter()
    for _ in range(n):
        m.inplace_predict(rows1)
    us = (time.perf_counter() - t0) / n / E * 1e6
    print(
        f"{prob:14s} {name:26s} rho "
        + " ".join(f"{r:.3f}" for r in rhos)
        + f"  fit {fit:5.1f}s  predict {us:6.1f} us/epoch/model",
        flush=True,
    )
