"""The problem conformance kit passes the built-in problems and refuses broken ones."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tunebench.datasets import CovertypeMLP, EventsMLP, MnistCNN, Problem
from tunebench.datasets.problem import Splits
from tunebench.datasets.stocks import StocksMLP, build_mlp, mlp_space
from tunebench.datasets.testing import (
    ProblemConformanceError,
    check_problem,
    edge_configs,
)

# Small options per built-in problem, so the whole kit runs in seconds per problem.
BUILTINS: list[tuple[type[Problem], dict[str, Any]]] = [
    (StocksMLP, {}),
    (CovertypeMLP, {"variant": "kaggle-sample"}),
    (MnistCNN, {}),
    (EventsMLP, {"n_events": 2000}),
]


@pytest.mark.slow
@pytest.mark.parametrize(("cls", "params"), BUILTINS, ids=[c.name for c, _ in BUILTINS])
def test_builtin_problem_conforms(
    cls: type[Problem], params: dict[str, Any], shared_data: Path, sim_cache: Path
) -> None:
    check_problem(cls, data_dir=shared_data, subsample=200, params=params)


# ---------------------------------------------------------------------------------------------
# Broken problems: each breaks exactly one rule, on the cheap stocks data
# ---------------------------------------------------------------------------------------------


class NoMetricStocks(StocksMLP):
    """Compiles with ``mse`` instead of the declared ``accuracy``."""

    def build_model(self, config: Mapping[str, Any], splits: Splits) -> Any:
        return build_mlp(config, splits.x_train.shape[1], 1, "binary_crossentropy", "mse")


class AdamlessStocks(StocksMLP):
    """Cannot build the space's default optimizer (adam)."""

    def build_model(self, config: Mapping[str, Any], splits: Splits) -> Any:
        if config["optimizer"] == "adam":
            raise ValueError("optimizer 'adam' is not supported")
        return super().build_model(config, splits)


class SeedShuffledStocks(StocksMLP):
    """Shuffles all rows with the global numpy generator before splitting."""

    def load(self, data_dir: Path | None = None, subsample: int | None = None) -> Splits:
        s = super().load(data_dir, subsample)
        x = np.concatenate([s.x_train, s.x_val, s.x_test])
        y = np.concatenate([s.y_train, s.y_val, s.y_test])
        order = np.random.permutation(len(x))
        a, b = len(s.x_train), len(s.x_train) + len(s.x_val)
        x, y = x[order], y[order]
        return dataclasses.replace(
            s, x_train=x[:a], y_train=y[:a], x_val=x[a:b], y_val=y[a:b], x_test=x[b:], y_test=y[b:]
        )


class LeakyStocks(StocksMLP):
    """Validates on the last training rows."""

    def load(self, data_dir: Path | None = None, subsample: int | None = None) -> Splits:
        s = super().load(data_dir, subsample)
        return dataclasses.replace(s, x_val=s.x_train[-100:], y_val=s.y_train[-100:])


class WholeSubsampleStocks(StocksMLP):
    """Subsamples validation too."""

    def load(self, data_dir: Path | None = None, subsample: int | None = None) -> Splits:
        s = super().load(data_dir, subsample)
        if subsample is None:
            return s
        return dataclasses.replace(s, x_val=s.x_val[:subsample], y_val=s.y_val[:subsample])


class UndeclaredOrderStocks(StocksMLP):
    """Splits by time but does not say ``ordered = True``."""

    ordered = False


class ShuffledTimeStocks(StocksMLP):
    """Declares ``ordered`` but its test dates precede its validation dates."""

    def load(self, data_dir: Path | None = None, subsample: int | None = None) -> Splits:
        s = super().load(data_dir, subsample)
        source = {**s.source, "val_dates": s.source["test_dates"]}
        source["test_dates"] = s.source["val_dates"]
        return dataclasses.replace(s, source=source)


class NoChecksumStocks(StocksMLP):
    """Records no checksum of its data."""

    def load(self, data_dir: Path | None = None, subsample: int | None = None) -> Splits:
        s = super().load(data_dir, subsample)
        return dataclasses.replace(s, source={k: v for k, v in s.source.items() if k != "checksum"})


class NumpySourceStocks(StocksMLP):
    """Puts an array into its provenance."""

    def load(self, data_dir: Path | None = None, subsample: int | None = None) -> Splits:
        s = super().load(data_dir, subsample)
        return dataclasses.replace(s, source={**s.source, "mean": np.zeros(3)})


class MinimizedAccuracyStocks(StocksMLP):
    """Minimises accuracy."""

    direction = "minimize"


class NoThreeLayersStocks(StocksMLP):
    """Cannot build its deepest networks."""

    def build_model(self, config: Mapping[str, Any], splits: Splits) -> Any:
        if config["n_layers"] == 3:
            raise ValueError("three layers are not implemented")
        return super().build_model(config, splits)


class FreeStocks(StocksMLP):
    """Claims models cost nothing."""

    def flops_per_example(self, model: Any) -> float:
        return 0.0


BROKEN = [
    (NoMetricStocks, "metric_is_reported", "does not report the declared metric 'accuracy'"),
    (
        AdamlessStocks,
        "default_config_builds",
        "build_model failed for the default config: ValueError",
    ),
    (SeedShuffledStocks, "splits_ignore_the_run_seed", "splits depend on the run seed"),
    (LeakyStocks, "splits_do_not_overlap", "100 of 100 val rows also occur in train"),
    (WholeSubsampleStocks, "subsample_keeps_val_and_test_whole", "changes x_val"),
    (UndeclaredOrderStocks, "time_ordered_splits", "does not declare ordered = True"),
    (ShuffledTimeStocks, "time_ordered_splits", "not in time order"),
    (NoChecksumStocks, "source_is_provenance", "lacks checksum"),
    (NumpySourceStocks, "source_is_provenance", "source['mean'] is ndarray"),
    (MinimizedAccuracyStocks, "metric_is_reported", "'accuracy' is to maximize"),
    (
        NoThreeLayersStocks,
        "edge_configs_build",
        "build_model failed for config n_layers=3: ValueError",
    ),
    (FreeStocks, "default_config_builds", "flops_per_example gave 0.0"),
]


@pytest.mark.parametrize(("cls", "check", "finding"), BROKEN, ids=[c.__name__ for c, *_ in BROKEN])
def test_broken_problem_is_refused_in_one_line(
    cls: type[StocksMLP], check: str, finding: str
) -> None:
    with pytest.raises(ProblemConformanceError) as info:
        check_problem(cls, subsample=200)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"[{check}] problem 'stocks-mlp' ({cls.__name__}): ")
    assert finding in message


def test_instance_with_changed_params_is_refused() -> None:
    problem = StocksMLP(window=5)
    with pytest.raises(ProblemConformanceError, match=r"changed parameter 'window'"):
        check_problem(problem, params={"window": 7})


def test_global_generators_are_restored() -> None:
    np.random.seed(123)
    expected = np.random.get_state()[1].copy()
    with pytest.raises(ProblemConformanceError):
        check_problem(UndeclaredOrderStocks)
    assert np.array_equal(np.random.get_state()[1], expected)


def test_edge_configs_cover_each_edge_once() -> None:
    space = mlp_space()
    configs = edge_configs(space)
    labels = [label for label, _ in configs]
    assert labels[0] == "defaults"
    assert configs[0][1] == space.defaults()
    # 2 + 3 x 2 widths, 2 more optimizers, 2 rates, 3 more batch sizes: one build per edge
    assert len(configs) == 1 + 2 + 6 + 2 + 2 + 3
    assert "units_3=4 (n_layers=3)" in labels
    assert "units_2=128 (n_layers=2)" in labels
    for _, config in configs:
        space.validate(config)
    assert len({space.config_key(c) for _, c in configs}) == len(configs)
