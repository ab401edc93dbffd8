"""Fitting a learning-curve surrogate on a sampled table, and its held-out fidelity.

:func:`fit_surrogate` fits the models of :class:`~tunebench.curves.surrogate.Surrogate`
and measures the fidelity on configs held out from the fit (by config, never by row).
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tunebench.curves.surrogate import (
    CLIPPED_TARGETS,
    CURVE_TARGETS,
    LINKS,
    RANKING_TARGETS,
    TARGETS,
    Surrogate,
    SurrogateError,
    encode,
    file_sha256,
    from_link,
    link_of,
    metric_range,
    sigma_of,
    to_link,
)
from tunebench.curves.table import LearningCurveTable, read_table_meta
from tunebench.strategies.space import SearchSpace

__all__ = ["fit_surrogate", "target_rounds"]


@dataclass
class _Rows:
    """A table as training rows: features, targets, and the config of each row."""

    x: np.ndarray
    y: dict[str, np.ndarray]
    group: np.ndarray  # config index of each row
    epoch: np.ndarray


def _rows(space: SearchSpace, table: Any) -> tuple[_Rows, _Rows, list[str]]:
    """Curve rows (every finite recorded epoch) and noise rows (``|repeat 0 - repeat 1|``)."""
    keys = list(table.config_keys)
    index = {k: i for i, k in enumerate(keys)}
    encoded = encode(space, [json.loads(k) for k in keys])
    xs: list[np.ndarray] = []
    group: list[np.ndarray] = []
    epoch: list[np.ndarray] = []
    ys: dict[str, list[np.ndarray]] = {n: [] for n in CURVE_TARGETS}
    nx: list[np.ndarray] = []
    ngroup: list[np.ndarray] = []
    nepoch: list[np.ndarray] = []
    ny: list[np.ndarray] = []
    for (key, repeat), curve in table.curves.items():
        ok = np.isfinite(curve.value) & np.isfinite(curve.loss) & (curve.seconds > 0)
        e = np.arange(1, curve.epochs + 1)[ok]
        xs.append(np.hstack([np.repeat(encoded[[index[key]]], len(e), axis=0), e[:, None]]))
        group.append(np.full(len(e), index[key]))
        epoch.append(e)
        ys["value"].append(curve.value[ok])
        ys["test_value"].append(curve.test_value[ok])
        ys["loss"].append(curve.loss[ok])
        ys["log_seconds"].append(np.log(curve.seconds[ok]))
        ys["log_flops"].append(np.log(np.clip(curve.flops[ok], 1.0, None)))
        other = table.curves.get((key, 1))
        if repeat == 0 and other is not None:
            n = min(curve.epochs, other.epochs)
            both = np.isfinite(curve.value[:n]) & np.isfinite(other.value[:n])
            e2 = np.arange(1, n + 1)[both]
            nx.append(np.hstack([np.repeat(encoded[[index[key]]], len(e2), axis=0), e2[:, None]]))
            ngroup.append(np.full(len(e2), index[key]))
            nepoch.append(e2)
            ny.append(np.abs(curve.value[:n] - other.value[:n])[both])
    curves = _Rows(np.vstack(xs), {n: np.concatenate(v) for n, v in ys.items()},
                   np.concatenate(group), np.concatenate(epoch))  # fmt: skip
    noise = _Rows(np.vstack(nx), {"noise": np.concatenate(ny)}, np.concatenate(ngroup),
                  np.concatenate(nepoch))  # fmt: skip
    return curves, noise, keys


#: The targets that rank configs (what strategies see and what the report scores) get
#: the full boosting rounds; the others (loss, seconds, FLOPs, noise) half as many at
#: twice the learning rate. A curve's predict cost grows with the trees it walks, and
#: ``bench/perf/surrogate_params.py`` scores 200 rounds at eta 0.1 close to 400 at eta
#: 0.05 in held-out Spearman, at a much lower predict cost.
ETA = 0.1


def target_rounds(name: str, rounds: int) -> tuple[int, float]:
    """Boosting rounds and learning rate of one target's model."""
    if name in RANKING_TARGETS:
        return rounds, ETA
    return max(1, rounds // 2), 2 * ETA


def _train(x: np.ndarray, y: np.ndarray, name: str, rounds: int, seed: int) -> Any:
    import xgboost as xgb

    n, eta = target_rounds(name, rounds)
    params = {"max_depth": 6, "eta": eta, "subsample": 0.8, "seed": seed, "nthread": 2,
              "objective": "reg:squarederror"}  # fmt: skip
    return xgb.train(params, xgb.DMatrix(x, label=y), num_boost_round=n)


def _scores(truth: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    from scipy.stats import spearmanr
    from sklearn.metrics import r2_score

    return {"spearman": float(spearmanr(truth, pred).statistic),
            "r2": float(r2_score(truth, pred))}  # fmt: skip


def _by_config(rows: _Rows, values: np.ndarray, epoch: int) -> tuple[np.ndarray, np.ndarray]:
    """Per config at ``epoch``: the mean over repeats of the truth and of ``values``."""
    at = rows.epoch == epoch
    groups = rows.group[at]
    order = np.unique(groups)
    truth = np.array([rows.y["value"][at][groups == g].mean() for g in order])
    pred = np.array([values[at][groups == g].mean() for g in order])
    return truth, pred


def fit_surrogate(
    problem: Any,
    table_path: Path,
    *,
    folds: int = 5,
    rounds: int = 200,
    seed: int = 0,
    link: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Surrogate:
    """Fit a problem's surrogate on a sampled table and measure its held-out fidelity.

    The configs are split into ``folds`` folds; each fold's configs are predicted by
    models fitted on the others (every recorded repeat of a config stays on one side).
    The final models are then fitted on every config.

    Raises:
        TableError: The table is missing, corrupt, or for another space.
        SurrogateError: The table is a grid table, or has fewer configs than folds.
    """
    import scipy
    import sklearn
    import xgboost

    say = progress or (lambda _msg: None)
    space = problem.space()
    if read_table_meta(table_path).get("kind") != "sampled":
        raise SurrogateError(
            f"{table_path}: a grid table; a surrogate needs configs sampled from the full "
            "space (tunebench tabulate --sample N)"
        )
    table = LearningCurveTable(table_path, space.fingerprint())
    curves, noise, keys = _rows(space, table)
    if len(keys) < max(folds, 2):
        raise SurrogateError(f"{table_path}: {len(keys)} configs; at least {folds} are needed")
    link = link or link_of(problem.metric)
    if link not in LINKS:
        raise SurrogateError(f"link {link!r}: expected one of {', '.join(LINKS)}")
    # what the models are fitted on; curves.y keeps the metric's values for the scores
    targets = {n: to_link(link, y) if n in CLIPPED_TARGETS else y for n, y in curves.y.items()}
    abs_diff = noise.y["noise"]
    floor = _diff_floor(abs_diff)
    noise.y["noise"] = np.log(np.maximum(abs_diff, floor))
    fold_of = np.random.default_rng(seed).permutation(len(keys)) % folds
    epochs = table.epochs
    probe = sorted({max(1, round(epochs * f)) for f in (0.25, 0.5, 0.75)} | {epochs})
    held = {"value": np.full(len(curves.x), np.nan), "log_seconds": np.full(len(curves.x), np.nan)}
    held_noise = np.full(len(noise.x), np.nan)
    for k in range(folds):
        say(f"held-out fold {k + 1}/{folds}")
        train, test = fold_of[curves.group] != k, fold_of[curves.group] == k
        for name in held:
            model = _train(curves.x[train], targets[name][train], name, rounds, seed)
            held[name][test] = model.predict(xgboost.DMatrix(curves.x[test]))
        ntrain, ntest = fold_of[noise.group] != k, fold_of[noise.group] == k
        if ntest.any() and ntrain.any():
            model = _train(noise.x[ntrain], noise.y["noise"][ntrain], "noise", rounds, seed)
            held_noise[ntest] = model.predict(xgboost.DMatrix(noise.x[ntest]))
    held["value"] = from_link(link, held["value"])
    low, high = metric_range(problem.metric)
    fidelity: dict[str, Any] = {"folds": folds, "configs": len(keys), "epochs": probe}
    fidelity["value"] = {str(e): _scores(*_by_config(curves, held["value"], e)) for e in probe}
    seconds_rows = _Rows(curves.x, {"value": curves.y["log_seconds"]}, curves.group, curves.epoch)
    fidelity["seconds"] = {
        str(e): _scores(*_by_config(seconds_rows, held["log_seconds"], e)) for e in probe
    }
    fidelity["out_of_range"] = float(np.mean((held["value"] < low) | (held["value"] > high)))
    fidelity["noise"] = _noise_calibration(abs_diff, held_noise, seed)
    say("final models on every config")
    boosters = {n: _train(curves.x, targets[n], n, rounds, seed) for n in CURVE_TARGETS}
    boosters["noise"] = _train(noise.x, noise.y["noise"], "noise", rounds, seed)
    meta = {
        "problem": problem.name,
        "metric": problem.metric,
        "direction": problem.direction,
        "epochs": epochs,
        "space_fingerprint": space.fingerprint(),
        "table": table_path.name,
        "table_sha256": file_sha256(table_path),
        "table_backend": table.meta.get("backend"),
        "setup_seconds": float(np.median([c.setup_seconds for c in table.curves.values()])),
        "features": [*space.names, "epoch"],
        "link": link,
        "ranges": {name: _recorded_ranges(table, name, problem.metric) for name in CLIPPED_TARGETS},
        "noise_floor": floor,
        "rounds": rounds,
        "models": {
            n: dict(zip(("rounds", "eta"), target_rounds(n, rounds), strict=True)) for n in TARGETS
        },
        "seed": seed,
        "versions": {
            "xgboost": xgboost.__version__,
            "scikit-learn": sklearn.__version__,
            "scipy": scipy.__version__,
            "numpy": np.__version__,
        },
        "fidelity": fidelity,
    }
    return Surrogate(meta, boosters)


def _diff_floor(abs_diff: np.ndarray) -> float:
    """The smallest repeat difference the noise model takes: the positives' 1st percentile.

    Repeats can agree exactly (accuracies on a finite set do), and the log of 0 is not
    a spread.
    """
    positive = abs_diff[abs_diff > 0]
    return float(np.quantile(positive, 0.01)) if len(positive) else 1e-12


def _noise_calibration(
    recorded: np.ndarray, held_log_diff: np.ndarray, seed: int
) -> dict[str, float]:
    """The repeat differences the surrogate's draws give, against the recorded ones.

    Each held-out noise row gets two draws from its predicted spread; the medians and
    means of ``|draw 0 - draw 1|`` are set beside the table's ``|repeat 0 - repeat 1|``.
    """
    ok = np.isfinite(held_log_diff)
    sigma = sigma_of(held_log_diff[ok])
    z = np.random.default_rng(seed).standard_normal((2, len(sigma)))
    drawn = np.abs(sigma * (z[0] - z[1]))
    rec_median = float(np.median(recorded[ok])) if ok.any() else math.nan
    drawn_median = float(np.median(drawn)) if ok.any() else math.nan
    return {
        "recorded_median_abs_diff": rec_median,
        "drawn_median_abs_diff": drawn_median,
        "recorded_mean_abs_diff": float(np.mean(recorded[ok])) if ok.any() else math.nan,
        "drawn_mean_abs_diff": float(np.mean(drawn)) if ok.any() else math.nan,
        "ratio": drawn_median / rec_median if rec_median > 0 else math.nan,
    }


def _recorded_ranges(table: Any, name: str, metric: str) -> dict[str, list[list[float]]]:
    """Per epoch, ``[low, high]`` of the configs' mean curves and of the single repeats.

    An epoch that no config recorded gets the metric's whole range.
    """
    epochs = table.epochs
    by_key: dict[str, list[np.ndarray]] = {}
    for (key, _repeat), curve in table.curves.items():
        values = np.full(epochs, np.nan)
        n = min(epochs, curve.epochs)
        values[:n] = np.asarray(getattr(curve, name), float)[:n]
        by_key.setdefault(key, []).append(values)
    repeats = np.vstack([v for vs in by_key.values() for v in vs])
    with warnings.catch_warnings():  # a config failed at every repeat: its mean is NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.vstack([np.nanmean(np.vstack(vs), axis=0) for vs in by_key.values()])
    low, high = metric_range(metric)

    def span(rows: np.ndarray) -> list[list[float]]:
        out = []
        for e in range(epochs):
            column = rows[:, e][np.isfinite(rows[:, e])]
            out.append([float(column.min()), float(column.max())] if len(column) else [low, high])
        return out

    return {"mean": span(means), "repeat": span(repeats)}
