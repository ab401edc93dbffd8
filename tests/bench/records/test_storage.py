from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from tunebench.records.events import Cost, Epoch, TrialStart
from tunebench.records.storage import (
    TrialLog,
    is_complete,
    read_trials,
    to_json_value,
    write_json_atomic,
)


def test_trial_log_flushes_each_event(tmp_path: Path) -> None:
    ticks = iter([100.0, 100.5, 101.25])
    log = TrialLog(tmp_path / "trials.jsonl", clock=lambda: next(ticks))
    log.write(TrialStart(trial=0, config={"a": 1}, target_epochs=2, resume_from=None,
                         start_epoch=0))  # fmt: skip
    # Readable before close: a kill right now would keep this line.
    lines = (tmp_path / "trials.jsonl").read_text().splitlines()
    assert json.loads(lines[0]) == {
        "event": "trial_start",
        "t": 0.5,
        "trial": 0,
        "config": {"a": 1},
        "target_epochs": 2,
        "resume_from": None,
        "start_epoch": 0,
    }
    log.write(Epoch(trial=0, epoch=1, value=float("nan"), loss=1.0, cost=Cost(1, 1.0, 1.0),
                    budget_used=0.5))  # fmt: skip
    log.close()
    events = read_trials(tmp_path)
    assert events[1]["t"] == 1.25
    assert events[1]["value"] is None  # strict JSON: NaN becomes null


def test_torn_last_line_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "trials.jsonl").write_text('{"event": "a", "t": 0}\n{"event": "b", "t"')
    assert [e["event"] for e in read_trials(tmp_path)] == ["a"]


def test_atomic_write_leaves_old_file_when_serialisation_fails(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    write_json_atomic(path, {"status": "complete"})
    with pytest.raises(TypeError):
        write_json_atomic(path, {"status": object()})
    assert json.loads(path.read_text()) == {"status": "complete"}
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_is_complete(tmp_path: Path) -> None:
    assert not is_complete(tmp_path)
    (tmp_path / "run.json").write_text("{not json")
    assert not is_complete(tmp_path)
    write_json_atomic(tmp_path / "run.json", {"status": "failed"})
    assert not is_complete(tmp_path)
    write_json_atomic(tmp_path / "run.json", {"status": "complete"})
    assert is_complete(tmp_path)


def test_to_json_value_converts_numpy_and_non_finite() -> None:
    value = to_json_value({"a": np.float32(0.5), "b": [np.int64(3), math.inf], "c": (1, -math.nan)})
    assert value == {"a": 0.5, "b": [3, None], "c": [1, None]}
    assert type(value["b"][0]) is int
