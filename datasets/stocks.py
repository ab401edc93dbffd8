"""``stocks-mlp``: next-day up/down of a real daily stock series with an MLP.

Data: the daily prices that the ``bokeh_sampledata`` package ships (AAPL,
MSFT, IBM, GOOG; 2000-2013). Features are the last ``window`` daily log
returns of the adjusted close, standardised with training-split statistics;
the target is whether the next day's return is positive. The split is by
time, 70% / 15% / 15%, never shuffled across a boundary, so no future leaks
into training.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tunebench.datasets.problem import Problem, Splits
from tunebench.strategies.space import Categorical, Condition, Float, Int, SearchSpace

if TYPE_CHECKING:
    import keras

__all__ = ["StocksMLP", "mlp_space"]

TICKERS = ("AAPL", "MSFT", "IBM", "GOOG")
MAX_LAYERS = 3


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
        ]
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
    optimizers = {
        "adam": keras.optimizers.Adam,
        "rmsprop": keras.optimizers.RMSprop,
        "sgd": keras.optimizers.SGD,
    }
    model.compile(
        optimizer=optimizers[str(config["optimizer"])](
            learning_rate=float(config["learning_rate"])
        ),
        loss=loss,
        metrics=[metric],
    )
    return model


class StocksMLP(Problem):
    """Predict whether tomorrow's close is above today's from recent returns.

    Args:
        ticker: One of AAPL, MSFT, IBM, GOOG (``bokeh_sampledata``).
        window: Number of lagged daily returns used as features.
    """

    name = "stocks-mlp"
    description = "next-day up/down of daily AAPL prices 2000-2013 (bokeh_sampledata), MLP"
    metric = "accuracy"
    direction = "maximize"
    max_epochs = 10

    def __init__(self, ticker: str = "AAPL", window: int = 10) -> None:
        self.ticker = ticker
        self.window = window
        if ticker not in TICKERS:
            raise ValueError(f"unknown ticker {ticker!r}; allowed: {', '.join(TICKERS)}")
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")

    def space(self) -> SearchSpace:
        """The shared MLP space (see :func:`mlp_space`)."""
        return mlp_space()

    def load(self, data_dir: Path | None = None, subsample: int | None = None) -> Splits:
        """Build lagged-return features and split them by time (70/15/15).

        ``data_dir`` is unused: the prices ship inside ``bokeh_sampledata``.
        ``subsample`` keeps the most recent training rows, next to validation.
        """
        from bokeh_sampledata import stocks

        raw = getattr(stocks, self.ticker)
        dates = np.asarray(raw["date"])
        close = np.asarray(raw["adj_close"], dtype=np.float64)
        if np.any(close <= 0) or np.any(~np.isfinite(close)):
            raise ValueError(f"{self.ticker}: non-positive or non-finite adjusted close prices")
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
        return Splits(
            x_train=x[start:cut_val],
            y_train=y[start:cut_val],
            x_val=x[cut_val:cut_test],
            y_val=y[cut_val:cut_test],
            x_test=x[cut_test:],
            y_test=y[cut_test:],
            source={
                "origin": f"bokeh_sampledata {version('bokeh_sampledata')} stocks.{self.ticker}",
                "rows": len(close),
                "first_date": str(dates[0]),
                "last_date": str(dates[-1]),
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
                "sha256_adj_close": hashlib.sha256(close.tobytes()).hexdigest(),
                "subsample": subsample,
            },
        )

    def build_model(self, config: Mapping[str, Any], splits: Splits) -> keras.Model:
        """An MLP with a sigmoid output, binary cross-entropy and accuracy."""
        return build_mlp(config, splits.x_train.shape[1], 1, "binary_crossentropy", self.metric)
