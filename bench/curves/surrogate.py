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
of the single repeats). Without them the events-mlp surrogate put many times more fresh
configs below the table's best config than belong there; ``bench/perf/surrogate_noise.py``
measures what is left.

Fit with :func:`~tunebench.curves.surrogate_fit.fit_surrogate`, which also measures the
fidelity on configs held out from the fit (by config, never by row), and store it with
:meth:`Surrogate.save`: a gzipped JSON file holding the models in XGBoost's own JSON
format (portable across platforms and XGBoost versions, no pickled code), the feature
encoding, the checksum of the table, the space fingerprint, the library versions and the
measured fidelity.

Why XGBoost: ``python bench/perf/surrogate_models.py`` puts it ahead of scikit-learn's
forest and its histogram gradient boosting in held-out Spearman of the last epoch's
validation on the sampled mnist-cnn table (on stocks-mlp the three are about even), and
it ships with the install already (syne-tune requires it).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tunebench.curves.table import SAME_CURVES_KEY, TableError, read_table_meta
from tunebench.errors import TunebenchError, one_line
from tunebench.strategies.space import Categorical, SearchSpace

FORMAT = "tunebench-surrogate/2"
#: What each model predicts; ``noise`` is ``log |repeat 0 - repeat 1|`` (the last: it is
#: fitted on other rows).
TARGETS = ("value", "test_value", "loss", "log_seconds", "log_flops", "noise")
CURVE_TARGETS = TARGETS[:-1]
#: The targets that are fitted through the metric's link and whose predictions stay
#: inside the table's recorded range per epoch.
CLIPPED_TARGETS = ("value", "test_value")
#: The targets that rank configs (fitted with more rounds, see ``surrogate_fit``).
RANKING_TARGETS = ("value", "test_value")
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
    the held-out 1st percentile came out next to the recorded one, and past it when
    fitted on the raw MAE, at the same Spearman. Accuracies are fitted as they are:
    their logit lost held-out Spearman on mnist-cnn at every epoch and gained little on
    covertype-mlp (``tunebench surrogate fit P --link logit``).
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
            the measured fidelity (see :func:`~tunebench.curves.surrogate_fit.fit_surrogate`).
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
        # pool cost far more than the trees
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
            why = one_line(exc, limit=200)
            raise SurrogateError(f"{path}: corrupt or truncated surrogate file ({why})") from None
        if space_fingerprint is not None and meta.get("space_fingerprint") != space_fingerprint:
            raise SurrogateError(
                f"{path}: fitted for another search space of {meta.get('problem')!r} (space "
                f"hash {str(meta.get('space_fingerprint'))[:12]}, the problem's is "
                f"{space_fingerprint[:12]}); refit it with tunebench surrogate fit"
            )
        if table is not None:
            actual = file_sha256(table)
            if not holds_curves_of(table, meta.get("table_sha256"), actual):
                raise SurrogateError(
                    f"{path}: fitted on another version of {table} (table checksum "
                    f"{str(meta.get('table_sha256'))[:12]}, the file's is "
                    f"{actual[:12]}); refit it with tunebench surrogate fit"
                )
        try:
            return cls(meta, boosters)
        except (KeyError, TypeError, ValueError) as exc:
            why = one_line(exc, limit=200)
            raise SurrogateError(f"{path}: corrupt surrogate metadata ({why})") from None


def holds_curves_of(table: Path, sha256: object, actual: str | None = None) -> bool:
    """Whether ``table`` is the file of checksum ``sha256``, or that file with columns added.

    A column added without retraining (``add_params``) rewrites the file but not its
    curves, and lists the file's earlier checksums in the metadata, so a surrogate
    fitted on an earlier version still matches.

    Args:
        table: The table file.
        sha256: The checksum a surrogate recorded.
        actual: The file's checksum, when the caller has it already.
    """
    if actual is None:
        actual = file_sha256(table)
    return actual == sha256 or sha256 in _same_curves_as(table)


def _same_curves_as(table: Path) -> list[str]:
    """Checksums of earlier versions of ``table`` with the same curves (none if unreadable)."""
    try:
        earlier = read_table_meta(table).get(SAME_CURVES_KEY)
    except TableError:
        return []
    return [str(s) for s in earlier] if isinstance(earlier, list) else []


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
        why = one_line(exc, limit=200)
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
