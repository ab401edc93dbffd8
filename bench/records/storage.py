"""Run records on disk: the append-only trial log and the atomic ``run.json``.

Layout: ``<results>/<matrix>/<problem>/<strategy>/seed=<k>/``

* ``trials.jsonl``: one JSON object per line, written and flushed as each
  event happens; the event types are in :mod:`tunebench.records.events`. Every event
  carries ``t``, seconds since the run started.
* ``run.json``: written once, atomically (temporary file, fsync, rename), when
  the run ends. A run is complete only when ``run.json`` says
  ``"status": "complete"``; anything else is restarted by a rerun.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from tunebench.errors import TunebenchError, one_line
from tunebench.records.events import Event, from_record, to_record

__all__ = [
    "RUN_FILE",
    "TRIALS_FILE",
    "DamagedRecordError",
    "TrialLog",
    "is_complete",
    "read_events",
    "read_json",
    "read_trials",
    "sha256_file",
    "to_json_value",
    "write_json_atomic",
]


class DamagedRecordError(TunebenchError, ValueError):
    """A run record that cannot be read: the one line names the file (and the line)."""


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


RUN_FILE = "run.json"
TRIALS_FILE = "trials.jsonl"


def to_json_value(value: Any) -> Any:
    """Make a value strict-JSON safe: non-finite floats become ``None``."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # NumPy scalars
        return to_json_value(value.item())
    return value


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that readers see either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(to_json_value(data), f, indent=2, sort_keys=True, allow_nan=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> Any:
    """Read a JSON file.

    Raises:
        ValueError: Not UTF-8 JSON (``json.JSONDecodeError`` or ``UnicodeDecodeError``).
    """
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def is_complete(run_dir: Path) -> bool:
    """Whether ``run_dir`` holds a finished run (``run.json`` with status complete)."""
    path = run_dir / RUN_FILE
    if not path.is_file():
        return False
    try:
        return bool(read_json(path).get("status") == "complete")
    except (OSError, ValueError, AttributeError):
        return False


def read_trials(run_dir: Path, *, complete: bool = False) -> list[dict[str, Any]]:
    """All events of a run's ``trials.jsonl``, as raw JSON objects.

    :func:`read_events` gives them typed.

    Args:
        run_dir: The run's folder.
        complete: The run is complete, so its log was closed whole: a last line without
            its newline is damage too. Otherwise (a run in flight or killed) such a line
            is a write the process did not finish, and is skipped.

    Raises:
        DamagedRecordError: A line that is not one JSON object (names the file and line).
    """
    path = run_dir / TRIALS_FILE
    events = []
    with path.open("rb") as f:
        for i, raw in enumerate(f, start=1):
            if not raw.endswith(b"\n") and not complete:
                break  # the process died mid-write
            try:
                record = json.loads(raw.decode("utf-8"))
            except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
                raise DamagedRecordError(
                    f"{path}:{i}: damaged line ({one_line(exc, 120)})"
                ) from None
            if not isinstance(record, dict):
                raise DamagedRecordError(f"{path}:{i}: damaged line (not a JSON object)")
            if not raw.endswith(b"\n"):
                raise DamagedRecordError(f"{path}:{i}: damaged line (cut short: no newline)")
            events.append(record)
    return events


def read_events(run_dir: Path, *, complete: bool = False) -> list[Event]:
    """Every event of a run's ``trials.jsonl``, typed (:mod:`tunebench.records.events`).

    Args:
        run_dir: The run's folder.
        complete: See :func:`read_trials`.

    Raises:
        DamagedRecordError: A line that is not a known event (names the file and line).
    """
    out = []
    for i, record in enumerate(read_trials(run_dir, complete=complete), start=1):
        try:
            out.append(from_record(record))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise DamagedRecordError(
                f"{run_dir / TRIALS_FILE}:{i}: not an event ({one_line(exc, 120)})"
            ) from None
    return out


class TrialLog:
    """Append-only JSON-lines event log, flushed after every event.

    Args:
        path: The ``trials.jsonl`` file (created, truncated if present).
        clock: Returns seconds; ``t`` of each event is relative to its first call.
    """

    def __init__(self, path: Path, clock: Any = time.perf_counter) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._clock = clock
        self._t0 = clock()
        self._file: IO[str] = path.open("w", encoding="utf-8")

    def write(self, event: Event) -> None:
        """Append one event (its ``t`` taken from the clock now) and flush it to the OS."""
        record = to_record(event, round(self._clock() - self._t0, 6))
        self._file.write(json.dumps(to_json_value(record), allow_nan=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        """Flush to disk and close."""
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()

    def __enter__(self) -> TrialLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
