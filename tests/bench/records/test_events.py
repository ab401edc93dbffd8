"""Typed trial-log events: one writer, one reader, and the docs' table of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tunebench.records.events import (
    EVENT_TYPES,
    Charge,
    Cost,
    Epoch,
    TrialStart,
    event_fields,
    from_record,
    to_record,
)
from tunebench.records.storage import TRIALS_FILE, TrialLog, read_events, read_trials

PAGE = Path(__file__).resolve().parents[3] / "docs" / "reference" / "records.md"


def test_written_events_read_back_equal(tmp_path: Path) -> None:
    written = [
        TrialStart(trial=0, config={"a": 1}, target_epochs=3, resume_from=None, start_epoch=0),
        Charge(trial=0, kind_="setup", cost=Cost(0, 0.5, 0.0), budget_used=0.0),
        Epoch(
            trial=0,
            epoch=1,
            value=0.5,
            loss=0.7,
            cost=Cost(1, 1.0, 9.0),
            budget_used=0.25,
            worker=1,
            start=0.5,
            end=1.5,
        ),
    ]
    ticks = iter([0.0, 1.0, 2.0, 3.5])
    with TrialLog(tmp_path / TRIALS_FILE, clock=lambda: next(ticks)) as log:
        for event in written:
            log.write(event)
    raw = read_trials(tmp_path)
    assert list(raw[1]) == ["event", "t", "trial", "kind", "cost", "budget_used"]
    assert "worker" not in raw[0] and raw[2]["worker"] == 1  # optional: only when set
    back = read_events(tmp_path)
    assert [e.t for e in back] == [1.0, 2.0, 3.5]
    assert [type(e) for e in back] == [type(e) for e in written]
    assert back[2] == Epoch(trial=0, epoch=1, value=0.5, loss=0.7, cost=Cost(1, 1.0, 9.0),
                            budget_used=0.25, worker=1, start=0.5, end=1.5, t=3.5)  # fmt: skip
    assert to_record(back[1], back[1].t) == raw[1]


def test_a_malformed_line_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / TRIALS_FILE).write_text(
        '{"event": "trial_end", "t": 0, "trial": 0, "status": "complete", "reason": "", '
        '"epochs": 1, "test_value": null}\n{"event": "epoch", "t": 1, "trial": 0, "oops": 1}\n',
        encoding="utf-8",
    )
    message = r"trials.jsonl:2: not an event \(event 'epoch' has no field 'oops'\)"
    with pytest.raises(ValueError, match=message):
        read_events(tmp_path)
    with pytest.raises(ValueError, match="unknown event 'bogus'"):
        from_record({"event": "bogus", "t": 0})


def _docs_rows() -> dict[str, str]:
    rows = {}
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\| `(\w+)` \| (.*) \|$", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def test_the_docs_event_table_matches_the_types() -> None:
    rows = _docs_rows()
    text = PAGE.read_text(encoding="utf-8")
    assert set(EVENT_TYPES) <= set(rows), f"records.md lacks {set(EVENT_TYPES) - set(rows)}"
    for kind, cls in EVENT_TYPES.items():
        named = set(re.findall(r"`(\w+)`", rows[kind]))
        for name, optional in event_fields(cls):
            if optional:  # described after the table, with concurrency
                assert f"`{name}`" in text.split("| event | fields |", 1)[1]
            else:
                assert name in named, f"records.md's {kind!r} row lacks field {name!r}"
