"""Damaged records: each case is named in one line, and a run folder's state says so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tunebench.records.integrity import (
    clear_run_dir,
    inspect_run,
    set_aside,
    verify_folder,
    write_sidecar,
)
from tunebench.records.lock import LOCK_FILE, RunLock
from tunebench.records.run_record import RunRecord, read_run_record
from tunebench.records.storage import (
    RUN_FILE,
    TRIALS_FILE,
    DamagedRecordError,
    read_events,
    read_trials,
    sha256_file,
)


@pytest.fixture
def results(complete_runs: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "rp"
    shutil.copytree(complete_runs, copy)
    return copy


def _run(results: Path, strategy: str = "random", seed: int = 0) -> Path:
    return results / "stocks-mlp" / strategy / f"seed={seed}"


def _cut_line(path: Path, index: int) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[index] = lines[index][: len(lines[index]) // 2] + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def test_a_complete_run_records_its_logs_sha256_and_verifies(results: Path) -> None:
    run_dir = _run(results)
    record = read_run_record(run_dir)
    assert isinstance(record, RunRecord)
    assert record.trials_sha256 == sha256_file(run_dir / TRIALS_FILE)
    state = inspect_run(run_dir)
    assert state.done and state.hash_checked


def test_a_torn_line_names_the_file_and_line(results: Path) -> None:
    run_dir = _run(results)
    _cut_line(run_dir / TRIALS_FILE, 2)
    with pytest.raises(DamagedRecordError, match=r"seed=0/trials.jsonl:3: damaged line"):
        read_events(run_dir)
    state = inspect_run(run_dir)
    assert state.state == "damaged" and "trials.jsonl:3: damaged line" in state.problem
    assert "\n" not in state.problem


def test_a_last_line_without_newline_is_a_write_in_flight_unless_the_run_is_complete(
    results: Path,
) -> None:
    run_dir = _run(results)
    log = run_dir / TRIALS_FILE
    text = log.read_text(encoding="utf-8")
    log.write_text(text + '{"event": "epoch", "t"', encoding="utf-8")
    assert len(read_trials(run_dir)) == text.count("\n")  # in flight: skipped
    with pytest.raises(DamagedRecordError, match=r"trials.jsonl:\d+: damaged line"):
        read_trials(run_dir, complete=True)


def test_a_line_that_is_json_but_not_an_event_is_named(results: Path) -> None:
    run_dir = _run(results)
    with (run_dir / TRIALS_FILE).open("a", encoding="utf-8") as f:
        f.write("[1, 2]\n")
    with pytest.raises(DamagedRecordError, match="not a JSON object"):
        read_events(run_dir)
    (run_dir / TRIALS_FILE).write_bytes(b'{"event": "epoch", "trial": "\xff"}\n')
    with pytest.raises(DamagedRecordError, match=r"trials.jsonl:1: damaged line"):
        read_events(run_dir)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (lambda text: text[: len(text) // 2], "damaged run record"),
        (lambda text: "", "damaged run record"),
        (lambda text: "[]", "not a run record"),
        (lambda text: json.dumps({"status": "complete", "spec": {"seed": 1}}), "not a run record"),
        (lambda text: text.replace('"seed": 0', '"seed": "zero"'), "spec.seed 'zero'"),
    ],
)
def test_a_truncated_or_invalid_run_json_names_the_file(
    results: Path, content: object, message: str
) -> None:
    run_dir = _run(results)
    path = run_dir / RUN_FILE
    path.write_text(content(path.read_text(encoding="utf-8")), encoding="utf-8")  # type: ignore[operator]
    with pytest.raises(DamagedRecordError, match=rf"seed=0/run.json: .*{message}"):
        read_run_record(run_dir)
    state = inspect_run(run_dir)
    assert state.state == "damaged" and str(path) in state.problem


def test_a_record_of_another_run_is_damage(results: Path) -> None:
    src, dst = _run(results, seed=1), _run(results, seed=0)
    shutil.copy(src / RUN_FILE, dst / RUN_FILE)
    state = inspect_run(dst)
    assert state.state == "damaged"
    assert state.problem.endswith("the record of another run (rp/stocks-mlp/random/seed=1)")
    record = read_run_record(src)
    assert record is not None
    assert inspect_run(src, expected=record.spec).done
    other = read_run_record(_run(results, strategy="grid"))
    assert other is not None
    assert inspect_run(src, expected=other.spec).state == "damaged"


def test_a_changed_log_fails_its_hash_and_an_old_record_without_one_reads_whole(
    results: Path,
) -> None:
    run_dir = _run(results)
    log = run_dir / TRIALS_FILE
    log.write_text(log.read_text(encoding="utf-8").replace('"t": 0.0', '"t": 0.5', 1))
    state = inspect_run(run_dir)
    assert state.state == "damaged" and "SHA-256" in state.problem
    # a record written before hashes: verified by reading its log whole instead
    data = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
    del data["trials_sha256"]
    (run_dir / RUN_FILE).write_text(json.dumps(data), encoding="utf-8")
    state = inspect_run(run_dir)
    assert state.done and not state.hash_checked
    report = verify_folder(results)
    assert report.unhashed == [run_dir] and len(report.verified) == 3 and not report.failures


def test_set_aside_keeps_damaged_files_and_clear_keeps_the_lock(results: Path) -> None:
    run_dir = _run(results)
    before = (run_dir / TRIALS_FILE).read_bytes()
    lock = RunLock(run_dir)
    assert lock.acquire()
    moved = set_aside(run_dir)
    assert [p.name for p in moved] == ["run.json.damaged-1", "trials.jsonl.damaged-1"]
    assert (run_dir / "trials.jsonl.damaged-1").read_bytes() == before
    (run_dir / TRIALS_FILE).write_text("x\n")
    assert [p.name for p in set_aside(run_dir)] == ["trials.jsonl.damaged-2"]
    (run_dir / "scratch").mkdir()
    clear_run_dir(run_dir)
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "run.json.damaged-1", LOCK_FILE, "trials.jsonl.damaged-1", "trials.jsonl.damaged-2",
    ]  # fmt: skip
    lock.release()
    assert inspect_run(run_dir).state == "missing"


def test_records_from_before_hashes_verify_against_a_sidecar(results: Path) -> None:
    for path in results.glob("*/*/seed=*/run.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        del data["trials_sha256"]
        path.write_text(json.dumps(data), encoding="utf-8")
    assert len(verify_folder(results).unhashed) == 4
    write_sidecar(results)
    assert len(verify_folder(results).verified) == 4
    log = _run(results) / TRIALS_FILE
    log.write_text(log.read_text(encoding="utf-8").replace('"t": 0.0', '"t": 0.5', 1))
    report = verify_folder(results)
    assert len(report.failures) == 1 and "trials_sha256.json lists" in report.failures[0][1]
    assert inspect_run(_run(results)).done  # without the sidecar: it reads whole
