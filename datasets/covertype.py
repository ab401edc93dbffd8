"""``covertype-mlp``: forest cover type (7 classes) from 54 cartographic features, with an MLP.

Two real variants of the same UCI data, never mixed silently:

- ``uci-full``: the complete UCI Covertype data, 581,012 rows (``covtype.data.gz``, the
  file ``sklearn.datasets.fetch_covtype`` downloads, checked against scikit-learn's
  sha256). Used when present locally, or downloaded into the cache directory.
- ``kaggle-sample``: the labeled training file of Kaggle's Forest Cover Type Prediction
  competition, a class-balanced 15,120-row sample of the UCI data with the same 54
  features (``covertype-kaggle-train.csv.gz``, checked by the sha256 of its CSV).

``variant="auto"`` (default) takes the full data if it is present, else the sample if it
is present, else tries to download the full data. The variant used is in every run's
provenance (``source["variant"]``). The split is stratified 70 / 15 / 15 with a fixed
seed; the 10 continuous features are standardised with training-split statistics, the
44 binary indicators are left as they are.
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tunebench.datasets.files import (
    DatasetError,
    RemoteFile,
    find_file,
    locate,
    resolve_data_dir,
    sha256_bytes,
    sha256_file,
    verified,
)
from tunebench.datasets.problem import Problem, Splits, check_subspace, make_optimizer
from tunebench.datasets.splitting import (
    SPLIT_SEED,
    class_counts,
    majority_baseline,
    stratified_split,
)
from tunebench.strategies.space import Categorical, Condition, Float, Int, SearchSpace

if TYPE_CHECKING:
    import keras

__all__ = [
    "FEATURES",
    "KAGGLE_FILE",
    "UCI_FILE",
    "VARIANTS",
    "CovertypeMLP",
    "load_covertype",
    "read_kaggle_sample",
    "read_uci",
]

UCI_FILE = RemoteFile(
    name="covtype.data.gz",
    sha256="614360d0257557dd1792834a85a1cdebfadc3c4f30b011d56afee7ffb5b15771",
    url="https://ndownloader.figshare.com/files/5976039",
    note="it is UCI's covtype.data.gz, the file sklearn.datasets.fetch_covtype downloads",
)
"""The full UCI data as scikit-learn fetches it (URL and sha256 from its dataset metadata)."""

KAGGLE_FILE = RemoteFile(
    name="covertype-kaggle-train.csv.gz",
    sha256="4c6b0be9a12c1843b5484fe8020a138bfbdbe1401470a9ce70aafe710145efdc",
    size=323_728,
    note=(
        "an uncompressed covertype-kaggle-train.csv or another gzip of it is accepted "
        "(CSV sha256 45d9949029e81059332efa1dcb22af082f7ad344859984b5dc761d1f328d88f5)"
    ),
)
"""Kaggle's Forest Cover Type Prediction ``train.csv``, gzip-compressed (``gzip -n -9``)."""

KAGGLE_CSV_SHA256 = "45d9949029e81059332efa1dcb22af082f7ad344859984b5dc761d1f328d88f5"
"""sha256 of the uncompressed Kaggle CSV (what is checked, so any gzip of it passes)."""

VARIANTS = ("auto", "uci-full", "kaggle-sample")
LICENSE = "CC BY 4.0"

CONTINUOUS = (
    "Elevation",
    "Aspect",
    "Slope",
    "Horizontal_Distance_To_Hydrology",
    "Vertical_Distance_To_Hydrology",
    "Horizontal_Distance_To_Roadways",
    "Hillshade_9am",
    "Hillshade_Noon",
    "Hillshade_3pm",
    "Horizontal_Distance_To_Fire_Points",
)
FEATURES = (
    *CONTINUOUS,
    *(f"Wilderness_Area{i}" for i in range(1, 5)),
    *(f"Soil_Type{i}" for i in range(1, 41)),
)
"""The 54 features, in UCI column order (10 continuous, 4 wilderness, 40 soil indicators)."""

UCI_ROWS = 581_012
UCI_CLASS_COUNTS = (211_840, 283_301, 35_754, 2_747, 9_493, 17_367, 20_510)
"""Published rows per cover type 1..7 of the full UCI data."""
KAGGLE_ROWS = 15_120
KAGGLE_CLASS_COUNTS = (2_160,) * 7
"""Rows per cover type 1..7 of the Kaggle sample (balanced)."""


def _expect(path: Path, what: str, counts: tuple[int, ...], y: np.ndarray, n: int) -> None:
    got = tuple(int(c) for c in np.bincount(y, minlength=8)[1:8])
    if len(y) != n or got != counts or y.min() < 1 or y.max() > 7:
        raise DatasetError(
            f"{path}: {what} has {len(y)} rows with cover types {got}, expected {n} rows "
            f"with {counts}; the file is not the published data"
        )


def read_uci(path: Path) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Read the full UCI ``covtype.data.gz`` after checking its sha256.

    Returns:
        Features ``(581012, 54)`` int32, cover types 1..7, and the checksum facts.

    Raises:
        DatasetError: Checksum mismatch or unexpected content.
    """

    def check(p: Path) -> dict[str, Any]:
        got = sha256_file(p)
        if got != UCI_FILE.sha256:
            raise DatasetError(
                f"{p}: checksum mismatch: sha256 {got}, expected {UCI_FILE.sha256} "
                f"(scikit-learn's covtype.data.gz); the file is corrupt or another file; "
                f"delete it so it is downloaded again, or replace it"
            )
        return {"file_sha256": got}

    facts = verified(path, "covtype-uci-sha256", check)
    import pandas as pd

    table = pd.read_csv(path, header=None, compression="gzip", dtype=np.int32).to_numpy()
    if table.shape[1] != len(FEATURES) + 1:
        raise DatasetError(f"{path}: {table.shape[1]} columns, expected {len(FEATURES) + 1}")
    x, y = table[:, :-1], table[:, -1]
    _expect(path, "covtype.data.gz", UCI_CLASS_COUNTS, y, UCI_ROWS)
    return x, y, facts


def read_kaggle_sample(path: Path) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Read Kaggle's Covertype training CSV (``.csv.gz`` or ``.csv``) after checking it.

    The sha256 of the uncompressed CSV is what must match, so a re-compressed copy
    passes and a single changed value does not.

    Returns:
        Features ``(15120, 54)`` int32, cover types 1..7, and the checksum facts.

    Raises:
        DatasetError: Unreadable file, checksum mismatch or unexpected content.
    """
    raw_file = path.read_bytes()
    try:
        raw = gzip.decompress(raw_file) if raw_file[:2] == b"\x1f\x8b" else raw_file
    except (OSError, EOFError) as exc:
        raise DatasetError(f"{path}: not a readable gzip file ({exc}); replace it") from None

    def check(p: Path) -> dict[str, Any]:
        got = sha256_bytes(raw)
        if got != KAGGLE_CSV_SHA256:
            raise DatasetError(
                f"{p}: checksum mismatch: the CSV has sha256 {got}, expected "
                f"{KAGGLE_CSV_SHA256} (Kaggle's Covertype train.csv); the file is corrupt "
                f"or another file; replace it with {KAGGLE_FILE.name} "
                f"(sha256 {KAGGLE_FILE.sha256})"
            )
        return {"file_sha256": sha256_bytes(raw_file), "csv_sha256": got}

    facts = verified(path, "covtype-kaggle-sha256", check)
    import pandas as pd

    frame = pd.read_csv(io.BytesIO(raw))
    expected = ["Id", *FEATURES, "Cover_Type"]
    if list(frame.columns) != expected:
        raise DatasetError(f"{path}: header differs from Kaggle's train.csv")
    x = frame[list(FEATURES)].to_numpy(dtype=np.int32)
    y = frame["Cover_Type"].to_numpy(dtype=np.int32)
    _expect(path, "the Kaggle sample", KAGGLE_CLASS_COUNTS, y, KAGGLE_ROWS)
    return x, y, facts


def find_variant_file(variant: str, data_dir: str | os.PathLike[str] | None) -> Path | None:
    """The local file of a variant (``uci-full`` or ``kaggle-sample``), or ``None``."""
    if variant == "uci-full":
        return find_file(UCI_FILE.name, data_dir)
    return find_file((KAGGLE_FILE.name, "covertype-kaggle-train.csv"), data_dir)


def resolve_variant(variant: str, data_dir: str | os.PathLike[str] | None) -> str:
    """The variant ``auto`` stands for now: full if present, else sample if present, else full."""
    if variant != "auto":
        return variant
    if find_variant_file("uci-full", data_dir) is not None:
        return "uci-full"
    if find_variant_file("kaggle-sample", data_dir) is not None:
        return "kaggle-sample"
    return "uci-full"  # not here: try the download a user with internet gets


def load_covertype(
    variant: str = "auto", data_dir: str | os.PathLike[str] | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Find (or download), verify and read one Covertype variant.

    Returns:
        Features (int32, 54 columns in UCI order), cover types 1..7, and provenance
        facts including ``variant`` (``uci-full`` or ``kaggle-sample``).

    Raises:
        DatasetError: Missing (with what to put where), corrupt or unreadable data.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown covertype variant {variant!r}; allowed: {', '.join(VARIANTS)}")
    chosen = resolve_variant(variant, data_dir)
    if chosen == "kaggle-sample":
        path = locate(KAGGLE_FILE, data_dir, alternatives=("covertype-kaggle-train.csv",))
        x, y, facts = read_kaggle_sample(path)
        origin = "Kaggle Forest Cover Type Prediction train.csv (15,120-row sample of UCI)"
    else:
        try:
            path = locate(UCI_FILE, data_dir)
        except DatasetError as exc:
            if variant != "auto":
                raise
            raise DatasetError(
                f"{exc}; or put the 15,120-row sample {KAGGLE_FILE.name} "
                f"(sha256 {KAGGLE_FILE.sha256}) in {resolve_data_dir(data_dir)}"
            ) from None
        x, y, facts = read_uci(path)
        origin = "UCI Covertype covtype.data.gz (Blackard & Dean), as fetched by scikit-learn"
    return x, y, {"variant": chosen, "origin": origin, "file": str(path), **facts}


#: What a continuation of the weights may change: optimizer, dropout rates, batch size
#: (not the layers, nor the activation the weights were learned with).
CONTINUABLE = ("optimizer", "learning_rate", "input_dropout", "hidden_dropout", "batch_size")


def covertype_space() -> SearchSpace:
    """Hidden layers 1-4 (width each), activation, optimizer, learning rate, dropout, batch."""
    units = [
        Int(
            f"units_{k}",
            16,
            1024,
            log=True,
            default=256,
            condition=None if k == 1 else Condition("n_layers", tuple(range(k, 5))),
        )
        for k in range(1, 5)
    ]
    return SearchSpace(
        [
            Int("n_layers", 1, 4, default=2),
            *units,
            Categorical("activation", ("relu", "elu", "tanh", "selu"), default="relu"),
            Categorical("optimizer", ("adam", "rmsprop", "sgd"), default="adam"),
            Float("learning_rate", 1e-4, 1e-1, log=True, default=1e-3),
            Float("input_dropout", 0.0, 0.3, default=0.0),
            Float("hidden_dropout", 0.0, 0.5, default=0.1),
            Categorical("batch_size", (32, 64, 128, 256, 512, 1024), default=128),
        ],
        continuable=CONTINUABLE,
    )


#: The benchmark subspace's parameters: the six of highest fANOVA importance on the
#: full-space sampled table's final values (``bench/perf/table_density.py``); widths and
#: input dropout stay at their defaults.
BENCHMARK_PARAMS = (
    "n_layers", "activation", "optimizer", "learning_rate", "hidden_dropout", "batch_size",
)  # fmt: skip


class CovertypeMLP(Problem):
    """Forest cover type (7 classes) from 54 features with an MLP.

    Args:
        variant: ``auto`` (full UCI data if present, else the 15,120-row Kaggle sample),
            ``uci-full`` or ``kaggle-sample``. The variant used is recorded in
            ``source["variant"]`` of every run.
        subspace: ``full`` (every parameter, the default) or ``benchmark``: the
            :data:`BENCHMARK_PARAMS` only, the others fixed at their defaults, a space a
            1,000-config sampled table covers densely (see :doc:`/explanation/replay`).
    """

    name = "covertype-mlp"
    description = (
        "forest cover type, 7 classes, 54 features; full UCI data (581k rows) if present, "
        "else the 15,120-row Kaggle sample; MLP"
    )
    metric = "accuracy"
    direction = "maximize"
    max_epochs = 20

    def __init__(self, variant: str = "auto", subspace: str = "full") -> None:
        self.variant = variant
        self.subspace = subspace
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r}; allowed: {', '.join(VARIANTS)}")
        check_subspace(subspace)

    def space(self) -> SearchSpace:
        """See :func:`covertype_space`; in the benchmark subspace, its benchmark params only."""
        full = covertype_space()
        return full if self.subspace == "full" else full.with_fixed(BENCHMARK_PARAMS)

    def table_space(self) -> SearchSpace:
        """The replay grid: 48 MLPs.

        1 or 2 hidden layers of 64 or 256 units, Adam or SGD, learning rate 1e-3 or
        1e-2, batch 128 or 512; ReLU, no input dropout and hidden dropout 0.1 fixed.
        """
        return SearchSpace(
            [
                Int("n_layers", 1, 4, default=2, grid=(1, 2)),
                Int("units_1", 16, 1024, log=True, default=256, grid=(64, 256)),
                Int(
                    "units_2",
                    16,
                    1024,
                    log=True,
                    default=256,
                    grid=(64, 256),
                    condition=Condition("n_layers", (2, 3, 4)),
                ),
                Categorical("activation", ("relu",)),
                Categorical("optimizer", ("adam", "sgd")),
                Float("learning_rate", 1e-4, 1e-1, log=True, default=1e-3, grid=(1e-3, 1e-2)),
                Float("input_dropout", 0.0, 0.3, default=0.0, grid=(0.0,)),
                Float("hidden_dropout", 0.0, 0.5, default=0.1, grid=(0.1,)),
                Categorical("batch_size", (128, 512), default=128),
            ],
            continuable=CONTINUABLE,
        )

    def load(self, data_dir: Path | None = None, subsample: int | None = None) -> Splits:
        """Stratified 70/15/15 split (fixed seed), continuous features standardised on train.

        ``subsample`` keeps the first rows of the (shuffled, near-stratified) training split.
        """
        x, y, facts = load_covertype(self.variant, data_dir)
        labels = (y - 1).astype(np.int32)  # cover types 1..7 -> classes 0..6
        train, val, test = stratified_split(labels)
        n_cont = len(CONTINUOUS)
        cont = x[train, :n_cont].astype(np.float64)
        mean, std = cont.mean(axis=0), cont.std(axis=0)
        std[std == 0] = 1.0

        def features(idx: np.ndarray) -> np.ndarray:
            out = x[idx].astype(np.float32)
            out[:, :n_cont] = ((x[idx, :n_cont] - mean) / std).astype(np.float32)
            return out

        used = train if subsample is None else train[:subsample]
        checksum = facts.get("csv_sha256", facts["file_sha256"])
        return Splits(
            x_train=features(used),
            y_train=labels[used],
            x_val=features(val),
            y_val=labels[val],
            x_test=features(test),
            y_test=labels[test],
            source={
                "dataset": "covertype",
                **facts,
                "checksum": f"sha256:{checksum}",
                "license": LICENSE,
                "rows": len(y),
                "features": len(FEATURES),
                "split": f"stratified 70/15/15, seed {SPLIT_SEED}",
                "split_sizes": {"train": len(train), "val": len(val), "test": len(test)},
                "subsample": subsample,
                "standardised": list(CONTINUOUS),
                "train_class_counts": class_counts(labels[used]),
                **majority_baseline(labels[train], labels[val], labels[test]),
            },
        )

    def build_model(self, config: Mapping[str, Any], splits: Splits) -> keras.Model:
        """Input dropout, ``n_layers`` dense layers each followed by dropout, softmax over 7."""
        import keras

        inputs = keras.Input(shape=(splits.x_train.shape[1],))
        x = inputs
        if float(config["input_dropout"]) > 0:
            x = keras.layers.Dropout(float(config["input_dropout"]))(x)
        for k in range(1, int(config["n_layers"]) + 1):
            x = keras.layers.Dense(int(config[f"units_{k}"]), activation=str(config["activation"]))(
                x
            )
            if float(config["hidden_dropout"]) > 0:
                x = keras.layers.Dropout(float(config["hidden_dropout"]))(x)
        outputs = keras.layers.Dense(7, activation="softmax")(x)
        model = keras.Model(inputs, outputs)
        model.compile(
            optimizer=make_optimizer(str(config["optimizer"]), float(config["learning_rate"])),
            loss="sparse_categorical_crossentropy",
            metrics=[self.metric],
        )
        return model
