"""Bad strategy parameters are refused with one line when the matrix loads, before training."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tunebench.cli.commands import app
from tunebench.strategies import available_strategies

EVO = "evolutionary-pruning"
BAD = [
    (
        EVO,
        "prune_fraction = 1.5",
        "prune_fraction = 1.5 is not allowed; allowed: a number in (0, 1)",
    ),
    (EVO, "population = 4, survivors = 10", "population = 4 is smaller than survivors = 10"),
    ("evolutionary-mutation", "survivors = 0", "survivors = 0 is not allowed; allowed: an int in"),
    (
        "hyperband",
        'sampler = "cmaes"',
        "sampler = 'cmaes' is not allowed; allowed: one of 'random'",
    ),
    ("sha", "reduction_factor = 1", "reduction_factor = 1 is not allowed; allowed: an int in [2,"),
    ("median-stop", "n_warmup_steps = -1", "n_warmup_steps = -1 is not allowed"),
    ("tpe", 'group = "yes"', "group = 'yes' is not allowed; allowed: true or false"),
    ("one-at-a-time", "passes = 0", "passes = 0 is not allowed; allowed: an int in [1, inf)"),
    ("random", "seed = 3", "unknown parameter 'seed' for strategy 'random'"),
    ("grid", "order = 1", "unknown parameter 'order' for strategy 'grid'"),
    (EVO, "populaton = 20", "unknown parameter 'populaton'"),
    ("asha", "reduction_factor = 1", "reduction_factor = 1 is not allowed; allowed: a finite"),
    ("bohb", "grace_period = 0", "grace_period = 0 is not allowed; allowed: an int in [1, inf)"),
    (
        "regularized-evolution",
        "population_size = 4, sample_size = 9",
        "sample_size = 9 is not allowed; allowed: an int in [1, 4]",
    ),
    ("pbt", "population_size = 1", "population_size = 1 is not allowed; allowed: an int in [2,"),
    ("pbt", "quantile_fraction = 0.6", "quantile_fraction = 0.6 is not allowed; allowed: a number"),
    ("pbt", "resample_probability = 2", "resample_probability = 2 is not allowed"),
]


@pytest.mark.parametrize(("name", "params", "message"), BAD)
def test_cli_refuses_bad_params_before_anything_trains(
    tmp_path: Path, write_matrix: Callable[..., Path], name: str, params: str, message: str
) -> None:
    matrix = write_matrix(strategies=f'[[strategies]]\nname = "{name}"\nparams = {{ {params} }}\n')
    results = tmp_path / "results"
    result = CliRunner().invoke(app, ["run", str(matrix), "--results", str(results), "-q"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert str(matrix) in lines[0]
    assert not results.exists()


def test_every_strategy_accepts_its_defaults() -> None:
    for cls in available_strategies().values():
        cls().check_params()
