from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tunebench.backends.session import SnapshotStore
from tunebench.run.incumbent import IncumbentWatch, TrialRecord, pick_incumbent
from tunebench.run.ledger import Ledger
from tunebench.run.loop import MemoryLog, RunLoop
from tunebench.strategies import available_strategies
from tunebench.strategies.base import TrialStatus
from tunebench.strategies.testing import FIDELITY, SyntheticTrainer, mlp_like_space


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_the_final_incumbent_could_always_win_when_it_ended(direction: str) -> None:
    rng = np.random.default_rng(0)
    skipped = 0
    for case in range(300):
        watch = IncumbentWatch(direction, max_epochs=4)
        trials: dict[int, TrialRecord] = {}
        could: dict[int, bool] = {}
        ids = rng.permutation(40)[: rng.integers(1, 40)]  # trials end in any id order
        for tid in ids:
            epochs = int(rng.integers(1, 5)) if case % 3 else int(rng.integers(1, 4))
            values = list(np.round(rng.random(epochs), 1))  # ties happen
            status = TrialStatus.FAILED if rng.random() < 0.1 else TrialStatus.COMPLETE
            rec = TrialRecord(int(tid), {}, 0, values, status)
            if status is not TrialStatus.FAILED:
                could[rec.trial_id] = watch.could_win(rec)
            watch.ended(rec)
            trials[rec.trial_id] = rec
        best = pick_incumbent(trials, direction, 4)
        if best is not None:
            assert could[best.trial_id], (case, best)
        skipped += sum(not c for c in could.values())
    assert skipped > 1000  # the watch does spare most test evaluations


@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("name", ["random", "hyperband", "sha", "evolutionary-pruning"])
def test_a_run_scores_test_for_its_incumbent_and_spares_the_rest(
    name: str, concurrency: int
) -> None:
    space = mlp_like_space()
    strategy = available_strategies()[name]()
    with tempfile.TemporaryDirectory() as tmp:
        loop = RunLoop(
            strategy,
            space,
            FIDELITY,
            Ledger.capped_in_epochs(FIDELITY.max_epochs, 300),
            SyntheticTrainer(space, "minimize"),
            SnapshotStore(Path(tmp)),
            run_seed=3,
            concurrency=concurrency,
            direction="minimize",
        )
        strategy.setup(space, FIDELITY, "minimize", 3)
        loop.run(MemoryLog())
    best = pick_incumbent(loop.trials, "minimize", FIDELITY.max_epochs)
    assert best is not None and best.test_value is not None
    scored = [t for t in loop.trials.values() if t.test_value is not None]
    assert loop.test_scored == len(scored) < len(loop.trials) / 2


def test_the_trace_scores_what_the_run_would_return_at_full_length() -> None:
    from tunebench.run.incumbent import incumbent_trace

    # trial 0 stops at 2 of 4 epochs; trial 1 trains 4 epochs but ends worse than 0's curve
    rows = pd.DataFrame(
        {
            "trial": [0, 0, 1, 1, 1, 1],
            "epoch": [1, 2, 1, 2, 3, 4],
            "value": [0.5, 0.6, 0.3, 0.4, 0.5, 0.55],
            "budget_used": [0.25, 0.5, 0.75, 1.0, 1.25, 1.5],
            "t": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    # replay: trial 0's config is worth 0.7 at 4 epochs (looked up at no charge)
    trace = incumbent_trace(rows, 1.0, 4, {0: 0.7})
    assert list(trace.value) == [0.7, 0.55]  # then a full-length trial is what it returns
    assert list(trace.budget) == [0.25, 1.5]
    # live: only what was trained
    live = incumbent_trace(rows, 1.0, 4)
    assert list(live.value) == [0.5, 0.6, 0.55]
