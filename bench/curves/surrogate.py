"""Learning-curve surrogates: XGBoost models fitted on a sampled table, with their fidelity.

A surrogate predicts, for any config of a problem's full ``space()`` and every epoch
``1..epochs``, the validation value, the test value, the loss and the epoch seconds,
a whole curve per call. Training noise comes from the recorded repeats: a model of the
repeat-to-repeat difference gives each epoch's spread, and one normal draw per trial
(seeded by the caller) shifts the curve by that many spreads, as a repeat shifts a
whole recorded curve.

Three guards keep a surrogate from being better than its table. An error metric is
fitted on its log (:func:`link_of`). The spread is fitted on
``log |repeat 0 - repeat 1|`` (a geometric mean, robust to the few unstable configs whose
repeats differ wildly and which would otherwise inflate every config's spread), and
each epoch's predictions are kept inside what the table recorded at that epoch (the
mean curve within the range of the configs' mean curves, a drawn curve within the range
of the single repeats). Without them the events-mlp surrogate put 7.3% of fresh configs
below the table's best config, where about 0.1% belong; ``bench/perf/surrogate_noise.py``
measures what is left.

Fit with :func:`fit_surrogate`, which also measures the fidelity on configs held out
from the fit (by config, never by row), and store it with :meth:`Surrogate.save`: a
gzipped JSON file holding the models in XGBoost's own JSON format (portable across
platforms and XGBoost versions, no pickled code), the feature encoding, the checksum of
the table, the space fingerprint, the library versions and the measured fidelity.

Why XGBoost: ``python bench/perf/surrogate_models.py`` (held-out Spearman of the last
epoch's validation on the sampled mnist-cnn table: XGBoost 0.692, scikit-learn's
forest 0.660, its histogram gradient boosting 0.613; on stocks-mlp all three within
0.01), and it ships with the install already (syne-tune requires it).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import warnings
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tunebench.backends.replay import ReplaySession
from tunebench.curves.table import Curve, LearningCurveTable, read_table_meta
from tunebench.errors import TunebenchError
from tunebench.seeding import seed_for
from tunebench.strategies.space import Categorical, SearchSpace

FORMAT = "tunebench-surrogate/2"
#: What each model predicts; ``noise`` is ``log |repeat 0 - repeat 1|`` (the last: it is
#: fitted on other rows).
TARGETS = ("value", "test_value", "loss", "log_seconds", "log_flops", "noise")
CURVE_TARGETS = TARGETS[:-1]
#: The targets that are fitted through the metric's link and whose predictions stay
#: inside the table's recorded range per epoch.
CLIPPED_TARGETS = ("value", "test_value")
#: For repeats X1, X2 ~ N(mu, sigma^2): E[log |X1 - X2|] = log sigma - gamma / 2, gamma
#: being Euler's constant; so sigma = exp(predicted log |diff| + gamma / 2).
LOG_ABS_DIFF_OFFSET = 0.5 * 0.5772156649015329


class SurrogateError(TunebenchError, ValueError):
    """A surrogate that cannot be used (missing, corrupt, or fitted for something else)."""


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def encode(space: SearchSpace, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """One row per config, one column per parameter: codes, log scales, NaN when inactive."""
    out = np.full((len(configs), len(space)), np.nan)
    for j, param in enumerate(space):
        for i, config in enumerate(configs):
            if param.name not in config:
                continue
            value = config[param.name]
            if isinstance(param, Categorical):
                out[i, j] = float(param.choices.index(value))
            else:
                out[i, j] = math.log(float(value)) if param.log else float(value)
    return out


def with_epochs(rows: np.ndarray, epochs: int) -> np.ndarray:
    """Each row repeated for epochs ``1..epochs``, the epoch as the last column."""
    n = len(rows)
    repeated = np.repeat(rows, epochs, axis=0)
    epoch = np.tile(np.arange(1, epochs + 1, dtype=float), n)[:, None]
    return np.hstack([repeated, epoch])


def metric_range(metric: str) -> tuple[float, float]:
    """Where a metric's values can lie (accuracy in [0, 1], an error >= 0)."""
    return (0.0, 1.0) if metric == "accuracy" else (0.0, math.inf)


#: How the validation and test values can be fitted (:func:`to_link`).
LINKS = ("identity", "log", "logit")


def link_of(metric: str) -> str:
    """How a metric is fitted by default: ``log`` for an error (>= 0), else as it is.

    Fitting an error's log makes the model's mistakes relative, so the good configs,
    bunched near the lowest errors, are not predicted past them: on events-mlp's table
    the held-out 1st percentile came out 0.1061 against the recorded 0.1063, and 0.0976
    when fitted on the raw MAE, at the same Spearman. Accuracies are fitted as they are:
    their logit cost mnist-cnn 0.03 of held-out Spearman at every epoch and gained
    covertype-mlp 0.005 (``tunebench surrogate fit P --link logit``).
    """
    return "identity" if metric_range(metric) == (0.0, 1.0) else "log"


def to_link(link: str, values: np.ndarray) -> np.ndarray:
    """Values in the model's space (clipped off the ends, where the link is infinite)."""
    v = np.asarray(values, float)
    if link == "logit":
        v = np.clip(v, 1e-6, 1 - 1e-6)
        return np.log(v / (1 - v))
    if link == "log":
        return np.log(np.clip(v, 1e-12, None))
    return v


def from_link(link: str, values: np.ndarray) -> np.ndarray:
    """The inverse of :func:`to_link`."""
    v = np.asarray(values, float)
    if link == "logit":
        return 1 / (1 + np.exp(-v))
    return np.exp(v) if link == "log" else v


def sigma_of(log_abs_diff: np.ndarray) -> np.ndarray:
    """The standard deviation of a repeat, from the predicted ``log |repeat 0 - repeat 1|``."""
    return np.exp(np.asarray(log_abs_diff, float) + LOG_ABS_DIFF_OFFSET)


@dataclass
class Curves:
    """Predicted curves of some configs: arrays of shape (configs, epochs)."""

    value: np.ndarray
    test_value: np.ndarray
    loss: np.ndarray
    seconds: np.ndarray
    flops: np.ndarray


class Surrogate:
    """Fitted models of one problem's learning curves, and what is known about them.

    Args:
        meta: Problem, epochs, metric, table checksum, space fingerprint, versions and
            the measured fidelity (see :func:`fit_surrogate`).
        boosters: An ``xgboost.Booster`` per name in :data:`TARGETS`.
    """

    def __init__(self, meta: dict[str, Any], boosters: dict[str, Any]) -> None:
        self.meta = meta
        self.boosters = boosters
        # per epoch (low, high) arrays, built once: predict() runs once per trial
        self._bounds = {
            name: tuple(np.asarray(meta["ranges"][name][kind], float).T
                        for kind in ("mean", "repeat"))
            for name in CLIPPED_TARGETS
        }  # fmt: skip
        for booster in boosters.values():
            booster.set_param({"nthread": 1})

    @property
    def epochs(self) -> int:
        """The epochs every predicted curve has."""
        return int(self.meta["epochs"])

    def predict(
        self, space: SearchSpace, configs: Sequence[Mapping[str, Any]], draws: np.ndarray
    ) -> Curves:
        """Whole curves of ``configs``, each shifted by its noise draw (0: the mean curve).

        Args:
            space: The problem's space (the encoding's).
            configs: Active-parameter configs.
            draws: One standard normal number per config.
        """
        epochs = self.epochs
        rows = with_epochs(encode(space, configs), epochs)
        shape = (len(configs), epochs)
        # in place, one thread: a curve is a few rows, where XGBoost's DMatrix and thread
        # pool cost more than the trees (263 ms a curve against 10 ms, measured)
        pred = {n: self.boosters[n].inplace_predict(rows).reshape(shape) for n in TARGETS}
        shift = sigma_of(pred["noise"]) * np.asarray(draws, float)[:, None]
        link = str(self.meta["link"])
        served = {}
        for name in CLIPPED_TARGETS:
            (mean_lo, mean_hi), (rep_lo, rep_hi) = self._bounds[name]
            mean = np.clip(from_link(link, pred[name]), mean_lo, mean_hi)
            served[name] = np.clip(mean + shift, rep_lo, rep_hi)
        return Curves(
            value=served["value"],
            test_value=served["test_value"],
            loss=np.clip(pred["loss"], 0.0, None),
            seconds=np.exp(pred["log_seconds"]),
            flops=np.exp(pred["log_flops"]),
        )

    def save(self, path: Path) -> None:
        """Write the gzipped JSON file (models in XGBoost's JSON format)."""
        models = {n: bytes(b.save_raw(raw_format="json")).decode("utf-8")
                  for n, b in self.boosters.items()}  # fmt: skip
        payload = {"format": FORMAT, "meta": self.meta, "models": models}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with gzip.open(tmp, "wt", encoding="utf-8") as f:
            json.dump(payload, f, separators=(",", ":"), allow_nan=False)
        tmp.replace(path)

    @classmethod
    def load(
        cls, path: Path, space_fingerprint: str | None = None, table: Path | None = None
    ) -> Surrogate:
        """Read a surrogate file, refusing it in one line if it does not fit.

        Args:
            path: The file.
            space_fingerprint: Refuse it unless it was fitted on this space.
            table: Refuse it unless it was fitted on this table file (its checksum).

        Raises:
            SurrogateError: Missing, corrupt or truncated file, another format, or a
                space or table that does not match.
        """
        import xgboost as xgb

        payload = _read_payload(path)
        meta = payload["meta"]
        try:
            boosters = {}
            for name in TARGETS:
                booster = xgb.Booster()
                booster.load_model(bytearray(payload["models"][name].encode("utf-8")))
                boosters[name] = booster
        except (KeyError, TypeError, AttributeError, xgb.core.XGBoostError) as exc:
            why = _why(exc)
            raise SurrogateError(f"{path}: corrupt or truncated surrogate file ({why})") from None
        if space_fingerprint is not None and meta.get("space_fingerprint") != space_fingerprint:
            raise SurrogateError(
                f"{path}: fitted for another search space of {meta.get('problem')!r} (space "
                f"hash {str(meta.get('space_fingerprint'))[:12]}, the problem's is "
                f"{space_fingerprint[:12]}); refit it with tunebench surrogate fit"
            )
        actual = None if table is None else file_sha256(table)
        if actual is not None and meta.get("table_sha256") != actual:
            raise SurrogateError(
                f"{path}: fitted on another version of {table} (table checksum "
                f"{str(meta.get('table_sha256'))[:12]}, the file's is "
                f"{actual[:12]}); refit it with tunebench surrogate fit"
            )
        try:
            return cls(meta, boosters)
        except (KeyError, TypeError, ValueError) as exc:
            why = _why(exc)
            raise SurrogateError(f"{path}: corrupt surrogate metadata ({why})") from None


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
#: twice the learning rate. A curve's predict cost grows with the trees it walks:
#: ``bench/perf/surrogate_params.py`` measured 200 rounds at eta 0.1 within 0.004-0.025
#: of 400 at eta 0.05 in held-out Spearman, at about half the cost.
RANKING_TARGETS = ("value", "test_value")
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


def describe(surrogate: Surrogate) -> list[str]:
    """The lines ``tunebench surrogate show`` prints: what it was fitted on, its fidelity."""
    meta = surrogate.meta
    fid = meta["fidelity"]
    lines = [
        f"{meta['problem']}: XGBoost {meta['versions']['xgboost']}, {_rounds_text(meta)}, "
        f"fitted on {meta['table']} (sha256 {meta['table_sha256'][:12]}, {fid['configs']} "
        f"configs, epochs 1..{meta['epochs']}, recorded on {meta.get('table_backend')})",
        f"held out by config, {fid['folds']} folds:",
        "  epoch   validation rho   validation R2   seconds rho   seconds R2",
    ]
    for e in fid["epochs"]:
        v, s = fid["value"][str(e)], fid["seconds"][str(e)]
        lines.append(f"  {e:>5}   {v['spearman']:>14.3f}   {v['r2']:>13.3f}   "
                     f"{s['spearman']:>11.3f}   {s['r2']:>10.3f}")  # fmt: skip
    noise = fid["noise"]
    lines.append(f"  validation predictions outside the metric's range: {fid['out_of_range']:.2%}")
    lines.append(
        f"  values fitted on the {meta['link']} scale, served within the range the table "
        "recorded at each epoch"
    )
    lines.append(
        f"  noise: |repeat 0 - repeat 1| median recorded {noise['recorded_median_abs_diff']:.4f}, "
        f"drawn {noise['drawn_median_abs_diff']:.4f} (ratio {noise['ratio']:.2f}); mean "
        f"recorded {noise['recorded_mean_abs_diff']:.4f}, drawn {noise['drawn_mean_abs_diff']:.4f}"
    )
    return lines


def _rounds_text(meta: Mapping[str, Any]) -> str:
    """``200 rounds (value, test value; 100 for the others)``, as the file records them."""
    models = meta.get("models")
    if not models:
        return f"{meta['rounds']} rounds"
    others = {m["rounds"] for n, m in models.items() if n not in RANKING_TARGETS}
    rest = f"; {', '.join(map(str, sorted(others)))} for the others" if others else ""
    return f"{meta['rounds']} rounds (value, test value{rest})"


def _why(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _read_payload(path: Path) -> dict[str, Any]:
    """A surrogate file's JSON: format, metadata and models (not yet built).

    Raises:
        SurrogateError: Missing, corrupt or truncated file, or another format.
    """
    if not path.is_file():
        raise SurrogateError(f"{path}: surrogate not found (fit it with tunebench surrogate fit)")
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            payload: dict[str, Any] = json.load(f)
        fmt = payload.get("format")
        if not isinstance(payload["meta"], dict):
            raise TypeError("its metadata is not an object")
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError,
            zlib.error) as exc:  # fmt: skip
        why = _why(exc)
        raise SurrogateError(f"{path}: corrupt or truncated surrogate file ({why})") from None
    if fmt != FORMAT:
        raise SurrogateError(f"{path}: format {fmt!r}, expected {FORMAT!r}")
    return payload


_META: dict[tuple[str, int, int], dict[str, Any]] = {}


def read_surrogate_meta(path: Path) -> dict[str, Any]:
    """A surrogate file's metadata, read once per file version in a process.

    The load-time checks and the run planner both ask for it; the file holds megabytes
    of trees, so it is parsed once.

    Raises:
        SurrogateError: Missing, corrupt or truncated file, or another format.
    """
    if not path.is_file():
        return dict(_read_payload(path)["meta"])  # it raises "not found"
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _META:
        _META[key] = _read_payload(path)["meta"]
    return _META[key]


class SurrogateTrainer:
    """Serves one run's trials from a surrogate: a predicted curve per config.

    Each config's curve is predicted whole when it is first opened, with one noise
    draw that follows the run seed and the config (the "surrogate" stream), so a run
    sees the same curve for a config every time (a resumed trial continues it), and
    the same seed gives the same trial log. Epochs are served and charged like a
    table's (:class:`~tunebench.backends.replay.ReplaySession`, a simulated clock).

    Args:
        surrogate: The loaded surrogate.
        space: The problem's full space.
        run_seed: The run seed.
    """

    def __init__(self, surrogate: Surrogate, space: SearchSpace, run_seed: int) -> None:
        self.surrogate = surrogate
        self.space = space
        self.run_seed = run_seed
        self._curves: dict[str, Any] = {}

    def draw(self, config_key: str) -> float:
        """The standard normal draw that shifts a config's curve in this run."""
        tag = zlib.crc32(config_key.encode("utf-8"))
        return float(np.random.default_rng(seed_for(self.run_seed, "surrogate", tag)).normal())

    def curve(self, config: Mapping[str, Any], config_key: str) -> Any:
        """The run's curve of a config, as a table's :class:`~tunebench.curves.table.Curve`."""
        if config_key not in self._curves:
            pred = self.surrogate.predict(self.space, [config], np.array([self.draw(config_key)]))
            epochs = self.surrogate.epochs
            self._curves[config_key] = Curve(
                value=pred.value[0], test_value=pred.test_value[0], loss=pred.loss[0],
                seconds=pred.seconds[0], flops=pred.flops[0], failed=("",) * epochs,
                setup_seconds=float(self.surrogate.meta["setup_seconds"]),
            )  # fmt: skip
        return self._curves[config_key]

    def open(
        self,
        config: Mapping[str, Any],
        config_key: str,
        seed: int,
        resume: Any = None,
    ) -> Any:
        """A session on the config's predicted curve (continuing ``resume``)."""
        start = 0 if resume is None else resume.epochs
        return ReplaySession(self.curve(config, config_key), config_key, start)
