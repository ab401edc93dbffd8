from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tunebench.datasets import available_problems
from tunebench.datasets.catalog import LISTING_COLUMNS, dataset_listing, format_listing
from tunebench.datasets.covertype import CovertypeMLP
from tunebench.datasets.events import EventsMLP
from tunebench.datasets.mnist import MnistCNN, read_mnist
from tunebench.datasets.stocks import StocksMLP


def _by_name(rows: list[dict]) -> dict[str, dict]:
    return {row["name"]: row for row in rows}


def test_listing_of_the_shared_data(shared_data: Path, isolated: Path) -> None:
    rows = dataset_listing(shared_data)
    assert all(tuple(row) == LISTING_COLUMNS for row in rows)
    by_name = _by_name(rows)
    assert by_name["mnist"]["status"] == "verified" and by_name["mnist"]["rows"] == 70_000
    assert by_name["mnist"]["license"] == "CC BY-SA 3.0"
    sample = by_name["covertype-kaggle-sample"]
    assert sample["status"] == "verified" and sample["splits"] == "10584/2268/2268"
    assert "auto uses this" in sample["problem"]
    assert by_name["covertype-uci-full"]["status"] == "missing"
    assert by_name["covertype-uci-full"]["rows"] == 581_012
    for ticker in ("AAPL", "MSFT", "IBM", "GOOG", "SP500", "NASDAQ"):
        assert by_name[f"stocks-{ticker}"]["status"] == "verified"
    assert by_name["events-simulated-v1"]["status"] == "generated on use"
    text = format_listing(rows)
    assert "covertype-kaggle-sample" in text and "CC BY 4.0" in text


def test_listing_shows_missing_present_and_corrupt(shared_data: Path, isolated: Path) -> None:
    assert _by_name(dataset_listing(isolated))["mnist"]["status"] == "missing"
    (isolated / "mnist.npz").symlink_to(shared_data / "mnist.npz")
    assert _by_name(dataset_listing(isolated, verify=False))["mnist"]["status"] == "present"
    arrays, _ = read_mnist(shared_data / "mnist.npz")
    arrays["y_test"] = arrays["y_test"].copy()
    arrays["y_test"][0] = 3
    bad = isolated.parent / "bad"
    bad.mkdir()
    np.savez(bad / "mnist.npz", **arrays)
    (bad / "covertype-kaggle-train.csv").write_text("Id,Elevation\n1,2\n", encoding="utf-8")
    by_name = _by_name(dataset_listing(bad))
    assert by_name["mnist"]["status"] == "corrupt"
    assert by_name["covertype-kaggle-sample"]["status"] == "corrupt"


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("mnist-cnn", MnistCNN),
        ("covertype-mlp", CovertypeMLP),
        ("stocks-mlp", StocksMLP),
        ("events-mlp", EventsMLP),
    ],
)
def test_registered(name: str, cls: type) -> None:
    assert available_problems()[name] is cls
