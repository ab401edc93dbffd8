"""``syne-tune-scheduler``: any syne-tune scheduler by its dotted path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tunebench.cli.commands import app
from tunebench.strategies import available_strategies
from tunebench.strategies.syne_tune import SyneTuneSchedulerByName
from tunebench.strategies.testing import CHECKS, drive

BASELINES = "syne_tune.optimizer.baselines"
SCHEDULERS: dict[str, dict[str, Any]] = {
    "asha": {"scheduler": f"{BASELINES}.ASHA", "kwargs": {"reduction_factor": 2}},
    "bohb": {"scheduler": f"{BASELINES}.BOHB"},
    "random": {"scheduler": f"{BASELINES}.RandomSearch"},
}


@pytest.mark.parametrize("check", sorted(CHECKS))
@pytest.mark.parametrize("scheduler", sorted(SCHEDULERS))
def test_conformance(scheduler: str, check: str) -> None:
    CHECKS[check](SyneTuneSchedulerByName, SCHEDULERS[scheduler])


def test_registered() -> None:
    assert available_strategies()["syne-tune-scheduler"] is SyneTuneSchedulerByName


def test_asha_by_name_proposes_as_the_built_in_asha() -> None:
    by_name = drive(SyneTuneSchedulerByName(f"{BASELINES}.ASHA"), seed=4, budget_epochs=60)
    built_in = drive(available_strategies()["asha"](), seed=4, budget_epochs=60)
    assert by_name.trace() == built_in.trace()
    assert any(r.reason == "strategy" for r in by_name.results.values())  # it stops trials


BAD = [
    ('scheduler = "syne_tune.optimizer.baselines.Nope"', "cannot be imported: module"),
    ('scheduler = "optuna.samplers.TPESampler"', "is not a syne-tune scheduler (a subclass of"),
    (
        'scheduler = "syne_tune.optimizer.baselines.ASHA", kwargs = { eta = 3 }',
        "rejects eta = 3: TypeError",
    ),
    ("kwargs = { random_seed = 1 }", "kwargs sets random_seed"),
    ('scheduler = "my_mo_scheduler.TwoMetrics"', "rejects no arguments: ValueError: two metrics"),
]

MO_ONLY = '''
from syne_tune.optimizer.baselines import RandomSearch


class TwoMetrics(RandomSearch):
    """A multi-objective scheduler: it wants two metrics or more."""

    def __init__(self, config_space, metrics, **kwargs):
        if len(metrics) < 2:
            raise ValueError("two metrics or more are needed")
        super().__init__(config_space, metrics=metrics, **kwargs)
'''


@pytest.mark.parametrize(("params", "message"), BAD)
def test_bad_classes_are_refused_at_load_time(
    tmp_path: Path,
    write_matrix: Callable[..., Path],
    user_module: Callable[[str, str], None],
    params: str,
    message: str,
) -> None:
    user_module("my_mo_scheduler", MO_ONLY)
    matrix = write_matrix(
        strategies=f'[[strategies]]\nname = "syne-tune-scheduler"\nparams = {{ {params} }}\n'
    )
    results = tmp_path / "results"
    result = CliRunner().invoke(app, ["run", str(matrix), "--results", str(results), "-q"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not results.exists()
