from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tunebench.datasets import mnist
from tunebench.datasets.files import DatasetError
from tunebench.datasets.mnist import MnistCNN

PUBLISHED_TRAIN = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
PUBLISHED_TEST = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_real_file_matches_published_figures(shared_data: Path) -> None:
    arrays, facts = mnist.read_mnist(shared_data / "mnist.npz")
    assert arrays["x_train"].shape == (60000, 28, 28) and arrays["x_test"].shape == (10000, 28, 28)
    assert np.bincount(arrays["y_train"]).tolist() == PUBLISHED_TRAIN
    assert np.bincount(arrays["y_test"]).tolist() == PUBLISHED_TEST
    assert arrays["y_train"][:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert arrays["y_test"][:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert facts["idx_md5"]["train-images-idx3-ubyte"] == "6bbc9ace898e44ae57da46a324031adb"
    assert facts["idx_md5"]["t10k-labels-idx1-ubyte"] == "27ae3e4e09519cfbb04c329615203637"
    assert abs(float(arrays["x_train"].mean()) - 33.318421) < 1e-5


def test_idx_md5_rebuilds_the_original_file_bytes() -> None:
    labels = np.array([7, 2, 1], dtype=np.uint8)
    # IDX1: magic 0x00000801, count 3 (big-endian), then the bytes
    expected = bytes.fromhex("0000080100000003") + bytes([7, 2, 1])
    import hashlib

    assert mnist.idx_md5(labels, 2049) == hashlib.md5(expected).hexdigest()


def test_problem_splits_are_the_documented_ones(shared_data: Path) -> None:
    splits = MnistCNN().load(shared_data)
    assert splits.sizes() == {"train": 50000, "val": 10000, "test": 10000}
    assert splits.x_train.shape[1:] == (28, 28, 1) and splits.x_train.dtype == np.float32
    assert float(splits.x_val.min()) >= 0.0 and float(splits.x_val.max()) <= 1.0
    arrays, _ = mnist.read_mnist(shared_data / "mnist.npz")
    # validation = the last 10,000 training images; test = the official test set
    np.testing.assert_array_equal(splits.y_val, arrays["y_train"][50000:])
    np.testing.assert_array_equal(splits.x_val[..., 0] * 255, arrays["x_train"][50000:])
    np.testing.assert_array_equal(splits.y_test, arrays["y_test"])
    src = splits.source
    assert src["variant"] == "mnist" and src["checksum"].startswith("idx-md5:6bbc9ace")
    assert src["majority_class"] == 1
    assert src["majority_test_accuracy"] == pytest.approx(1135 / 10000)
    assert src["split_sizes"] == {"train": 50000, "val": 10000, "test": 10000}


def test_repackaged_copy_passes_by_content(shared_data: Path, tmp_path: Path) -> None:
    # Different zip metadata and no compression: another file hash, same arrays.
    arrays, _ = mnist.read_mnist(shared_data / "mnist.npz")
    copy = tmp_path / "mnist.npz"
    np.savez(copy, **arrays)
    assert mnist.sha256_file(copy) != mnist.sha256_file(shared_data / "mnist.npz")
    assert MnistCNN().load(tmp_path, subsample=10).source["file"] == str(copy)


def test_one_changed_pixel_is_a_clear_checksum_error(shared_data: Path, tmp_path: Path) -> None:
    arrays, _ = mnist.read_mnist(shared_data / "mnist.npz")
    arrays["x_train"] = arrays["x_train"].copy()
    arrays["x_train"][123, 14, 14] ^= 1
    np.savez(tmp_path / "mnist.npz", **arrays)
    with pytest.raises(DatasetError) as info:
        MnistCNN().load(tmp_path)
    message = str(info.value)
    assert "checksum mismatch" in message and "x_train" in message
    assert "6bbc9ace898e44ae57da46a324031adb" in message and "\n" not in message


def test_not_an_npz_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "mnist.npz").write_bytes(b"<html>not found</html>")
    with pytest.raises(DatasetError, match=r"not a readable mnist\.npz"):
        MnistCNN().load(tmp_path)
    with zipfile.ZipFile(tmp_path / "mnist.npz", "w") as zf:
        zf.writestr("x_train.npy", b"junk")
    with pytest.raises(DatasetError, match=r"not a readable mnist\.npz"):
        MnistCNN().load(tmp_path)


def test_missing_without_network_names_file_sha_and_folder(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    offline = dataclasses.replace(mnist.MNIST_FILE, url="http://127.0.0.1:9/mnist.npz")
    monkeypatch.setattr(mnist, "MNIST_FILE", offline)
    with pytest.raises(DatasetError) as info:
        MnistCNN().load(isolated)
    message = str(info.value)
    assert "\n" not in message and "mnist.npz" in message
    assert mnist.MNIST_FILE.sha256 in message and str(isolated) in message


def test_keras_download_folder_is_used(isolated: Path, shared_data: Path, tmp_path: Path) -> None:
    keras_copy = tmp_path / "keras" / "datasets" / "mnist.npz"
    keras_copy.parent.mkdir(parents=True)
    keras_copy.symlink_to(shared_data / "mnist.npz")
    assert MnistCNN().load(isolated, subsample=5).source["file"] == str(keras_copy)


def test_convnet_trains_one_epoch_and_counts_flops(shared_data: Path, train_one_epoch) -> None:
    problem = MnistCNN()
    splits = problem.load(shared_data, subsample=256)
    assert len(splits.x_train) == 256 and len(splits.x_val) == 10000
    assert np.isfinite(splits.source["majority_val_accuracy"])
    model, history = train_one_epoch(problem, splits)
    assert np.isfinite(history["val_accuracy"][0])
    # default: conv 3x3 1->32 at 28x28, pool 2, conv 3x3 32->64 at 14x14, pool 2,
    # dense 7*7*64 -> 128 -> 10
    forward = 2 * 9 * 1 * 32 * 28 * 28 + 2 * 9 * 32 * 64 * 14 * 14 + 2 * 3136 * 128 + 2 * 128 * 10
    assert problem.flops_per_example(model) == 3 * forward


def test_conditional_layers_change_the_model(shared_data: Path, train_one_epoch) -> None:
    problem = MnistCNN()
    splits = problem.load(shared_data, subsample=64)
    model, _ = train_one_epoch(
        problem,
        splits,
        conv_layers=1,
        dense_layers=2,
        kernel_size=5,
        pool_size=3,
        conv_activation_1="tanh",
        dense_init_2="he_normal",
        conv_dropout=0.0,
        batch_size=32,
    )
    kinds = [layer.__class__.__name__ for layer in model.layers]
    assert kinds.count("Conv2D") == 1 and kinds.count("Dense") == 3
    assert "Dropout" in kinds  # the dense dropout
    conv = next(layer for layer in model.layers if layer.__class__.__name__ == "Conv2D")
    assert tuple(conv.kernel.shape) == (5, 5, 1, 32)
    space = problem.space()
    assert not space.is_active("conv_filters_2", {"conv_layers": 1})
    assert space.is_active("dense_units_2", {"dense_layers": 2})
