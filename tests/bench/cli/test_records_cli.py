"""Results that cannot be corrupted, through the command line (issue 38).

Several ``tunebench run`` processes on one folder do every run exactly once; a damaged
record is one line in every command that reads records, and ``run`` sets it aside and
redoes it; ``check --integrity`` lists what differs; a read-only folder is one line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tunebench.cli.commands import app
from tunebench.records.integrity import inspect_run
from tunebench.records.storage import RUN_FILE, TRIALS_FILE, read_events, read_json

cli = CliRunner()

DONE = re.compile(r"\] done stocks-mlp/(\w+)/seed=(\d+):")


def run_cli(*args: str) -> tuple[int, str, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    "workers",
    [("1", "1"), ("1", "1", "1"), ("2", "1")],  # "2": worker processes take the locks
    ids=["2 processes", "3 processes", "2 processes, one with 2 workers"],
)
def test_concurrent_runs_on_one_folder_do_every_run_exactly_once(
    tmp_path: Path, replay_matrix: Callable[[int], Path], workers: tuple[str, ...]
) -> None:
    seeds = 10
    matrix = replay_matrix(seeds)
    results = tmp_path / "results"
    cmd = [sys.executable, "-m", "tunebench", "run", str(matrix), "--results", str(results),
           "--reports", str(tmp_path / "reports"), "--workers"]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    out = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "text": True, "env": env}
    procs = [subprocess.Popen([*cmd, n], **out) for n in workers]
    processes = len(workers)
    errs = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * processes, errs
    assert not any("Traceback" in e for e in errs), errs
    done = Counter(m.groups() for err in errs for m in DONE.finditer(err))
    planned = {(s, str(k)) for s in ("random", "grid") for k in range(seeds)}
    assert set(done) == planned and set(done.values()) == {1}  # each run by one process only
    for strategy, seed in planned:
        run_dir = results / "rp" / "stocks-mlp" / strategy / f"seed={seed}"
        assert inspect_run(run_dir).done  # log whole, SHA-256 as recorded
        read_events(run_dir, complete=True)  # no torn line
    assert (tmp_path / "reports" / "rp" / "summary.md").is_file()


@pytest.fixture
def results(complete_runs: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "results" / "rp"
    shutil.copytree(complete_runs, copy)
    return copy


def _damage(results: Path) -> dict[str, str]:
    """Three damaged runs, each a different way; returns run folder -> what names it."""
    torn = results / "stocks-mlp" / "random" / "seed=0"
    lines = (torn / TRIALS_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1][: len(lines[1]) // 2] + "\n"
    (torn / TRIALS_FILE).write_text("".join(lines), encoding="utf-8")
    cut = results / "stocks-mlp" / "random" / "seed=1"
    (cut / RUN_FILE).write_text((cut / RUN_FILE).read_text(encoding="utf-8")[:100])
    other = results / "stocks-mlp" / "grid" / "seed=0"
    shutil.copy(results / "stocks-mlp" / "grid" / "seed=1" / RUN_FILE, other / RUN_FILE)
    return {
        str(torn): f"{torn / TRIALS_FILE}:2: damaged line",
        str(cut): f"{cut / RUN_FILE}: damaged run record",
        str(other): f"{other / RUN_FILE}: the record of another run",
    }


def _one_line_each(err: str, expected: dict[str, str]) -> None:
    assert "Traceback" not in err
    for text in expected.values():
        assert sum(text in line for line in err.splitlines()) == 1, (text, err)


def test_every_reader_names_each_damaged_run_in_one_line(results: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    assert run_cli("check", str(results), "--baseline", str(baseline), "--update-baseline")[0] == 0
    expected = _damage(results)
    code, _, err = run_cli("check", str(results), "--baseline", str(baseline))
    assert code == 1 and "regression check failed" in err  # damaged runs are not complete
    _one_line_each(err, expected)
    code, _, err = run_cli("summary", str(results), "--out", str(tmp_path / "s"))
    assert code == 0
    _one_line_each(err, expected)
    assert "3 of them damaged records, skipped" in (tmp_path / "s" / "summary.md").read_text()
    code, _, err = run_cli("collect", str(results))
    assert code == 0
    _one_line_each(err, expected)
    code, out, err = run_cli("check", str(results), "--integrity")
    assert code == 1 and "integrity check failed: 3 of 4 runs" in err
    _one_line_each(out, expected)
    code, _, err = run_cli("report", str(results), "--out", str(tmp_path / "r"))
    assert code == 0, err
    _one_line_each(err, expected)
    report = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "3 of 4 planned runs are not in this report (3 damaged)" in report
    assert all(text in report for text in expected.values())
    code, _, err = run_cli("figures", str(results), "--out", str(tmp_path / "r"))
    assert code == 0, err
    _one_line_each(err, expected)


def test_run_sets_damaged_runs_aside_and_redoes_them(
    results: Path, replay_matrix: Callable[[int], Path]
) -> None:
    untouched = results / "stocks-mlp" / "grid" / "seed=1" / RUN_FILE
    kept = untouched.read_bytes()
    expected = _damage(results)
    damaged_logs = {d: (Path(d) / TRIALS_FILE).read_bytes() for d in expected}
    code, _, err = run_cli("run", str(replay_matrix(2)), "--results", str(results.parent), "-q",
                           "--reports", str(results.parent.parent / "reports"))  # fmt: skip
    assert code == 0, err
    _one_line_each(err, expected)
    for run_dir, log in damaged_logs.items():
        folder = Path(run_dir)
        assert (folder / "trials.jsonl.damaged-1").read_bytes() == log  # kept, not deleted
        assert (folder / "run.json.damaged-1").is_file()
        assert inspect_run(folder).done  # redone
    assert untouched.read_bytes() == kept  # a sound run is not redone
    code, out, _ = run_cli("check", str(results), "--integrity")
    assert code == 0 and "4 verified" in out


def test_check_integrity_lists_a_changed_log_and_report_warns(
    results: Path, tmp_path: Path
) -> None:
    log = results / "stocks-mlp" / "grid" / "seed=1" / TRIALS_FILE
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    events[0]["t"] = 123.0  # still a valid log: only the hash tells
    log.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    code, out, err = run_cli("check", str(results), "--integrity")
    assert code == 1 and "1 damaged" in out
    assert f"DAMAGED {log}: SHA-256" in out
    code, _, err = run_cli("collect", str(results))
    assert code == 0 and f"warning: skipped damaged run: {log}" not in err
    assert f"{log}: SHA-256 differs from the one its run.json recorded" in err


def test_check_integrity_on_records_without_hashes_reports_them_apart(results: Path) -> None:
    for path in results.glob("*/*/seed=*/run.json"):
        data = read_json(path)
        del data["trials_sha256"]
        path.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = run_cli("check", str(results), "--integrity")
    assert code == 0, err
    assert "0 verified against their recorded SHA-256, 4 complete with no hash recorded" in out


def test_check_needs_a_baseline_or_integrity(results: Path) -> None:
    code, _, err = run_cli("check", str(results))
    assert code == 2 and "--baseline FILE" in err and err.count("\n") == 1


def test_a_read_only_results_folder_is_one_line_and_marks_nothing_complete(
    tmp_path: Path,
    replay_matrix: Callable[[int], Path],
    read_only: Callable[[Path], AbstractContextManager[None]],
) -> None:
    results = tmp_path / "results"
    results.mkdir()
    with read_only(results):
        code, _, err = run_cli("run", str(replay_matrix(2)), "--results", str(results), "-q")
    assert code == 1 and err.count("\n") == 1 and "cannot write" in err, err
    assert not list(results.rglob(RUN_FILE))


def test_a_lock_left_by_a_killed_process_is_taken_over_and_named(
    tmp_path: Path, replay_matrix: Callable[[int], Path]
) -> None:
    results = tmp_path / "results"
    run_dir = results / "rp" / "stocks-mlp" / "random" / "seed=0"
    run_dir.mkdir(parents=True)
    # what a holder killed mid-run leaves: its name in run.lock (the kernel freed the lock)
    (run_dir / "run.lock").write_text('{"host": "node7", "pid": 4242, "since": 0}\n')
    (run_dir / TRIALS_FILE).write_text('{"event": "trial_start", "t": 0.0, "tri')
    code, _, err = run_cli("run", str(replay_matrix(1)), "--results", str(results), "-q",
                           "--reports", str(tmp_path / "reports"))  # fmt: skip
    assert code == 0, err
    assert "took over" in err and "its last holder (node7:4242" in err and "died holding it" in err
    assert inspect_run(run_dir).done


def test_collect_stores_a_hyperparameter_recorded_with_two_types(results: Path) -> None:
    log = results / "stocks-mlp" / "random" / "seed=1" / TRIALS_FILE
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    start = next(e for e in events if e["event"] == "trial_start")
    name = sorted(start["config"])[0]
    start["config"][name] = "as text"
    log.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    code, _, err = run_cli("collect", str(results))
    assert code == 0, err
    import pandas as pd

    trials = pd.read_parquet(results / "tables" / "trials.parquet")
    assert '"as text"' in set(trials[f"hp_{name}"])  # that column is kept as JSON text


def test_a_full_results_folder_is_one_line_and_marks_nothing_complete(
    tmp_path: Path, replay_matrix: Callable[[int], Path], full_folder: Path
) -> None:
    code, _, err = run_cli("run", str(replay_matrix(10)), "--results", str(full_folder), "-q",
                           "--reports", str(tmp_path / "reports"))  # fmt: skip
    assert code == 1 and err.count("\n") == 1, err
    assert "cannot write" in err and "No space left on device" in err
    states = [inspect_run(d).state for d in (full_folder / "rp").glob("*/*/seed=*")]
    assert "complete" in states and set(states) <= {"complete", "incomplete", "missing", "failed"}
    assert len([s for s in states if s == "complete"]) < 20  # it did fill up
