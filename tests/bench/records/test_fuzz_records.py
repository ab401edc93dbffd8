"""Fuzzing the record readers: random corruption is read or refused in one line, never raised.

Every corrupted ``trials.jsonl`` or ``run.json`` is either read (the corruption kept it a
valid record) or refused with :class:`DamagedRecordError` (the error class the CLI prints
as one line), and ``tunebench collect`` on it exits 0 with a one-line warning.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tunebench.cli.commands import app
from tunebench.records.integrity import inspect_run
from tunebench.records.run_record import read_run_record
from tunebench.records.storage import RUN_FILE, TRIALS_FILE, DamagedRecordError, read_events

FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def byte_damage(draw: st.DrawFn, data: bytes) -> bytes:
    """Cut, flip, insert or delete bytes at random places."""
    how = draw(st.sampled_from(["truncate", "flip", "insert", "delete"]))
    at = draw(st.integers(0, len(data)))
    if how == "truncate":
        return data[:at]
    if how == "flip" and at < len(data):
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    if how == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=12)) + data[at:]
    size = draw(st.integers(1, 40))
    return data[:at] + data[at + size :]


def _replace_value(obj: Any, path: list[int], value: Any) -> Any:
    """Replace the value at a pseudo-random key path (indices into sorted keys) with ``value``."""
    if not isinstance(obj, dict) or not obj or not path:
        return value
    keys = sorted(obj)
    key = keys[path[0] % len(keys)]
    return {**obj, key: _replace_value(obj[key], path[1:], value)}


def _check_run(run_dir: Path) -> None:
    for read in (read_run_record, read_events):
        try:
            read(run_dir)
        except DamagedRecordError as exc:
            assert "\n" not in str(exc) and str(run_dir) in str(exc)
    state = inspect_run(run_dir)  # never raises
    assert state.state in ("complete", "damaged", "incomplete", "failed")
    if state.state == "damaged":
        assert "\n" not in state.problem and str(run_dir) in state.problem


def _corrupted_copy(results: Path, name: str, content: bytes) -> tuple[Path, Path]:
    tmp = Path(tempfile.mkdtemp(prefix="tunebench-fuzz-"))
    copy = tmp / "rp"
    shutil.copytree(results, copy)
    run_dir = copy / "stocks-mlp" / "random" / "seed=0"
    (run_dir / name).write_bytes(content)
    return tmp, run_dir


@FUZZ
@given(data=st.data())
def test_byte_damage_to_a_trial_log_or_run_record(complete_runs: Path, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from([TRIALS_FILE, RUN_FILE]))
    original = (complete_runs / "stocks-mlp" / "random" / "seed=0" / name).read_bytes()
    tmp, run_dir = _corrupted_copy(complete_runs, name, data.draw(byte_damage(original)))
    try:
        _check_run(run_dir)
    finally:
        shutil.rmtree(tmp)


def _wrong_type(run_dir: Path, data: st.DataObject) -> tuple[str, bytes]:
    """A record or one log line with the value at a random key path replaced."""
    name = data.draw(st.sampled_from([TRIALS_FILE, RUN_FILE]))
    path = data.draw(st.lists(st.integers(0, 50), min_size=1, max_size=3))
    value = data.draw(json_values)
    if name == RUN_FILE:
        record = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
        return name, json.dumps(_replace_value(record, path, value)).encode()
    lines = (run_dir / TRIALS_FILE).read_text(encoding="utf-8").splitlines()
    i = data.draw(st.integers(0, len(lines) - 1))
    lines[i] = json.dumps(_replace_value(json.loads(lines[i]), path, value))
    return name, ("\n".join(lines) + "\n").encode()


@FUZZ
@given(data=st.data())
def test_values_of_the_wrong_type(complete_runs: Path, data: st.DataObject) -> None:
    name, content = _wrong_type(complete_runs / "stocks-mlp" / "random" / "seed=0", data)
    tmp, copy = _corrupted_copy(complete_runs, name, content)
    try:
        _check_run(copy)
    finally:
        shutil.rmtree(tmp)


@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_collect_on_damaged_records_warns_in_one_line(
    complete_runs: Path, data: st.DataObject
) -> None:
    if data.draw(st.booleans()):
        name = data.draw(st.sampled_from([TRIALS_FILE, RUN_FILE]))
        original = (complete_runs / "stocks-mlp" / "random" / "seed=0" / name).read_bytes()
        content = data.draw(byte_damage(original))
    else:
        name, content = _wrong_type(complete_runs / "stocks-mlp" / "random" / "seed=0", data)
    tmp, run_dir = _corrupted_copy(complete_runs, name, content)
    try:
        results = str(run_dir.parents[2])
        for args in (["collect", results], ["summary", results, "--out", str(tmp / "s")]):
            result = CliRunner().invoke(app, args)
            assert result.exception is None or isinstance(result.exception, SystemExit)
            assert result.exit_code == 0, result.output
            warnings = [line for line in result.stderr.splitlines() if "warning" in line]
            assert len(warnings) <= 1
    finally:
        shutil.rmtree(tmp)
