"""Compatibility, declared once: what keeps old fingerprints and run records valid.

A matrix's fingerprint names what it measures, and ``run.json`` records each run's spec;
shipped results (``results/archive/study``) were written by earlier versions. A key
added since then must not change either when it is left at its default, or every old
results folder would be refused as "a different matrix" and every old run redone. So a
new key is omitted from both while it holds the value that means "as before". Each rule
lives here, with the version of the records it keeps valid in mind; the test that pins
the shipped study's fingerprint (``tests/bench/test_compat.py``) fails if one is lost.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

__all__ = [
    "BUDGET_DEFAULTS",
    "PROBLEM_ENTRY_DEFAULTS",
    "PROBLEM_ENTRY_RECORD_DEFAULTS",
    "RUN_RESULT_DEFAULTS",
    "RUN_SPEC_DEFAULTS",
    "drop_defaults",
]

#: Keys of a matrix's problem entry left out of its fingerprint at these values.
PROBLEM_ENTRY_DEFAULTS: Mapping[str, Any] = {
    "evaluation": "holdout",  # holdout was the only evaluation before the key existed
    "concurrency": None,  # one trial at a time, as before trials in flight
    "module": None,  # registered problems, as before problem files
    "objectives": None,  # a single objective, the problem's metric, as before issue 39
}

#: Keys of a matrix's problem entry left out of ``matrix.json`` too at these values: keys
#: added after its other keys, so a single-objective matrix writes the file it wrote
#: before (older keys are written at their defaults, and stay).
PROBLEM_ENTRY_RECORD_DEFAULTS: Mapping[str, Any] = {
    "objectives": None,
}

#: Keys of a matrix's ``[budget]`` left out of its fingerprint at these values.
BUDGET_DEFAULTS: Mapping[str, Any] = {
    "concurrency": 1,
}

#: Keys of a run spec left out of ``run.json`` at these values.
RUN_SPEC_DEFAULTS: Mapping[str, Any] = {
    "concurrency": 1,  # runs of one trial at a time keep their old records
    "problem_module": None,  # and runs of registered problems
    "backend": None,
    "surrogate": None,
    "objectives": None,  # single-objective runs, as before issue 39
}


#: Keys of a run's result left out of ``run.json`` at these values.
RUN_RESULT_DEFAULTS: Mapping[str, Any] = {
    "best_proposal": None,  # the best trial was evaluated as proposed
    "score_value": None,  # the incumbent reached max_epochs: its own values are the score
    "score_test_value": None,
    "objectives": None,  # a single-objective run has no front (issue 39)
    "pareto_trials": None,
    "pareto_front": None,
    "hypervolume": None,
    "hypervolume_regret": None,
}


def drop_defaults(data: MutableMapping[str, Any], defaults: Mapping[str, Any]) -> None:
    """Remove from ``data`` every key of ``defaults`` that holds its default value."""
    for key, value in defaults.items():
        if key in data and data[key] == value:
            del data[key]
