"""The dataset listing behind ``tunebench list datasets`` / ``tunebench datasets``.

One row per data source a problem can use, with where it comes from, its license,
size, task, split sizes and the state of the local copy:

- ``verified``: present and its checksum (or content check) matches;
- ``present``: present, not checked (``verify=False``), or package data whose values
  differ from the pinned copy;
- ``corrupt``: present but the check failed (the loader refuses it);
- ``missing``: not found (the loader downloads it if it can, else says where to put it);
- ``generated on use``: simulated data not cached yet.
"""

from __future__ import annotations

import os
from typing import Any

from tunebench.datasets import covertype, events, mnist, stocks
from tunebench.datasets.files import DatasetError, find_file
from tunebench.datasets.splitting import stratified_sizes
from tunebench.errors import one_line

__all__ = ["LISTING_COLUMNS", "dataset_listing", "format_listing"]

LISTING_COLUMNS = (
    "name",
    "problem",
    "source",
    "license",
    "rows",
    "features",
    "task",
    "splits",
    "status",
    "location",
)
"""Keys of every listing row, in display order."""


def _sizes(sizes: dict[str, int]) -> str:
    return f"{sizes['train']}/{sizes['val']}/{sizes['test']}"


def _time_sizes(rows: int, window: int = 10) -> str:
    n = rows - 1 - window
    n_train, n_val = int(n * 0.70), int(n * 0.15)
    return _sizes({"train": n_train, "val": n_val, "test": n - n_train - n_val})


def _mnist(data_dir: str | os.PathLike[str] | None, verify: bool) -> dict[str, Any]:
    path = find_file(mnist.MNIST_FILE.name, data_dir, (mnist.keras_datasets_dir(),))
    status = "missing" if path is None else "present"
    if path is not None and verify:
        try:
            mnist.read_mnist(path)
            status = "verified"
        except DatasetError:
            status = "corrupt"
    return {
        "name": "mnist",
        "problem": mnist.MnistCNN.name,
        "source": mnist.ORIGIN,
        "license": mnist.LICENSE,
        "rows": 70_000,
        "features": "28x28 pixels",
        "task": "classification, 10 classes",
        "splits": _sizes({"train": 50_000, "val": 10_000, "test": 10_000}),
        "status": status,
        "location": str(path) if path is not None else f"download {mnist.MNIST_FILE.url}",
    }


def _covertype(data_dir: str | os.PathLike[str] | None, verify: bool) -> list[dict[str, Any]]:
    rows = []
    auto = covertype.resolve_variant("auto", data_dir)
    for variant, counts, origin, reader in (
        (
            "uci-full",
            covertype.UCI_CLASS_COUNTS,
            "UCI Covertype covtype.data.gz (as sklearn.datasets.fetch_covtype fetches it)",
            covertype.read_uci,
        ),
        (
            "kaggle-sample",
            covertype.KAGGLE_CLASS_COUNTS,
            "Kaggle Forest Cover Type Prediction train.csv (balanced sample of UCI)",
            covertype.read_kaggle_sample,
        ),
    ):
        path = covertype.find_variant_file(variant, data_dir)
        status = "missing" if path is None else "present"
        if path is not None and verify:
            try:
                reader(path)
                status = "verified"
            except DatasetError:
                status = "corrupt"
        if path is not None:
            location = str(path)
        elif variant == "uci-full":
            location = f"download {covertype.UCI_FILE.url}"
        else:
            location = f"not downloadable: put {covertype.KAGGLE_FILE.name} in the data dir"
        used = " (auto uses this)" if variant == auto else ""
        rows.append(
            {
                "name": f"covertype-{variant}",
                "problem": f"{covertype.CovertypeMLP.name} variant={variant}{used}",
                "source": origin,
                "license": covertype.LICENSE,
                "rows": sum(counts),
                "features": len(covertype.FEATURES),
                "task": "classification, 7 classes",
                "splits": _sizes(stratified_sizes(counts)),
                "status": status,
                "location": location,
            }
        )
    return rows


def _stocks(verify: bool) -> list[dict[str, Any]]:
    rows = []
    for ticker in stocks.TICKERS:
        try:
            series = stocks.load_prices(ticker)
        except (DatasetError, ImportError) as exc:
            rows.append(
                {
                    "name": f"stocks-{ticker}",
                    "problem": f"{stocks.StocksMLP.name} ticker={ticker}",
                    "source": "arch" if ticker in stocks.ARCH_TICKERS else "bokeh_sampledata",
                    "license": "",
                    "rows": None,
                    "features": 10,
                    "task": "binary classification (next-day up/down)",
                    "splits": "",
                    "status": "missing",
                    "location": one_line(str(exc)),
                }
            )
            continue
        status = "present"
        if verify and series.sha256 == stocks.PINNED_SHA256.get(ticker):
            status = "verified"
        rows.append(
            {
                "name": f"stocks-{ticker}",
                "problem": f"{stocks.StocksMLP.name} ticker={ticker}",
                "source": f"{series.origin}, {series.dates[0]}..{series.dates[-1]}",
                "license": series.license,
                "rows": len(series.close),
                "features": "10 lagged returns (window)",
                "task": "binary classification (next-day up/down)",
                "splits": _time_sizes(len(series.close)) + " (by time)",
                "status": status,
                "location": "inside the installed package",
            }
        )
    return rows


def _events(data_dir: str | os.PathLike[str] | None, verify: bool) -> dict[str, Any]:
    name = events.cache_name(events.DEFAULT_EVENTS, 0)
    path = find_file(name, data_dir, (events.cache_dir() / "events",))
    status = "generated on use" if path is None else "present"
    if path is not None and verify:
        status = "verified" if events.read_cached(path) is not None else "corrupt"
    n = events.DEFAULT_EVENTS
    n_train, n_val = int(n * 0.70), int(n * 0.15)
    return {
        "name": f"events-simulated-v{events.SIM_VERSION}",
        "problem": f"{events.EventsMLP.name} (or events_file=<your file>)",
        "source": "tunebench Z/Drell-Yan -> mu mu simulator (seeded), n_events up to 10M",
        "license": "generated (Apache-2.0)",
        "rows": n,
        "features": len(events.FEATURES),
        "task": "regression (true dimuon mass, MAE)",
        "splits": _sizes({"train": n_train, "val": n_val, "test": n - n_train - n_val}),
        "status": status,
        "location": str(path) if path is not None else f"{events.cache_dir() / 'events' / name}",
    }


def dataset_listing(
    data_dir: str | os.PathLike[str] | None = None, *, verify: bool = True
) -> list[dict[str, Any]]:
    """Every dataset a built-in problem can use, with the state of its local copy.

    Args:
        data_dir: The data directory (``--data-dir``); ``None`` uses ``TUNEBENCH_DATA``,
            ``TUNEBENCH_DATA_DIR`` or the cache directory.
        verify: Check checksums of present files (memoised per process; about a second
            in all), else report them as ``present``.

    Returns:
        One dict per dataset with the keys of :data:`LISTING_COLUMNS`.
    """
    return [
        _mnist(data_dir, verify),
        *_covertype(data_dir, verify),
        *_stocks(verify),
        _events(data_dir, verify),
    ]


def format_listing(rows: list[dict[str, Any]]) -> str:
    """The listing as plain text, one block per dataset (for a terminal)."""
    lines = []
    for row in rows:
        rows_text = "?" if row["rows"] is None else f"{row['rows']:,}"
        lines.append(
            f"{row['name']:<26} {row['status']:<16} rows={rows_text:<10} "
            f"features={row['features']}  splits={row['splits']}"
        )
        lines.append(f"    problem: {row['problem']}; task: {row['task']}")
        lines.append(f"    source: {row['source']}; license: {row['license']}")
        lines.append(f"    location: {row['location']}")
    return "\n".join(lines)
