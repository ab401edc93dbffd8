"""The conformance suite, run on every registered strategy (built-ins and plug-ins).

The checks themselves live in the package (:mod:`tunebench.strategies.testing`) so that
plug-in authors run the very same suite on their strategies; see that module.
"""

from __future__ import annotations

from typing import Any

import pytest

from tunebench.strategies import available_strategies
from tunebench.strategies.optuna_samplers import torch_available
from tunebench.strategies.testing import CHECKS

# GPSampler refits a GP on every ask; more random start-up trials keep the suite quick
# while the checks still reach the GP phase (their drives propose 20+ trials).
PARAMS: dict[str, dict[str, Any]] = {"gp": {"n_startup_trials": 15}}

NEEDS_TORCH = {"gp"}


def cases() -> list[Any]:
    out = []
    for name in sorted(available_strategies()):
        marks = []
        if name in NEEDS_TORCH:
            marks.append(pytest.mark.skipif(not torch_available(), reason="needs torch"))
        for check in CHECKS:
            out.append(pytest.param(name, check, marks=marks, id=f"{name}-{check}"))
    return out


@pytest.mark.parametrize(("name", "check"), cases())
def test_conformance(name: str, check: str) -> None:
    CHECKS[check](available_strategies()[name], PARAMS.get(name))


def test_every_check_is_run_for_every_strategy() -> None:
    assert len(cases()) == len(available_strategies()) * len(CHECKS)
    expected = {
        "grid", "random", "tpe", "gp", "hyperband", "sha", "median-stop",
        "evolutionary-pruning", "evolutionary-mutation", "one-at-a-time",
    }  # fmt: skip
    assert expected <= set(available_strategies())
