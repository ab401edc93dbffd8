"""What state a run folder is in, whether its records are whole, and setting damage aside.

A run folder is one of: ``missing`` (nothing there), ``incomplete`` (in flight, killed,
or its ``run.json`` not written yet), ``failed`` (``run.json`` says so), ``complete``
(``run.json`` complete, readable, its spec the run's, and its ``trials.jsonl`` whole), or
``damaged``: a record that cannot be read, a torn or invalid line in a complete run's
log, a log whose SHA-256 differs from the one its ``run.json`` recorded, or a
``run.json`` whose spec is not the run the folder belongs to. Every reader of records
reports a damaged run in one line naming the file (and line), and ``tunebench run``
moves its files aside (:func:`set_aside`) and redoes it.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tunebench.records.layout import MATRIX_FILE, run_folders, run_key
from tunebench.records.lock import LOCK_FILE
from tunebench.records.run_record import FailedRun, RunRecord, read_run_record
from tunebench.records.storage import (
    RUN_FILE,
    TRIALS_FILE,
    DamagedRecordError,
    read_json,
    read_trials,
    sha256_file,
    write_json_atomic,
)
from tunebench.runspec import RunSpec

__all__ = [
    "DAMAGED_SUFFIX",
    "SIDECAR_FILE",
    "FolderReport",
    "RunState",
    "clear_run_dir",
    "inspect_run",
    "read_sidecar",
    "set_aside",
    "sidecar_key",
    "verify_folder",
    "write_sidecar",
]

#: Beside ``matrix.json``: SHA-256 of logs whose records predate hashes (shipped archives).
SIDECAR_FILE = "trials_sha256.json"

#: Damaged files are renamed ``<name>.damaged-<n>`` (n = 1, 2, ...): kept, never deleted.
DAMAGED_SUFFIX = ".damaged-"


@dataclass(frozen=True)
class RunState:
    """What a run folder holds.

    Attributes:
        state: ``missing``, ``incomplete``, ``failed``, ``complete`` or ``damaged``.
        problem: ``damaged``: one line naming the file (and line) and what is wrong.
        record: The run's record, when it could be read.
        hash_checked: ``complete``: ``True`` when the log's SHA-256 was recorded and
            matches, ``False`` when the record predates the hash (the log was then
            read line by line instead).
    """

    state: str
    problem: str = ""
    record: RunRecord | FailedRun | None = None
    hash_checked: bool = False

    @property
    def done(self) -> bool:
        """Whether the run needs no (re)run."""
        return self.state == "complete"


def _belongs(spec: RunSpec, run_dir: Path, expected: RunSpec | None, matrix: str | None) -> bool:
    if expected is not None:
        return spec.same_run(expected)
    folder = run_key(run_dir)
    own = (spec.problem_label or spec.problem, spec.strategy_label, spec.seed)
    return own == folder and (matrix is None or spec.matrix == matrix)


def read_sidecar(results: Path) -> dict[str, str]:
    """The SHA-256 of the logs of runs recorded before hashes, from ``trials_sha256.json``.

    Shipped archives of such runs carry it beside ``matrix.json`` (their records stay
    exactly as they were written); keys are ``<problem>/<strategy>/seed=<k>``. Empty
    when there is none or it cannot be read (the runs then read whole instead).
    """
    try:
        data = read_json(results / SIDECAR_FILE)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str)}


def sidecar_key(run_dir: Path) -> str:
    """A run's key in ``trials_sha256.json``: ``<problem>/<strategy>/seed=<k>``."""
    return "/".join(run_dir.parts[-3:])


def inspect_run(
    run_dir: Path,
    *,
    expected: RunSpec | None = None,
    matrix: str | None = None,
    sidecar: Mapping[str, str] | None = None,
) -> RunState:
    """The state of one run folder; never raises for what its files hold.

    Args:
        run_dir: ``<matrix>/<problem>/<strategy>/seed=<k>``.
        expected: The planned run (``tunebench run``): a record of another spec is
            damage. ``None``: the record must name this folder (and ``matrix``).
        matrix: The matrix name a record must carry, when ``expected`` is not given.
        sidecar: Hashes of logs whose records hold none (:func:`read_sidecar`).
    """
    run_file, log = run_dir / RUN_FILE, run_dir / TRIALS_FILE
    if not run_file.is_file():
        return RunState("incomplete" if log.is_file() else "missing")
    try:
        record = read_run_record(run_dir)
    except DamagedRecordError as exc:
        return RunState("damaged", str(exc))
    assert record is not None  # the file is there
    if not _belongs(record.spec, run_dir, expected, matrix):
        where = f"{record.spec.matrix}/{record.spec.rel_dir}"
        return RunState("damaged", f"{run_file}: the record of another run ({where})", record)
    if isinstance(record, FailedRun):
        return RunState("failed", record=record)
    if not log.is_file():
        if record.trials_sha256 is None:  # a record from before hashes, or written by hand
            return RunState("complete", record=record)
        return RunState("damaged", f"{log}: missing; {run_file} recorded its SHA-256", record)
    recorded, where = record.trials_sha256, "its run.json recorded"
    if recorded is None and sidecar:
        recorded, where = sidecar.get(sidecar_key(run_dir)), f"{SIDECAR_FILE} lists"
    try:
        if recorded is not None:
            digest = sha256_file(log)
            if digest != recorded:
                read_trials(run_dir, complete=True)  # a damaged line, if any, is named first
                return RunState(
                    "damaged",
                    f"{log}: SHA-256 {digest[:12]} differs from the {recorded[:12]} "
                    f"{where} (changed after the run completed)",
                    record,
                )
            return RunState("complete", record=record, hash_checked=True)
        read_trials(run_dir, complete=True)
    except DamagedRecordError as exc:
        return RunState("damaged", str(exc), record)
    except OSError as exc:
        return RunState("damaged", f"{log}: unreadable ({exc.strerror or exc})", record)
    return RunState("complete", record=record)


def _free_name(path: Path) -> Path:
    n = 1
    while (target := path.with_name(f"{path.name}{DAMAGED_SUFFIX}{n}")).exists():
        n += 1
    return target


def set_aside(run_dir: Path) -> list[Path]:
    """Rename a damaged run's ``run.json`` and ``trials.jsonl`` to ``*.damaged-<n>``.

    Call it holding the run's lock. Returns the new paths.
    """
    moved = []
    for name in (RUN_FILE, TRIALS_FILE):
        path = run_dir / name
        if path.is_file():
            target = _free_name(path)
            path.rename(target)
            moved.append(target)
    return moved


def clear_run_dir(run_dir: Path) -> None:
    """Empty a run folder for a fresh start, keeping its lock and any set-aside files.

    Call it holding the run's lock: the lock file must stay (a new file of the same
    name would be a second lock).
    """
    if not run_dir.is_dir():
        return
    for path in run_dir.iterdir():
        if path.name == LOCK_FILE or DAMAGED_SUFFIX in path.name:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


@dataclass(frozen=True)
class FolderReport:
    """``tunebench check --integrity``: every run folder of a matrix's results, checked.

    Attributes:
        n_runs: Run folders found.
        verified: Complete runs whose log matches the SHA-256 their record (or, for
            records from before hashes, ``trials_sha256.json``) holds.
        unhashed: Complete runs recorded before the hash existed (their logs read whole).
        failures: ``(run folder, one line)`` of each damaged run, hash mismatches included.
        other: Run folders that are failed or incomplete (nothing to verify).
    """

    n_runs: int
    verified: list[Path]
    unhashed: list[Path]
    failures: list[tuple[Path, str]]
    other: list[tuple[Path, str]]

    def lines(self, *, show_all: bool = False) -> list[str]:
        """One line per failure (and, with ``show_all``, per other run too)."""
        out = [f"DAMAGED {problem}" for _, problem in self.failures]
        if show_all:
            out += [f"ok      {d}" for d in self.verified]
            out += [f"no hash {d} (recorded before hashes; log reads whole)" for d in self.unhashed]
            out += [f"{state:<7} {d}" for d, state in self.other]
        return out

    def summary(self) -> str:
        """The closing line: how many runs were verified, unverifiable, damaged."""
        text = (
            f"{self.n_runs} runs: {len(self.verified)} verified against their recorded SHA-256, "
            f"{len(self.unhashed)} complete with no hash recorded (written before hashes; "
            f"their logs read whole), {len(self.failures)} damaged, "
            f"{len(self.other)} failed or incomplete"
        )
        return text


def verify_folder(results: Path) -> FolderReport:
    """Check every run folder of ``results/<matrix>`` (see :func:`inspect_run`)."""
    try:
        matrix: str | None = str(read_json(results / MATRIX_FILE)["matrix"]["name"])
    except (OSError, ValueError, TypeError, KeyError):
        matrix = None
    verified: list[Path] = []
    unhashed: list[Path] = []
    failures: list[tuple[Path, str]] = []
    other: list[tuple[Path, str]] = []
    folders = run_folders(results)
    sidecar = read_sidecar(results)
    for run_dir in folders:
        state = inspect_run(run_dir, matrix=matrix, sidecar=sidecar)
        if state.state == "damaged":
            failures.append((run_dir, state.problem))
        elif state.state == "complete":
            (verified if state.hash_checked else unhashed).append(run_dir)
        else:
            other.append((run_dir, state.state))
    return FolderReport(len(folders), verified, unhashed, failures, other)


def write_sidecar(results: Path) -> Path:
    """Write ``trials_sha256.json`` for the complete runs of ``results`` that record no hash.

    For an archive of runs recorded before hashes: their records stay as they were
    written, and ``check --integrity`` verifies their logs against this file. Only runs
    whose log reads whole are listed.

    Returns:
        The file written (beside ``matrix.json``).
    """
    hashes = {}
    for run_dir in run_folders(results, with_file=RUN_FILE):
        state = inspect_run(run_dir)
        log = run_dir / TRIALS_FILE
        if state.done and not state.hash_checked and log.is_file():
            hashes[sidecar_key(run_dir)] = sha256_file(log)
    path = results / SIDECAR_FILE
    write_json_atomic(path, hashes)
    return path
