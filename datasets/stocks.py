"""``stocks-mlp``: next-day up/down of a real daily price series with an MLP.

Data (all real daily prices, none downloaded):

- ``bokeh_sampledata``: AAPL, MSFT, IBM (2000-03-01..2013-03-01) and GOOG
  (2004-08-19..2013-03-01), Quandl WIKI prices, public domain. (Its FB series, 196 days,
  is too short for a 70/15/15 split and is left out.)
- ``arch``: the S&P 500 (``SP500``) and NASDAQ Composite (``NASDAQ``) indices,
  1999-01-04..2018-12-31, the files ``arch.data.sp500`` / ``arch.data.nasdaq`` load.
- ``csv``: any user CSV with date, open, high, low, close and volume columns (an
  adjusted close column is used instead of close when present).

Features are the last ``window`` daily log returns of the (adjusted) close,
standardised with training-split statistics; the target is whether the next day's
return is positive. The split is by time, 70% / 15% / 15%, never shuffled across a
boundary, so no future leaks into training. Because up/down is close to 50%, the
source records the majority-class accuracy of validation and test next to the data.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tunebench.datasets.files import DatasetError, resolve_data_dir, sha256_bytes, sha256_file
from tunebench.datasets.problem import Problem, Splits, make_optimizer
from tunebench.datasets.splitting import majority_baseline
from tunebench.errors import one_line
from tunebench.strategies.space import Categorical, Condition, Float, Int, SearchSpace

if TYPE_CHECKING:
    import keras

__all__ = [
    "ARCH_TICKERS",
    "BOKEH_TICKERS",
    "TICKERS",
    "PriceSeries",
    "StocksMLP",
    "load_prices",
    "mlp_space",
    "read_price_csv",
]

BOKEH_TICKERS = ("AAPL", "MSFT", "IBM", "GOOG")
ARCH_TICKERS = ("SP500", "NASDAQ")
TICKERS = (*BOKEH_TICKERS, *ARCH_TICKERS)
"""Every shipped series ``ticker`` may name."""

# sha256 of the float64 adjusted-close series as shipped (bokeh_sampledata 2026.1, arch 8.0);
# the dataset listing shows "verified" when the installed package still ships these values.
PINNED_SHA256 = {
    "AAPL": "27a9731d4bc88ba7958f85858875ca34434cd58f69d42e696552acf4de8770dd",
    "MSFT": "039c537be3095bfea3081c4aed14f897d3661c8d0dc6f4f74c51b0595b02f296",
    "IBM": "e32dad0ce7fb5d0473caa1cb7e507f71e40107689f6df060f63345619d903fc9",
    "GOOG": "4931fba14d29f774968c4524235ff33e534d4683079f00382587f5c5460c58a5",
    "SP500": "be5b1f766caa6a8d3f4edc2a70923cdf38279ebc3bf8911062255adbc37d5bce",
    "NASDAQ": "c1c972315fc9abe235fd74feb2e6899590b239b012c82cbf9ec0161a54a923de",
}
CSV_COLUMNS = ("date", "open", "high", "low", "close", "volume")
MAX_LAYERS = 3
MIN_DAYS = 60


@dataclass(frozen=True)
class PriceSeries:
    """One daily price series, sorted by date.

    Attributes:
        dates: ISO dates (``YYYY-MM-DD``), strictly increasing.
        close: Adjusted close (or close), positive and finite.
        variant: ``bokeh_sampledata:AAPL``, ``arch:SP500`` or ``csv:<file name>``.
        origin: Human-readable origin with the package version or file path.
        license: License of the data.
        facts: More provenance (file checksums, which column was used).
    """

    dates: np.ndarray
    close: np.ndarray
    variant: str
    origin: str
    license: str
    facts: dict[str, Any]

    @property
    def sha256(self) -> str:
        """sha256 of the float64 close series (what identifies the data)."""
        return sha256_bytes(np.ascontiguousarray(self.close, dtype=np.float64).tobytes())


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _bokeh(ticker: str) -> PriceSeries:
    from bokeh_sampledata import stocks

    raw = getattr(stocks, ticker)
    return PriceSeries(
        dates=np.asarray(raw["date"], dtype=str),
        close=np.asarray(raw["adj_close"], dtype=np.float64),
        variant=f"bokeh_sampledata:{ticker}",
        origin=f"bokeh_sampledata {_version('bokeh_sampledata')} stocks.{ticker}",
        license="public domain (Quandl WIKI prices)",
        facts={"column": "adj_close"},
    )


def arch_file(ticker: str) -> Path:
    """The CSV ``arch.data.<sp500|nasdaq>.load()`` reads, found without importing ``arch``.

    Raises:
        DatasetError: ``arch`` is not installed or lacks the file.
    """
    name = ticker.lower()
    spec = importlib.util.find_spec("arch")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError(
            f"ticker {ticker} needs the 'arch' package (pip install 'arch>=6'); it ships "
            f"arch/data/{name}/{name}.csv.gz"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / name / f"{name}.csv.gz"
    if not path.is_file():
        raise DatasetError(f"{path} is missing from the installed 'arch' package; reinstall it")
    return path


def _arch(ticker: str) -> PriceSeries:
    import pandas as pd

    path = arch_file(ticker)
    frame = pd.read_csv(path)
    dates = pd.to_datetime(frame["Date"], format="%m/%d/%Y")
    return PriceSeries(
        dates=dates.dt.strftime("%Y-%m-%d").to_numpy(dtype=str),
        close=frame["Adj Close"].to_numpy(dtype=np.float64),
        variant=f"arch:{ticker}",
        origin=f"arch {_version('arch')} arch.data.{ticker.lower()} ({path.name})",
        license="shipped with arch (NCSA license); index levels from Yahoo Finance",
        facts={"column": "Adj Close", "file_sha256": sha256_file(path)},
    )


def read_price_csv(path: str | os.PathLike[str]) -> PriceSeries:
    """Read a user CSV of daily prices (date, open, high, low, close, volume).

    Column names are matched case-insensitively, with spaces read as underscores; an
    ``adj_close`` (``Adj Close``) column is used instead of ``close`` when present.
    Rows are sorted by date.

    Raises:
        DatasetError: Missing file or columns, unparsable or duplicate dates, too few
            rows, or non-positive prices (one line naming the file).
    """
    import pandas as pd

    file = Path(path).expanduser()
    if not file.is_file():
        raise DatasetError(f"price CSV {file} not found")
    try:
        frame = pd.read_csv(file)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{file}: not a readable CSV ({one_line(str(exc))})") from None
    frame.columns = [str(c).strip().lower().replace(" ", "_") for c in frame.columns]
    missing = [c for c in CSV_COLUMNS if c not in frame.columns]
    if missing:
        raise DatasetError(
            f"{file}: missing column(s) {', '.join(missing)}; a price CSV needs "
            f"{', '.join(CSV_COLUMNS)} (adj_close optional)"
        )
    column = "adj_close" if "adj_close" in frame.columns else "close"
    try:
        dates = pd.to_datetime(frame["date"])
    except (ValueError, TypeError) as exc:
        raise DatasetError(f"{file}: unparsable dates ({one_line(str(exc))})") from None
    close = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    order = np.argsort(dates.to_numpy(), kind="stable")
    iso = dates.dt.strftime("%Y-%m-%d").to_numpy(dtype=str)[order]
    close = close[order]
    if len(np.unique(iso)) != len(iso):
        raise DatasetError(f"{file}: duplicate dates; one row per trading day is expected")
    if len(close) < MIN_DAYS:
        raise DatasetError(f"{file}: {len(close)} rows, at least {MIN_DAYS} days are needed")
    return PriceSeries(
        dates=iso,
        close=close,
        variant=f"csv:{file.name}",
        origin=f"user CSV {file}",
        license="as the user's file",
        facts={"column": column, "file": str(file), "file_sha256": sha256_file(file)},
    )


def load_prices(ticker: str = "AAPL", csv: str | os.PathLike[str] | None = None) -> PriceSeries:
    """The price series of a shipped ticker, or of a user CSV when ``csv`` is given.

    Raises:
        DatasetError: The data cannot be read or has non-positive / non-finite prices.
    """
    if csv is not None:
        series = read_price_csv(csv)
    elif ticker in ARCH_TICKERS:
        series = _arch(ticker)
    else:
        series = _bokeh(ticker)
    if np.any(~np.isfinite(series.close)) or np.any(series.close <= 0):
        raise DatasetError(
            f"{series.origin}: non-positive or non-finite {series.facts['column']} prices"
        )
    return series


#: What a continuation of an MLP's weights may change: the training, not the layers.
MLP_CONTINUABLE = ("optimizer", "learning_rate", "batch_size")


def mlp_space() -> SearchSpace:
    """The MLP search space shared by the tabular problems.

    Layers 1-3, units per layer 4-128 (log scale; layer k exists only when
    ``n_layers >= k``), optimizer, learning rate 1e-4..1e-1 (log) and batch size.
    """
    units = [
        Int(
            f"units_{k}",
            4,
            128,
            log=True,
            default=32,
            condition=None if k == 1 else Condition("n_layers", tuple(range(k, MAX_LAYERS + 1))),
        )
        for k in range(1, MAX_LAYERS + 1)
    ]
    return SearchSpace(
        [
            Int("n_layers", 1, MAX_LAYERS, default=2),
            *units,
            Categorical("optimizer", ("adam", "rmsprop", "sgd")),
            Float("learning_rate", 1e-4, 1e-1, log=True, default=1e-3),
            Categorical("batch_size", (32, 64, 128, 256), default=64),
        ],
        continuable=MLP_CONTINUABLE,
    )


def build_mlp(
    config: Mapping[str, Any], n_features: int, n_outputs: int, loss: str, metric: str
) -> keras.Model:
    """Build and compile the MLP that :func:`mlp_space` describes."""
    import keras

    inputs = keras.Input(shape=(n_features,))
    x = inputs
    for k in range(1, int(config["n_layers"]) + 1):
        x = keras.layers.Dense(int(config[f"units_{k}"]), activation="relu")(x)
    activation = "sigmoid" if n_outputs == 1 and loss == "binary_crossentropy" else None
    if loss == "sparse_categorical_crossentropy":
        activation = "softmax"
    outputs = keras.layers.Dense(n_outputs, activation=activation)(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=make_optimizer(str(config["optimizer"]), float(config["learning_rate"])),
        loss=loss,
        metrics=[metric],
    )
    return model


class StocksMLP(Problem):
    """Predict whether tomorrow's close is above today's from recent returns.

    Args:
        ticker: A shipped series: AAPL, MSFT, IBM, GOOG (``bokeh_sampledata``, 2000-2013)
            or SP500, NASDAQ (``arch``, 1999-2018).
        window: Number of lagged daily returns used as features.
        csv: Path to a user CSV (date, open, high, low, close, volume; adjusted close
            used if present) to use instead of a shipped series; leave ``ticker`` at
            its default then.
    """

    name = "stocks-mlp"
    description = (
        "next-day up/down of daily prices (AAPL default; MSFT, IBM, GOOG, SP500, NASDAQ "
        "or a user CSV), time split 70/15/15, MLP"
    )
    metric = "accuracy"
    direction = "maximize"
    max_epochs = 10
    ordered = True

    def __init__(self, ticker: str = "AAPL", window: int = 10, csv: str | None = None) -> None:
        self.ticker = ticker
        self.window = window
        self.csv = csv
        if ticker not in TICKERS:
            raise ValueError(f"unknown ticker {ticker!r}; allowed: {', '.join(TICKERS)}")
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        if csv is not None and ticker != "AAPL":
            raise ValueError("give either ticker or csv, not both")

    def space(self) -> SearchSpace:
        """The shared MLP space (see :func:`mlp_space`)."""
        return mlp_space()

    def table_space(self) -> SearchSpace:
        """The replay grid: the MLP space at 108 points.

        1-2 layers of 8 or 64 units, each optimizer, learning rate 1e-3, 1e-2 or
        1e-1, batch 32 or 128: small enough to train every point twice on 2 cores,
        wide enough that configs differ (from barely training to diverging).
        """
        return SearchSpace(
            [
                Int("n_layers", 1, MAX_LAYERS, default=2, grid=(1, 2)),
                Int("units_1", 4, 128, log=True, default=32, grid=(8, 64)),
                Int(
                    "units_2",
                    4,
                    128,
                    log=True,
                    default=32,
                    grid=(8, 64),
                    condition=Condition("n_layers", (2, 3)),
                ),
                Categorical("optimizer", ("adam", "rmsprop", "sgd")),
                Float("learning_rate", 1e-4, 1e-1, log=True, default=1e-2, grid=(1e-3, 1e-2, 1e-1)),
                Categorical("batch_size", (32, 128), default=32),
            ],
            continuable=MLP_CONTINUABLE,
        )

    def load(self, data_dir: Path | None = None, subsample: int | None = None) -> Splits:
        """Build lagged-return features and split them by time (70/15/15).

        Shipped prices come from inside Python packages; a relative ``csv`` path is
        looked up in the working directory, then in ``data_dir``. ``subsample`` keeps
        the most recent training rows, next to validation.
        """
        csv: Path | None = None
        if self.csv is not None:
            csv = Path(self.csv).expanduser()
            if not csv.is_file() and not csv.is_absolute():  # relative: cwd, then data dir
                in_data_dir = resolve_data_dir(data_dir) / csv
                csv = in_data_dir if in_data_dir.is_file() else csv
        series = load_prices(self.ticker, csv)
        dates, close = series.dates, series.close
        if len(close) < self.window + MIN_DAYS:
            raise DatasetError(
                f"{series.origin}: {len(close)} days are too few for window {self.window}"
            )
        returns = np.diff(np.log(close))
        n = len(returns) - self.window  # samples: window of returns -> the next return
        x = np.lib.stride_tricks.sliding_window_view(returns, self.window)[:n]
        y = (returns[self.window :] > 0).astype(np.float32)

        n_train, n_val = int(n * 0.70), int(n * 0.15)
        cut_val, cut_test = n_train, n_train + n_val
        # Every lag is the same quantity, so one mean and scale (training split only).
        mean = float(x[:cut_val].mean())
        std = float(x[:cut_val].std())
        x = ((x - mean) / std).astype(np.float32)

        start = 0 if subsample is None else max(0, cut_val - subsample)
        sha = series.sha256
        return Splits(
            x_train=x[start:cut_val],
            y_train=y[start:cut_val],
            x_val=x[cut_val:cut_test],
            y_val=y[cut_val:cut_test],
            x_test=x[cut_test:],
            y_test=y[cut_test:],
            source={
                "dataset": "stocks",
                "variant": series.variant,
                "origin": series.origin,
                "license": series.license,
                **series.facts,
                "checksum": f"sha256:{sha}",
                "sha256_adj_close": sha,
                "rows": len(close),
                "first_date": str(dates[0]),
                "last_date": str(dates[-1]),
                "split": "by time 70/15/15 (no shuffling across boundaries)",
                "split_sizes": {"train": cut_val, "val": n_val, "test": n - cut_test},
                "subsample": subsample,
                # Target dates of each split, to show the split is by time.
                "train_dates": [
                    str(dates[start + self.window + 1]),
                    str(dates[cut_val + self.window]),
                ],
                "val_dates": [
                    str(dates[cut_val + self.window + 1]),
                    str(dates[cut_test + self.window]),
                ],
                "test_dates": [str(dates[cut_test + self.window + 1]), str(dates[-1])],
                **majority_baseline(y[:cut_val], y[cut_val:cut_test], y[cut_test:]),
            },
        )

    def build_model(self, config: Mapping[str, Any], splits: Splits) -> keras.Model:
        """An MLP with a sigmoid output, binary cross-entropy and accuracy."""
        return build_mlp(config, splits.x_train.shape[1], 1, "binary_crossentropy", self.metric)
