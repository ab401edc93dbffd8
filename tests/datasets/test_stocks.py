from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tunebench.datasets import available_problems, stocks
from tunebench.datasets.files import DatasetError
from tunebench.datasets.stocks import StocksMLP


def test_registered() -> None:
    assert available_problems()["stocks-mlp"] is StocksMLP


def test_split_is_by_time_and_real() -> None:
    splits = StocksMLP().load()
    src = splits.source
    assert src["rows"] == 3270  # AAPL 2000-03-01 .. 2013-03-01 in bokeh_sampledata
    assert src["first_date"] == "2000-03-01" and src["last_date"] == "2013-03-01"
    # each split's target dates come strictly after the previous split's
    assert src["train_dates"][1] < src["val_dates"][0]
    assert src["val_dates"][1] < src["test_dates"][0]
    sizes = splits.sizes()
    n = sum(sizes.values())
    assert sizes["train"] == int(n * 0.7) and sizes["val"] == int(n * 0.15)
    assert splits.x_train.shape[1] == 10
    # standardised with training statistics only
    assert abs(float(splits.x_train.mean())) < 1e-5 and abs(float(splits.x_train.std()) - 1) < 1e-4
    assert set(np.unique(splits.y_train)) == {0.0, 1.0}
    assert np.all(np.isfinite(splits.x_test))


def test_windows_overlap_consistently() -> None:
    x = StocksMLP(window=5).load().x_train
    # row i+1 is row i shifted by one day
    np.testing.assert_array_equal(x[1:, :-1], x[:-1, 1:])


def test_subsample_keeps_the_most_recent_training_rows() -> None:
    full = StocksMLP().load()
    sub = StocksMLP().load(subsample=200)
    assert len(sub.x_train) == 200
    np.testing.assert_array_equal(sub.x_train, full.x_train[-200:])
    np.testing.assert_array_equal(sub.x_val, full.x_val)


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="allowed: AAPL"):
        StocksMLP(ticker="TSLA")
    with pytest.raises(ValueError, match="window"):
        StocksMLP(window=0)


def test_model_builds_for_every_layer_count() -> None:
    problem = StocksMLP()
    splits = problem.load(subsample=64)
    space = problem.space()
    for n_layers in (1, 2, 3):
        config = {**space.defaults(), "n_layers": n_layers, "units_2": 8, "units_3": 4}
        config = {k: v for k, v in config.items() if space.is_active(k, config)}
        model = problem.build_model(config, splits)
        dense = [layer for layer in model.layers if layer.__class__.__name__ == "Dense"]
        assert len(dense) == n_layers + 1


# --- every shipped series, user CSVs, baselines ------------------------------------------

PUBLISHED = {  # rows, first date, last date of each shipped series
    "AAPL": (3270, "2000-03-01", "2013-03-01"),
    "MSFT": (3270, "2000-03-01", "2013-03-01"),
    "IBM": (3270, "2000-03-01", "2013-03-01"),
    "GOOG": (2148, "2004-08-19", "2013-03-01"),
    "SP500": (5031, "1999-01-04", "2018-12-31"),
    "NASDAQ": (5031, "1999-01-04", "2018-12-31"),
}


@pytest.mark.parametrize("ticker", stocks.TICKERS)
def test_every_series_is_split_by_time(ticker: str) -> None:
    series = stocks.load_prices(ticker)
    assert (len(series.close), series.dates[0], series.dates[-1]) == PUBLISHED[ticker]
    assert np.all(series.dates[1:] > series.dates[:-1])  # strictly increasing days
    assert series.sha256 == stocks.PINNED_SHA256[ticker]
    splits = StocksMLP(ticker=ticker).load()
    src = splits.source
    assert src["variant"].endswith(f":{ticker}")
    # every validation and test target date comes after every training target date
    assert src["train_dates"][1] < src["val_dates"][0] <= src["val_dates"][1]
    assert src["val_dates"][1] < src["test_dates"][0] <= src["test_dates"][1]
    n = len(series.close) - 1 - 10
    assert splits.sizes() == {
        "train": int(n * 0.7),
        "val": int(n * 0.15),
        "test": n - int(n * 0.7) - int(n * 0.15),
    }
    majority = src["majority_class"]
    assert src["majority_test_accuracy"] == pytest.approx(float(np.mean(splits.y_test == majority)))
    assert 0.4 < src["majority_val_accuracy"] < 0.6  # up/down is close to 50%


def _write_sp500_csv(path: Path, shuffle: bool = True) -> None:
    import pandas as pd

    frame = pd.read_csv(stocks.arch_file("SP500"))
    if shuffle:
        frame = frame.sample(frac=1.0, random_state=0)  # the loader must sort by date
    frame.to_csv(path, index=False)


def test_user_csv_goes_through_the_same_path(tmp_path: Path) -> None:
    path = tmp_path / "sp500.csv"
    _write_sp500_csv(path)
    mine = StocksMLP(csv=str(path)).load()
    shipped = StocksMLP(ticker="SP500").load()
    np.testing.assert_array_equal(mine.x_train, shipped.x_train)
    np.testing.assert_array_equal(mine.y_test, shipped.y_test)
    assert mine.source["variant"] == "csv:sp500.csv" and mine.source["column"] == "adj_close"
    assert mine.source["train_dates"] == shipped.source["train_dates"]
    # a relative path is also found in the data directory
    assert StocksMLP(csv="sp500.csv").load(tmp_path).source["file"] == str(path)


def test_user_csv_without_adjusted_close_uses_close(tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "p.csv"
    _write_sp500_csv(path, shuffle=False)
    frame = pd.read_csv(path).drop(columns=["Adj Close"])
    frame.columns = [c.upper() for c in frame.columns]
    frame.to_csv(path, index=False)
    assert StocksMLP(csv=str(path)).load().source["column"] == "close"


def test_user_csv_errors_name_the_file_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("date,close\n2020-01-01,1\n", encoding="utf-8")
    with pytest.raises(DatasetError) as info:
        StocksMLP(csv=str(path)).load()
    assert str(path) in str(info.value) and "open, high, low, volume" in str(info.value)
    with pytest.raises(DatasetError, match="not found"):
        StocksMLP(csv=str(tmp_path / "none.csv")).load()
    with pytest.raises(ValueError, match="either ticker or csv"):
        StocksMLP(ticker="MSFT", csv=str(path))


def test_arch_series_trains_one_epoch(train_one_epoch) -> None:
    problem = StocksMLP(ticker="NASDAQ")
    splits = problem.load(subsample=300)
    _, history = train_one_epoch(problem, splits)
    assert np.isfinite(history["val_accuracy"][0])
