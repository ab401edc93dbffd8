"""The kit as a package keeps its public names, its check order and ``python -m``."""

from __future__ import annotations

import subprocess
import sys

import tunebench.datasets.testing as kit


def test_public_names_are_kept() -> None:
    assert sorted(kit.__all__) == [
        "CHECKS",
        "DEFAULT_SUBSAMPLE",
        "LOAD_SEEDS",
        "METRIC_DIRECTIONS",
        "ProblemCase",
        "ProblemConformanceError",
        "REQUIRED_SOURCE_KEYS",
        "check_problem",
        "edge_configs",
    ]
    # Used by `tunebench run`'s load-time checks, outside __all__.
    for name in [*kit.__all__, "RUN_CHECKS", "check_problem_runs", "main"]:
        assert hasattr(kit, name), name


def test_checks_run_in_the_documented_order() -> None:
    assert list(kit.CHECKS) == [
        "declares_attributes",
        "splits_ignore_the_run_seed",
        "splits_do_not_overlap",
        "subsample_keeps_val_and_test_whole",
        "source_is_provenance",
        "time_ordered_splits",
        "default_config_builds",
        "metric_is_reported",
        "edge_configs_build",
    ]
    assert set(kit.RUN_CHECKS) <= set(kit.CHECKS)


def test_python_m_runs_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tunebench.datasets.testing", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m tunebench.datasets.testing")
    assert "--data-dir" in done.stdout
