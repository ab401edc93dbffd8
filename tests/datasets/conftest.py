"""Fixtures for the dataset tests: the real shared data files and an isolated cache."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def _shared_data() -> Path:
    for var in ("TUNEBENCH_DATA", "TUNEBENCH_DATA_DIR"):
        if os.environ.get(var):
            return Path(os.environ[var])
    return Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder with the real data files (mnist.npz, the Covertype sample)."""
    path = _shared_data()
    assert (path / "mnist.npz").is_file(), (
        f"real data files not found in {path}; set TUNEBENCH_DATA to the shared data folder"
    )
    return path


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data folder; cache and Keras' download folder also point into tmp_path."""
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("TUNEBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv("TUNEBENCH_DATA", raising=False)
    monkeypatch.delenv("TUNEBENCH_DATA_DIR", raising=False)
    monkeypatch.delenv("TUNEBENCH_OFFLINE", raising=False)
    return data


@pytest.fixture
def sim_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache folder for simulated events."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("TUNEBENCH_CACHE", str(cache))
    return cache


def _train_one_epoch(problem: Any, splits: Any, **overrides: Any) -> tuple[Any, dict[str, Any]]:
    """Build the default config (plus overrides) and train one real epoch.

    Validation is cut to its first 512 rows to keep the test fast.
    """
    import dataclasses

    import keras

    splits = dataclasses.replace(splits, x_val=splits.x_val[:512], y_val=splits.y_val[:512])

    space = problem.space()
    config = {**{p.name: p.default_value() for p in space}, **overrides}
    config = {k: v for k, v in config.items() if space.is_active(k, config)}
    space.validate(config)
    keras.utils.set_random_seed(0)
    model = problem.build_model(config, splits)
    history = model.fit(
        splits.x_train,
        splits.y_train,
        batch_size=problem.batch_size(config),
        epochs=1,
        validation_data=(splits.x_val, splits.y_val),
        verbose=0,
    )
    return model, history.history


@pytest.fixture
def train_one_epoch() -> Callable[..., tuple[Any, dict[str, Any]]]:
    """``train_one_epoch(problem, splits, **config_overrides) -> (model, history)``."""
    return _train_one_epoch
