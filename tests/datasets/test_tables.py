"""The shipped grid learning-curve tables: one per problem, matching its table space."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tunebench.curves.table import LearningCurveTable
from tunebench.datasets import available_problems
from tunebench.matrix.plan import shipped_table

PROBLEMS = sorted(available_problems())


@pytest.mark.parametrize("name", PROBLEMS)
def test_shipped_table_matches_the_problem(name: str) -> None:
    problem_cls = available_problems()[name]
    path = shipped_table(name, "grid")
    assert path.is_file(), f"no shipped table for {name}"
    meta = LearningCurveTable(path).meta
    problem = problem_cls(**meta["problem_params"])
    space = problem.table_space()
    table = LearningCurveTable(path, space.fingerprint())  # refused if the space moved
    assert meta["problem"] == name
    assert meta["grid_size"] == space.grid_size() == len(space.grid())
    assert meta["repeats"] >= 2  # replay carries real training noise
    assert meta["epochs"] >= 1 and table.epochs == meta["epochs"]
    # Every grid point is recorded for every repeat and epoch, and scores are finite
    # for the configs that did not fail.
    frame = pd.read_parquet(path)
    assert len(frame) == meta["grid_size"] * meta["repeats"] * meta["epochs"]
    assert set(table.config_keys) == {space.config_key(c) for c in space.grid()}
    ok = frame[frame["failed"] == ""]
    assert np.isfinite(ok["value"]).all() and np.isfinite(ok["test_value"]).all()


@pytest.mark.parametrize("name", PROBLEMS)
def test_table_grid_lies_in_the_full_space(name: str) -> None:
    problem = available_problems()[name]()
    full = problem.space()
    for config in problem.table_space().grid():
        full.validate(config)  # a replayed config can also be trained live
