"""``mnist-cnn``: MNIST digits with a small convnet whose space follows a hand-tuned grid.

Data: ``mnist.npz`` in Keras' layout (60,000 training and 10,000 test images, 28 x 28
uint8). Validation is the last 10,000 training images, test the official 10,000.

A present file is verified by *content*: the arrays are turned back into the four
original IDX files (magic number and big-endian dimensions, then the uint8 bytes) and
their md5 values must equal the published ones. Keras' published copy and any other
lossless repackaging (such as the shared copy, whose zip metadata differs) pass; a
single changed pixel does not. Without a local copy the file is downloaded from Keras'
bucket into the cache directory (sha256 of Keras' copy checked); a copy Keras itself
downloaded (``~/.keras/datasets/mnist.npz``) is used too.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tunebench.datasets.files import (
    DatasetError,
    RemoteFile,
    locate,
    md5_bytes,
    recall,
    remember,
    sha256_file,
)
from tunebench.datasets.problem import Problem, Splits, check_subspace
from tunebench.datasets.splitting import class_counts, majority_baseline
from tunebench.errors import one_line
from tunebench.strategies.space import Categorical, Condition, Float, Int, SearchSpace

if TYPE_CHECKING:
    import keras

__all__ = ["IDX_FILES", "MNIST_FILE", "MnistCNN", "idx_md5", "load_mnist", "read_mnist"]

MNIST_FILE = RemoteFile(
    name="mnist.npz",
    sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
    size=11_490_434,
    note="any mnist.npz whose arrays equal the original IDX files passes (checked by content)",
)
"""Keras' published ``mnist.npz`` (what a download must match byte for byte)."""

# member -> (original IDX file, IDX magic number, published md5, shape)
IDX_FILES: dict[str, tuple[str, int, str, tuple[int, ...]]] = {
    "x_train": (
        "train-images-idx3-ubyte",
        2051,
        "6bbc9ace898e44ae57da46a324031adb",
        (60000, 28, 28),
    ),
    "y_train": ("train-labels-idx1-ubyte", 2049, "a25bea736e30d166cdddb491f175f624", (60000,)),
    "x_test": ("t10k-images-idx3-ubyte", 2051, "2646ac647ad5339dbf082846283269ea", (10000, 28, 28)),
    "y_test": ("t10k-labels-idx1-ubyte", 2049, "27ae3e4e09519cfbb04c329615203637", (10000,)),
}
"""The four original MNIST files: name, magic number, published md5 and shape."""

TRAIN_CLASS_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
"""Published digit counts 0..9 of the 60,000 training images."""
TEST_CLASS_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)
"""Published digit counts 0..9 of the 10,000 test images."""

N_VAL = 10_000
_CHECK = "mnist-idx-md5"
ACTIVATIONS = ("relu", "softsign", "softplus", "linear", "tanh")
INITIALIZERS = ("glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_uniform")
LICENSE = "CC BY-SA 3.0"
ORIGIN = "MNIST (LeCun, Cortes, Burges), Keras mnist.npz layout"


def idx_md5(array: np.ndarray, magic: int) -> str:
    """md5 of the IDX file an array came from: magic and dims as big-endian uint32, then data."""
    header = np.array([magic, *array.shape], dtype=">u4").tobytes()
    return md5_bytes(header, np.ascontiguousarray(array).data)


def keras_datasets_dir() -> Path:
    """Where ``keras.datasets.mnist.load_data`` keeps its download."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "datasets"


def read_mnist(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read ``mnist.npz`` and verify its content against the published IDX md5 values.

    The md5 check runs once per file (path, size, mtime) per process.

    Returns:
        The four arrays and the verification facts (file sha256, IDX md5 values).

    Raises:
        DatasetError: Unreadable file, wrong shapes or dtypes, or a content mismatch.
    """
    advice = f"replace it with a good copy (Keras' mnist.npz, sha256 {MNIST_FILE.sha256})"
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in IDX_FILES}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        msg = one_line(str(exc))
        raise DatasetError(f"{path} is not a readable mnist.npz ({msg}); {advice}") from None
    facts = recall(path, _CHECK)
    if facts is not None:
        return arrays, facts
    md5s: dict[str, str] = {}
    for name, (idx_name, magic, want, shape) in IDX_FILES.items():
        array = arrays[name]
        if array.shape != shape or array.dtype != np.uint8:
            raise DatasetError(
                f"{path}: {name} is {array.dtype}{list(array.shape)}, expected "
                f"uint8{list(shape)}; the file is not MNIST; {advice}"
            )
        got = idx_md5(array, magic)
        if got != want:
            raise DatasetError(
                f"{path}: checksum mismatch: {name} rebuilt as {idx_name} has md5 {got}, "
                f"expected {want}; the file is corrupt; {advice}"
            )
        md5s[idx_name] = got
    facts = {"file_sha256": sha256_file(path), "idx_md5": md5s}
    remember(path, _CHECK, facts)
    return arrays, facts


def load_mnist(
    data_dir: str | os.PathLike[str] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Find (or download), verify and read MNIST.

    Returns:
        The arrays ``x_train, y_train, x_test, y_test`` and provenance facts.
    """
    path = locate(MNIST_FILE, data_dir, extra=(keras_datasets_dir(),))
    arrays, facts = read_mnist(path)
    return arrays, {"file": str(path), **facts}


def _conv_space() -> list[Any]:
    two = Condition("conv_layers", (2,))
    return [
        Int("conv_layers", 1, 2, default=2),
        Int("conv_filters_1", 8, 64, log=True, default=32),
        Categorical("conv_activation_1", ACTIVATIONS, default="relu"),
        Categorical("conv_init_1", INITIALIZERS, default="glorot_uniform"),
        Int("conv_filters_2", 8, 128, log=True, default=64, condition=two),
        Categorical("conv_activation_2", ACTIVATIONS, default="relu", condition=two),
        Categorical("conv_init_2", INITIALIZERS, default="glorot_uniform", condition=two),
        Categorical("kernel_size", (3, 5), default=3),
        Categorical("pool_size", (2, 3), default=2),
    ]


def _dense_space() -> list[Any]:
    two = Condition("dense_layers", (2,))
    return [
        Int("dense_layers", 1, 2, default=1),
        Int("dense_units_1", 16, 512, log=True, default=128),
        Categorical("dense_activation_1", ACTIVATIONS, default="relu"),
        Categorical("dense_init_1", INITIALIZERS, default="glorot_uniform"),
        Int("dense_units_2", 16, 512, log=True, default=64, condition=two),
        Categorical("dense_activation_2", ACTIVATIONS, default="relu", condition=two),
        Categorical("dense_init_2", INITIALIZERS, default="glorot_uniform", condition=two),
    ]


#: What a continuation of the weights may change: dropout rates and the SGD settings
#: (not the layers, kernels or activations).
CONTINUABLE = ("conv_dropout", "dense_dropout", "learning_rate", "momentum", "batch_size")


#: The benchmark subspace's parameters: the five of highest fANOVA importance on the
#: full-space sampled table's final values (``bench/perf/table_density.py``).
BENCHMARK_PARAMS = (
    "conv_activation_1", "conv_init_1", "conv_activation_2", "dense_init_1", "learning_rate",
)  # fmt: skip


class MnistCNN(Problem):
    """Classify MNIST digits with a small convnet (1-2 conv blocks, 1-2 dense layers).

    Space (after the classic one-parameter-at-a-time MNIST grid search): filters and
    units per layer, kernel 3 or 5, pool 2 or 3, activation and weight initialisation
    per layer, dropout 0-0.5 after the conv blocks and after each dense layer, SGD
    learning rate and momentum, batch size. The second conv block and second dense
    layer are conditional on ``conv_layers`` / ``dense_layers``.

    Args:
        subspace: ``full`` (every parameter, the default) or ``benchmark``: the
            :data:`BENCHMARK_PARAMS` only, the others fixed at their defaults, a space a
            1,000-config sampled table covers densely.
    """

    name = "mnist-cnn"
    description = (
        "MNIST digits (50k train / 10k val / 10k official test), small convnet, SGD + momentum"
    )
    metric = "accuracy"
    direction = "maximize"
    max_epochs = 12

    def __init__(self, subspace: str = "full") -> None:
        self.subspace = subspace
        check_subspace(subspace)

    def space(self) -> SearchSpace:
        """Conv and dense layers, dropout, SGD learning rate and momentum, batch size.

        In the benchmark subspace, :data:`BENCHMARK_PARAMS` only.
        """
        full = self._full_space()
        return full if self.subspace == "full" else full.with_fixed(BENCHMARK_PARAMS)

    def _full_space(self) -> SearchSpace:
        return SearchSpace(
            [
                *_conv_space(),
                Float("conv_dropout", 0.0, 0.5, default=0.25),
                *_dense_space(),
                Float("dense_dropout", 0.0, 0.5, default=0.5),
                Float("learning_rate", 1e-3, 0.3, log=True, default=0.05),
                Float("momentum", 0.0, 0.95, default=0.9),
                Categorical("batch_size", (32, 64, 128, 256), default=128),
            ],
            continuable=CONTINUABLE,
        )

    def table_space(self) -> SearchSpace:
        """The replay grid: 24 convnets with one conv block and one dense layer.

        Filters 8 or 32, dense units 32 or 128, SGD learning rate 0.01, 0.05 or 0.2,
        batch 64 or 256; the other parameters stay at their defaults (kernel 3, pool 2,
        ReLU, Glorot, dropout 0.25 / 0.5, momentum 0.9). Kept this small so that every
        point trains twice on 2 CPU cores within minutes (see docs/reference/problems.md).
        """
        return SearchSpace(
            [
                Int("conv_layers", 1, 2, default=1, grid=(1,)),
                Int("conv_filters_1", 8, 64, log=True, default=32, grid=(8, 32)),
                Categorical("conv_activation_1", ("relu",)),
                Categorical("conv_init_1", ("glorot_uniform",)),
                Categorical("kernel_size", (3,)),
                Categorical("pool_size", (2,)),
                Float("conv_dropout", 0.0, 0.5, default=0.25, grid=(0.25,)),
                Int("dense_layers", 1, 2, default=1, grid=(1,)),
                Int("dense_units_1", 16, 512, log=True, default=128, grid=(32, 128)),
                Categorical("dense_activation_1", ("relu",)),
                Categorical("dense_init_1", ("glorot_uniform",)),
                Float("dense_dropout", 0.0, 0.5, default=0.5, grid=(0.5,)),
                Float("learning_rate", 1e-3, 0.3, log=True, default=0.05, grid=(0.01, 0.05, 0.2)),
                Float("momentum", 0.0, 0.95, default=0.9, grid=(0.9,)),
                Categorical("batch_size", (64, 256), default=64),
            ],
            continuable=CONTINUABLE,
        )

    def load(self, data_dir: Path | None = None, subsample: int | None = None) -> Splits:
        """Verified MNIST, pixels scaled to [0, 1], shape (n, 28, 28, 1).

        ``subsample`` keeps the first training images (validation and test stay whole).
        """
        arrays, facts = load_mnist(data_dir)
        x_all = arrays["x_train"]
        y_all = arrays["y_train"]
        n_train = len(x_all) - N_VAL
        stop = n_train if subsample is None else min(n_train, subsample)

        def images(a: np.ndarray) -> np.ndarray:
            return (a.astype(np.float32) / np.float32(255.0))[..., None]

        y_train, y_val, y_test = y_all[:stop], y_all[n_train:], arrays["y_test"]
        return Splits(
            x_train=images(x_all[:stop]),
            y_train=y_train.astype(np.int32),
            x_val=images(x_all[n_train:]),
            y_val=y_val.astype(np.int32),
            x_test=images(arrays["x_test"]),
            y_test=y_test.astype(np.int32),
            source={
                "dataset": "mnist",
                "variant": "mnist",
                "origin": ORIGIN,
                "license": LICENSE,
                **facts,
                "checksum": "idx-md5:" + ",".join(facts["idx_md5"].values()),
                "rows": len(x_all) + len(arrays["x_test"]),
                "split": "first 50,000 training images / last 10,000 training / official test",
                "split_sizes": {"train": n_train, "val": N_VAL, "test": len(arrays["x_test"])},
                "subsample": subsample,
                "train_class_counts": class_counts(y_train),
                **majority_baseline(y_all[:n_train], y_val, y_test),
            },
        )

    def build_model(self, config: Mapping[str, Any], splits: Splits) -> keras.Model:
        """Conv blocks (conv + max-pool), dropout, dense layers with dropout, softmax; SGD."""
        import keras

        kernel = int(config["kernel_size"])
        pool = int(config["pool_size"])
        inputs = keras.Input(shape=splits.x_train.shape[1:])
        x = inputs
        for k in range(1, int(config["conv_layers"]) + 1):
            x = keras.layers.Conv2D(
                int(config[f"conv_filters_{k}"]),
                kernel,
                padding="same",
                activation=str(config[f"conv_activation_{k}"]),
                kernel_initializer=str(config[f"conv_init_{k}"]),
            )(x)
            x = keras.layers.MaxPooling2D(pool)(x)
        if float(config["conv_dropout"]) > 0:
            x = keras.layers.Dropout(float(config["conv_dropout"]))(x)
        x = keras.layers.Flatten()(x)
        for k in range(1, int(config["dense_layers"]) + 1):
            x = keras.layers.Dense(
                int(config[f"dense_units_{k}"]),
                activation=str(config[f"dense_activation_{k}"]),
                kernel_initializer=str(config[f"dense_init_{k}"]),
            )(x)
            if float(config["dense_dropout"]) > 0:
                x = keras.layers.Dropout(float(config["dense_dropout"]))(x)
        outputs = keras.layers.Dense(10, activation="softmax")(x)
        model = keras.Model(inputs, outputs)
        model.compile(
            optimizer=keras.optimizers.SGD(
                learning_rate=float(config["learning_rate"]), momentum=float(config["momentum"])
            ),
            loss="sparse_categorical_crossentropy",
            metrics=[self.metric],
        )
        return model

    def flops_per_example(self, model: keras.Model) -> float:
        """Training FLOPs per image: 3 x the forward multiply-adds of conv and dense layers.

        A conv layer costs ``2 * k * k * c_in * c_out * H_out * W_out`` forward, a dense
        layer ``2 * n_in * n_out``; the backward pass about twice the forward.
        """
        return 3.0 * conv_forward_flops(model)


def conv_forward_flops(model: keras.Model) -> float:
    """Forward FLOPs per example of the Conv2D and Dense layers of ``model``."""
    total = 0.0
    for layer in model.layers:
        kind = layer.__class__.__name__
        if kind == "Conv2D":
            kh, kw, c_in, c_out = (int(d) for d in layer.kernel.shape)
            _, h_out, w_out, _ = layer.output.shape
            total += 2.0 * kh * kw * c_in * c_out * int(h_out) * int(w_out)
        elif kind == "Dense":
            n_in, n_out = (int(d) for d in layer.kernel.shape)
            total += 2.0 * n_in * n_out
    return total
