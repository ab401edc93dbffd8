"""``events-mlp``: regress the true dimuon mass of collider events with a funnel MLP.

No large real event file can be had here, so the suite ships a seeded, vectorised
simulator of Z / Drell-Yan -> mu+ mu- events with detector effects (see
:func:`simulate_events`), cached as ``.npz``; a user's own event file (Parquet, CSV or
NPZ with a named target column) goes through the same split, scaling and model.

Metric: Keras ``mae`` on the *standardised* target (training mean and standard
deviation, both recorded in the source, so ``MAE_GeV = mae * target_std``). The
baseline is the MAE of predicting the reconstructed mass itself.
"""

from __future__ import annotations

import logging
import math
import os
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tunebench.datasets.files import (
    DatasetError,
    cache_dir,
    find_file,
    resolve_data_dir,
    sha256_bytes,
    sha256_file,
)
from tunebench.datasets.problem import Problem, Splits, make_optimizer
from tunebench.datasets.splitting import SPLIT_SEED
from tunebench.errors import one_line
from tunebench.strategies.space import Categorical, Float, Int, SearchSpace

if TYPE_CHECKING:
    import keras

__all__ = [
    "FEATURES",
    "SIM_VERSION",
    "EventsMLP",
    "funnel_widths",
    "load_simulated",
    "read_event_file",
    "simulate_events",
]

log = logging.getLogger(__name__)

SIM_VERSION = 1
"""Bumped whenever the simulator's output changes (part of the cache key)."""

Z_MASS = 91.19  # GeV
Z_WIDTH = 2.50  # GeV
MUON_MASS = 0.1056584  # GeV
MASS_RANGE = (40.0, 250.0)  # GeV, both the Z line shape and the continuum
Z_FRACTION = 0.75  # of generated events, before acceptance
FSR_PROBABILITY = 1.0 / 8.0  # per muon
PT_MIN, ETA_MAX, ETA_BARREL = 10.0, 2.4, 1.2
CHUNK = 1 << 18  # candidates per vectorised batch; fixed so n events are a prefix of more
MAX_EVENTS = 10_000_000
DEFAULT_EVENTS = 1_500_000
#: What a continuation of the weights may change: the training, not the funnel's layers.
CONTINUABLE = ("batch_size", "learning_rate", "optimizer")

FEATURES = (
    "mu1_pt",
    "mu1_eta",
    "mu1_phi",
    "mu2_pt",
    "mu2_eta",
    "mu2_phi",
    "n_vertices",
    "met_x",
    "met_y",
    "m_reco",
)
"""Simulated features: both muons (leading first) smeared pT, eta, phi; vertices; MET; mass."""
TARGET = "m_true"
BASELINE = "m_reco"
FILE_SUFFIXES = (".parquet", ".pq", ".csv", ".npz")


def _truncated_breit_wigner(rng: np.random.Generator, n: int) -> np.ndarray:
    """Masses from a (non-relativistic) Breit-Wigner peak, truncated to the mass range."""
    half = Z_WIDTH / 2
    lo, hi = (0.5 + math.atan((m - Z_MASS) / half) / math.pi for m in MASS_RANGE)
    u = rng.uniform(lo, hi, n)
    return Z_MASS + half * np.tan(math.pi * (u - 0.5))


def _inverse_square(rng: np.random.Generator, n: int) -> np.ndarray:
    """Masses from a Drell-Yan-like continuum falling as 1/m^2 over the mass range."""
    a, b = MASS_RANGE
    return 1.0 / (1.0 / a - rng.uniform(0.0, 1.0, n) * (1.0 / a - 1.0 / b))


def _boost(e: np.ndarray, p: np.ndarray, beta: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """Lab momenta of rest-frame four-vectors ``(e, p)`` boosted by ``beta`` (gamma given).

    ``gamma`` is passed in (as parent energy / mass) rather than derived from ``beta``,
    which loses precision for fast parents.
    """
    bp = np.einsum("ij,ij->i", beta, p)
    coef = gamma**2 / (1.0 + gamma)  # (gamma - 1) / beta^2, finite as beta -> 0
    return p + ((coef * bp + gamma * e)[:, None]) * beta


def _kinematics(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pt = np.hypot(p[:, 0], p[:, 1])
    return pt, np.arcsinh(p[:, 2] / pt), np.arctan2(p[:, 1], p[:, 0])


def _resolution(pt: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """Relative pT resolution: 1% (+0.01% per GeV) in the barrel, twice that in the endcaps."""
    endcap = np.abs(eta) > ETA_BARREL
    a = np.where(endcap, 0.020, 0.010)
    b = np.where(endcap, 2.0e-4, 1.0e-4)
    return np.sqrt(a**2 + (b * pt) ** 2)


def _chunk(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Simulate ``n`` candidate events; return features and true masses of the accepted ones."""
    # Parent: mass, transverse momentum, rapidity, azimuth.
    is_z = rng.uniform(0.0, 1.0, n) < Z_FRACTION
    mass = np.where(is_z, _truncated_breit_wigner(rng, n), _inverse_square(rng, n))
    pt = rng.gamma(1.5, 10.0, n)  # broad: mode 5 GeV, mean 15 GeV, long tail
    rapidity = rng.normal(0.0, 1.5, n)
    phi = rng.uniform(-math.pi, math.pi, n)
    mt = np.sqrt(mass**2 + pt**2)
    parent_e = mt * np.cosh(rapidity)
    parent_p = np.stack([pt * np.cos(phi), pt * np.sin(phi), mt * np.sinh(rapidity)], axis=1)

    # Isotropic two-body decay in the rest frame, boosted to the lab.
    cos_t = rng.uniform(-1.0, 1.0, n)
    sin_t = np.sqrt(1.0 - cos_t**2)
    phi_star = rng.uniform(-math.pi, math.pi, n)
    p_star = np.sqrt(np.maximum(mass**2 / 4.0 - MUON_MASS**2, 0.0))
    direction = np.stack([sin_t * np.cos(phi_star), sin_t * np.sin(phi_star), cos_t], axis=1)
    e_star = mass / 2.0
    beta = parent_p / parent_e[:, None]
    gamma = parent_e / mass
    muons = [_boost(e_star, sign * p_star[:, None] * direction, beta, gamma) for sign in (1, -1)]

    # Detector: FSR (collinear photon carries a fraction of the momentum away, not
    # reconstructed with the muon), then resolution smearing on the curvature 1/pT.
    reco: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    mismeasured = np.zeros((n, 2))
    ok = np.ones(n, dtype=bool)
    for p in muons:
        radiates = rng.uniform(0.0, 1.0, n) < FSR_PROBABILITY
        lost = rng.beta(1.0, 4.0, n)  # mostly soft, mean 20%
        p_after = p * np.where(radiates, 1.0 - lost, 1.0)[:, None]
        pt_true, eta_true, phi_true = _kinematics(p_after)
        curvature = (1.0 + _resolution(pt_true, eta_true) * rng.normal(0.0, 1.0, n)) / pt_true
        ok &= curvature > 0
        pt_reco = 1.0 / np.where(curvature > 0, curvature, 1.0)
        eta_reco = eta_true + rng.normal(0.0, 1e-3, n)
        phi_reco = phi_true + rng.normal(0.0, 1e-3, n)
        phi_reco = (phi_reco + math.pi) % (2 * math.pi) - math.pi
        mismeasured[:, 0] += pt_reco * np.cos(phi_reco) - p_after[:, 0]
        mismeasured[:, 1] += pt_reco * np.sin(phi_reco) - p_after[:, 1]
        reco.append((pt_reco, eta_reco, phi_reco))

    # Pileup: vertices per event, and missing-energy noise growing with them; the muons'
    # mismeasurement shows up as (fake) missing momentum too.
    n_vertices = 1 + rng.poisson(rng.gamma(4.0, 7.5, n))
    sigma_met = 5.0 + 0.35 * n_vertices
    met = -mismeasured + sigma_met[:, None] * rng.normal(0.0, 1.0, (n, 2))

    (pt1, eta1, phi1), (pt2, eta2, phi2) = reco
    m_reco = _pair_mass(pt1, eta1, phi1, pt2, eta2, phi2)
    ok &= (pt1 > PT_MIN) & (pt2 > PT_MIN) & (np.abs(eta1) < ETA_MAX) & (np.abs(eta2) < ETA_MAX)
    lead = pt1 >= pt2
    cols = [
        np.where(lead, pt1, pt2),
        np.where(lead, eta1, eta2),
        np.where(lead, phi1, phi2),
        np.where(lead, pt2, pt1),
        np.where(lead, eta2, eta1),
        np.where(lead, phi2, phi1),
        n_vertices.astype(np.float64),
        met[:, 0],
        met[:, 1],
        m_reco,
    ]
    features = np.stack(cols, axis=1)[ok].astype(np.float32)
    return features, mass[ok].astype(np.float32)


def _pair_mass(
    pt1: np.ndarray,
    eta1: np.ndarray,
    phi1: np.ndarray,
    pt2: np.ndarray,
    eta2: np.ndarray,
    phi2: np.ndarray,
) -> np.ndarray:
    """Invariant mass of two muons from (pT, eta, phi)."""

    def four(pt: np.ndarray, eta: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, ...]:
        px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
        return np.sqrt(px**2 + py**2 + pz**2 + MUON_MASS**2), px, py, pz

    e1, x1, y1, z1 = four(pt1, eta1, phi1)
    e2, x2, y2, z2 = four(pt2, eta2, phi2)
    m2 = (e1 + e2) ** 2 - (x1 + x2) ** 2 - (y1 + y2) ** 2 - (z1 + z2) ** 2
    return np.sqrt(np.maximum(m2, 0.0))


def simulate_events(n_events: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Simulate ``n_events`` accepted Z / Drell-Yan -> mu mu events.

    Physics (generator level): a Z boson (m = 91.19 GeV, width 2.50 GeV, Breit-Wigner)
    or, for a quarter of generated events, a Drell-Yan continuum falling as 1/m^2, both
    over 40-250 GeV; parent pT ~ Gamma(1.5, 10 GeV), rapidity ~ Normal(0, 1.5), azimuth
    uniform; an isotropic two-body decay to muons boosted to the lab. Detector: one
    muon in 8 radiates a collinear photon taking a Beta(1, 4) fraction of its momentum
    (lost to the dimuon); curvature smearing with sigma(pT)/pT = 1% (+0.01%/GeV) for
    |eta| < 1.2 and 2% (+0.02%/GeV) in the endcaps; vertices 1 + Poisson(Gamma(4, 7.5));
    missing momentum = muon mismeasurement + Gaussian noise of 5 + 0.35 * vertices GeV
    per component. Acceptance: both muons pT > 10 GeV and |eta| < 2.4.

    Deterministic per ``(n_events, seed)``; the events of a smaller ``n_events`` are the
    first events of a larger one (fixed-size vectorised batches).

    Returns:
        Features ``(n_events, 10)`` float32 (see :data:`FEATURES`) and the true masses.
    """
    if not 1 <= n_events <= MAX_EVENTS:
        raise ValueError(f"n_events must be in [1, {MAX_EVENTS}], got {n_events}")
    rng = np.random.default_rng([SIM_VERSION, seed])
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    have = 0
    while have < n_events:
        x, y = _chunk(rng, CHUNK)
        xs.append(x)
        ys.append(y)
        have += len(y)
    return np.concatenate(xs)[:n_events], np.concatenate(ys)[:n_events]


def cache_name(n_events: int, seed: int) -> str:
    return f"events-v{SIM_VERSION}-n{n_events}-seed{seed}.npz"


def _content_sha256(x: np.ndarray, y: np.ndarray) -> str:
    return sha256_bytes(np.ascontiguousarray(x).tobytes(), np.ascontiguousarray(y).tobytes())


def read_cached(path: Path) -> tuple[np.ndarray, np.ndarray, str] | None:
    """A cached simulation if it is intact, else ``None`` (it is then regenerated)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            x, y, stored = data["features"], data["target"], str(data["sha256"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if _content_sha256(x, y) != stored:
        return None
    return x, y, stored


def load_simulated(
    n_events: int = DEFAULT_EVENTS, seed: int = 0, data_dir: str | os.PathLike[str] | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Simulated events from the cache (data or cache directory), generating them if needed.

    The cache file ``events-v<version>-n<n>-seed<seed>.npz`` holds the arrays and their
    sha256; a file whose content does not match is regenerated, never used.

    Returns:
        Features, true masses and provenance facts (content sha256, cache file).
    """
    name = cache_name(n_events, seed)
    found = find_file(name, data_dir, (cache_dir() / "events",))
    cached = read_cached(found) if found is not None else None
    if cached is not None and found is not None:
        x, y, sha = cached
        return x, y, {"sha256": sha, "cache_file": str(found)}
    if found is not None:
        log.warning("cached events %s are corrupt; regenerating them", found)
    t0 = time.perf_counter()
    x, y = simulate_events(n_events, seed)
    log.info("simulated %d events in %.1f s", n_events, time.perf_counter() - t0)
    sha = _content_sha256(x, y)
    target = cache_dir() / "events" / name
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{name}.{os.getpid()}.part")
        with open(tmp, "wb") as fh:
            np.savez(fh, features=x, target=y, sha256=np.array(sha))
        os.replace(tmp, target)
    except OSError as exc:  # an unwritable cache only costs a regeneration next time
        log.warning("cannot cache simulated events in %s: %s", target.parent, exc)
        return x, y, {"sha256": sha, "cache_file": None}
    return x, y, {"sha256": sha, "cache_file": str(target)}


def read_event_file(
    path: str | os.PathLike[str],
    target: str = "target",
    data_dir: str | os.PathLike[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str], dict[str, Any]]:
    """Read a user's event file: Parquet, CSV or NPZ (one 1-D array per column).

    Every numeric column except ``target`` is a feature. A relative path is looked up
    in the working directory, then in the data directory.

    Returns:
        Features (float32), target (float32), feature names, provenance facts.

    Raises:
        DatasetError: Missing file, unknown format, missing target column,
            non-numeric or non-finite values (one line naming the file).
    """
    file = Path(path).expanduser()
    if not file.is_file() and not file.is_absolute():
        file = resolve_data_dir(data_dir) / file
    if not file.is_file():
        raise DatasetError(f"event file {path} not found (also looked in {file.parent})")
    suffix = file.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise DatasetError(f"{file}: unknown event file type; allowed: {', '.join(FILE_SUFFIXES)}")
    import pandas as pd

    try:
        if suffix == ".npz":
            with np.load(file, allow_pickle=False) as data:
                frame = pd.DataFrame({k: np.asarray(data[k]).reshape(-1) for k in data.files})
        elif suffix == ".csv":
            frame = pd.read_csv(file)
        else:
            frame = pd.read_parquet(file)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"{file}: cannot read ({one_line(str(exc))})") from None
    if target not in frame.columns:
        raise DatasetError(
            f"{file}: no target column {target!r}; columns: {', '.join(map(str, frame.columns))}"
        )
    features = [str(c) for c in frame.columns if c != target]
    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad or not features:
        raise DatasetError(
            f"{file}: columns must be numeric and at least one feature is needed "
            f"(non-numeric: {', '.join(map(str, bad)) or 'none'})"
        )
    x = frame[features].to_numpy(dtype=np.float32)
    y = frame[target].to_numpy(dtype=np.float32)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise DatasetError(f"{file}: NaN or infinite values; clean the file first")
    return x, y, features, {"file": str(file), "file_sha256": sha256_file(file)}


def funnel_widths(depth: int, first_width: int) -> list[int]:
    """Widths of the funnel: ``first_width`` halving per layer, never below 2."""
    return [max(first_width >> k, 2) for k in range(depth)]


class EventsMLP(Problem):
    """Regress the true dimuon mass with a funnel MLP (widths halving, relu, MAE loss).

    Args:
        n_events: Simulated events (default 1.5 million, at most 10 million).
        sim_seed: Seed of the simulation (the data, not the run).
        events_file: A user's event file (Parquet, CSV, NPZ) instead of the simulation.
        target: Target column of ``events_file``.
        baseline: Optional column of ``events_file`` holding a reference prediction of
            the target (its MAE is recorded as the baseline).
    """

    name = "events-mlp"
    description = (
        "dimuon true-mass regression on simulated Z/Drell-Yan events (1.5M) or a user's "
        "event file; funnel MLP, MAE on the standardised target"
    )
    metric = "mae"
    direction = "minimize"
    max_epochs = 10

    def __init__(
        self,
        n_events: int = DEFAULT_EVENTS,
        sim_seed: int = 0,
        events_file: str | None = None,
        target: str = "target",
        baseline: str | None = None,
    ) -> None:
        self.n_events = n_events
        self.sim_seed = sim_seed
        self.events_file = events_file
        self.target = target
        self.baseline = baseline
        if not 100 <= n_events <= MAX_EVENTS:
            raise ValueError(f"n_events must be in [100, {MAX_EVENTS}], got {n_events}")

    def space(self) -> SearchSpace:
        """Depth 1-9, first width 32-1024, batch size 64-8192, learning rate, optimizer."""
        return SearchSpace(
            [
                Int("depth", 1, 9, default=9),
                Categorical("first_width", (32, 64, 128, 256, 512, 1024), default=512),
                Int("batch_size", 64, 8192, log=True, default=1024),
                Float("learning_rate", 1e-4, 1e-2, log=True, default=1e-3),
                Categorical("optimizer", ("adam", "nadam", "rmsprop", "sgd"), default="adam"),
            ],
            continuable=CONTINUABLE,
        )

    def table_space(self) -> SearchSpace:
        """The replay grid: 48 funnel MLPs.

        Depth 3, 6 or 9, first width 64 or 256, batch 256 or 1024, learning rate 1e-3
        or 1e-2, Adam or SGD.
        """
        return SearchSpace(
            [
                Int("depth", 1, 9, default=9, grid=(3, 6, 9)),
                Categorical("first_width", (64, 256), default=256),
                Int("batch_size", 64, 8192, log=True, default=1024, grid=(256, 1024)),
                Float("learning_rate", 1e-4, 1e-2, log=True, default=1e-3, grid=(1e-3, 1e-2)),
                Categorical("optimizer", ("adam", "sgd"), default="adam"),
            ],
            continuable=CONTINUABLE,
        )

    def load(self, data_dir: Path | None = None, subsample: int | None = None) -> Splits:
        """Fixed shuffled 70/15/15 split; features and target standardised on training rows.

        ``subsample`` keeps the first rows of the (shuffled) training split.
        """
        baseline_col: int | None
        if self.events_file is None:
            x, y, facts = load_simulated(self.n_events, self.sim_seed, data_dir)
            names = list(FEATURES)
            baseline_col = names.index(BASELINE)
            info: dict[str, Any] = {
                "variant": f"simulated-v{SIM_VERSION}",
                "origin": f"tunebench Z/Drell-Yan -> mu mu simulator v{SIM_VERSION}",
                "license": "generated (Apache-2.0, as tunebench)",
                "n_events": self.n_events,
                "sim_seed": self.sim_seed,
                "target": TARGET,
                **facts,
                "checksum": f"sha256:{facts['sha256']}",
            }
        else:
            x, y, names, facts = read_event_file(self.events_file, self.target, data_dir)
            baseline_col = None
            if self.baseline is not None:
                if self.baseline not in names:
                    raise DatasetError(
                        f"{facts['file']}: no baseline column {self.baseline!r}; "
                        f"columns: {', '.join(names)}"
                    )
                baseline_col = names.index(self.baseline)
            info = {
                "variant": f"file:{Path(facts['file']).name}",
                "origin": f"user event file {facts['file']}",
                "license": "as the user's file",
                "target": self.target,
                **facts,
                "checksum": f"sha256:{facts['file_sha256']}",
            }
        n = len(y)
        order = np.random.default_rng(SPLIT_SEED).permutation(n)
        n_train, n_val = int(n * 0.70), int(n * 0.15)
        train, val, test = (
            order[:n_train],
            order[n_train : n_train + n_val],
            order[n_train + n_val :],
        )
        x_mean = x[train].mean(axis=0, dtype=np.float64)
        x_std = x[train].std(axis=0, dtype=np.float64)
        x_std[x_std == 0] = 1.0
        y_mean = float(y[train].mean(dtype=np.float64))
        y_std = float(y[train].std(dtype=np.float64)) or 1.0

        def feats(idx: np.ndarray) -> np.ndarray:
            return ((x[idx] - x_mean) / x_std).astype(np.float32)

        def targ(idx: np.ndarray) -> np.ndarray:
            return ((y[idx] - y_mean) / y_std).astype(np.float32)

        baselines: dict[str, Any] = {}
        if baseline_col is not None:
            for split, idx in (("val", val), ("test", test)):
                mae = float(np.mean(np.abs(x[idx, baseline_col] - y[idx]), dtype=np.float64))
                baselines[f"baseline_{split}_mae"] = mae / y_std
                baselines[f"baseline_{split}_mae_gev"] = mae
            baselines["baseline"] = f"predict {names[baseline_col]} as the target"
        used = train if subsample is None else train[:subsample]
        return Splits(
            x_train=feats(used),
            y_train=targ(used),
            x_val=feats(val),
            y_val=targ(val),
            x_test=feats(test),
            y_test=targ(test),
            source={
                "dataset": "events",
                **info,
                "rows": n,
                "features": names,
                "split": f"shuffled 70/15/15, seed {SPLIT_SEED}",
                "split_sizes": {"train": len(train), "val": len(val), "test": len(test)},
                "subsample": subsample,
                "metric": "MAE of the standardised target (MAE in target units = mae * target_std)",
                "target_mean": y_mean,
                "target_std": y_std,
                **baselines,
            },
        )

    def build_model(self, config: Mapping[str, Any], splits: Splits) -> keras.Model:
        """Dense relu layers halving from ``first_width`` (``depth`` of them), linear output."""
        import keras

        inputs = keras.Input(shape=(splits.x_train.shape[1],))
        x = inputs
        for width in funnel_widths(int(config["depth"]), int(config["first_width"])):
            x = keras.layers.Dense(width, activation="relu")(x)
        outputs = keras.layers.Dense(1)(x)
        model = keras.Model(inputs, outputs)
        model.compile(
            optimizer=make_optimizer(str(config["optimizer"]), float(config["learning_rate"])),
            loss="mae",
            metrics=[self.metric],
        )
        return model
