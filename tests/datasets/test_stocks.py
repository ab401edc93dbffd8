from __future__ import annotations

import numpy as np
import pytest

from tunebench.datasets import available_problems
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
