"""The runner leaves a run another process holds alone, on both sides of the lock.

The worker takes a run's lock when it shares the results folder; the client takes it for
executors that do not (Dask), writing what comes back. Here another holder is this test
process itself: a lock is per open file, so it excludes the runner as another process would.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tunebench.datasets import available_problems
from tunebench.execution.matrix_runner import InlineExecutor, MatrixRunner
from tunebench.execution.progress import LineProgress
from tunebench.matrix.load import load_matrix
from tunebench.records.integrity import inspect_run
from tunebench.records.lock import RunLock
from tunebench.strategies import available_strategies


def statuses(runner: MatrixRunner, executor: Any) -> dict[Path, str]:
    return {o.spec.rel_dir: o.status for o in runner.execute(LineProgress(quiet=True), executor)}


class ClientWrites(InlineExecutor):
    """Runs each task here, in a scratch folder, and returns its records, as Dask does."""

    shares_disk = False


@pytest.mark.parametrize("executor", [InlineExecutor, ClientWrites])
def test_a_held_run_is_left_to_its_holder(
    tmp_path: Path, replay_matrix: Callable[[int], Path], executor: Any
) -> None:
    path = replay_matrix(2)
    matrix = load_matrix(path, problems=available_problems(), strategies=available_strategies())
    runner = MatrixRunner(matrix, tmp_path / "results", workers=1, base_dir=path.parent)
    held_dir = runner.root / runner.runs[1].rel_dir
    held = RunLock(held_dir)
    assert held.acquire()
    (held_dir / "trials.jsonl").write_text('{"event": "trial_start"\n')  # its work in flight
    try:
        outcomes = {
            o.spec.rel_dir: o.status for o in runner.execute(LineProgress(quiet=True), executor())
        }
    finally:
        held.release()
    assert outcomes[runner.runs[1].rel_dir] == "busy"
    assert (held_dir / "trials.jsonl").read_text() == '{"event": "trial_start"\n'  # untouched
    others = [r for r in runner.runs if r is not runner.runs[1]]
    assert all(outcomes[r.rel_dir] == "complete" for r in others)
    assert all(inspect_run(runner.root / r.rel_dir, expected=r).done for r in others)
    # the holder gone, a rerun does the run it held
    outcomes = {
        o.spec.rel_dir: o.status for o in runner.execute(LineProgress(quiet=True), executor())
    }
    assert outcomes[runner.runs[1].rel_dir] == "complete"
    assert sum(status == "complete" for status in outcomes.values()) == 1
