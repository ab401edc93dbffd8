"""``optuna-sampler``: any optuna sampler (and pruner) by its dotted path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
import pytest
from typer.testing import CliRunner

from tunebench.cli.commands import app
from tunebench.strategies import available_strategies
from tunebench.strategies.optuna_samplers import OptunaSamplerByName
from tunebench.strategies.testing import CHECKS, drive

# Three samplers tunebench does not otherwise wrap; the pruned one exercises report().
SAMPLERS: dict[str, dict[str, Any]] = {
    "cmaes": {
        "sampler": "optuna.samplers.CmaEsSampler",
        "kwargs": {"n_startup_trials": 3, "warn_independent_sampling": False},
    },
    "qmc": {
        "sampler": "optuna.samplers.QMCSampler",
        "kwargs": {"scramble": True, "warn_independent_sampling": False},
        "pruner": "optuna.pruners.MedianPruner",
        "pruner_kwargs": {"n_startup_trials": 2},
    },
    "nsga2": {"sampler": "optuna.samplers.NSGAIISampler", "kwargs": {"population_size": 6}},
}


@pytest.mark.parametrize("check", sorted(CHECKS))
@pytest.mark.parametrize("sampler", sorted(SAMPLERS))
def test_conformance(sampler: str, check: str) -> None:
    CHECKS[check](OptunaSamplerByName, SAMPLERS[sampler])


def test_registered() -> None:
    assert available_strategies()["optuna-sampler"] is OptunaSamplerByName


def test_the_sampler_is_seeded_from_the_strategy_stream() -> None:
    strategy = OptunaSamplerByName(**SAMPLERS["cmaes"])
    strategy.check_params()
    sampler = strategy.make_sampler(1234)
    assert isinstance(sampler, optuna.samplers.CmaEsSampler)
    # The same seed given to optuna directly proposes the same first configs.
    a = drive(OptunaSamplerByName(**SAMPLERS["qmc"]), seed=5, budget_epochs=20)
    b = drive(OptunaSamplerByName(**SAMPLERS["qmc"]), seed=5, budget_epochs=20)
    assert a.trace() == b.trace()


def test_the_pruner_stops_trials() -> None:
    out = drive(OptunaSamplerByName(**SAMPLERS["qmc"]), seed=0, budget_epochs=80)
    assert any(r.reason == "strategy" for r in out.results.values())


MO_ONLY = '''
import optuna


class OnlyMultiObjective(optuna.samplers.RandomSampler):
    """Like many OptunaHub samplers: refuses a study with one objective."""

    def before_trial(self, study, trial):
        if len(study.directions) < 2:
            raise ValueError("this sampler supports multi-objective studies only")
        super().before_trial(study, trial)
'''


BAD = [
    ('sampler = "optuna.samplers.NoSuchSampler"', "cannot be imported: module 'optuna.samplers'"),
    ('sampler = "nopackage_h40.Sampler"', "cannot be imported: No module named 'nopackage_h40'"),
    ('sampler = "CmaEsSampler"', "allowed: the dotted path of an optuna sampler"),
    ('sampler = "optuna.pruners.MedianPruner"', "is not an optuna sampler (a subclass of"),
    (
        'sampler = "optuna.samplers.CmaEsSampler", kwargs = { sigma = 2 }',
        "rejects sigma = 2: TypeError",
    ),
    (
        'sampler = "optuna.samplers.QMCSampler", kwargs = { qmc_type = "nope" }',
        "rejects qmc_type = 'nope': ValueError",
    ),
    ('sampler = "optuna.samplers.RandomSampler", kwargs = { seed = 3 }', "kwargs sets seed"),
    ('pruner = "optuna.pruners.NoPruner"', "pruner = 'optuna.pruners.NoPruner' cannot be"),
    (
        'pruner = "optuna.pruners.MedianPruner", pruner_kwargs = { n_warmup = 1 }',
        "pruner = 'optuna.pruners.MedianPruner' rejects n_warmup = 1",
    ),
    ('sampler = "my_mo_sampler.OnlyMultiObjective"', "fails on a single-objective study"),
]


@pytest.mark.parametrize(("params", "message"), BAD)
def test_bad_classes_are_refused_at_load_time(
    tmp_path: Path,
    write_matrix: Callable[..., Path],
    user_module: Callable[[str, str], None],
    params: str,
    message: str,
) -> None:
    user_module("my_mo_sampler", MO_ONLY)
    matrix = write_matrix(
        strategies=f'[[strategies]]\nname = "optuna-sampler"\nparams = {{ {params} }}\n'
    )
    results = tmp_path / "results"
    result = CliRunner().invoke(app, ["run", str(matrix), "--results", str(results), "-q"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not results.exists()
