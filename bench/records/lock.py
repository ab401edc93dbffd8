"""One writer per run: an OS file lock on each run folder, taken by whoever executes it.

A run's folder holds ``run.lock`` beside its records. The process that executes the run
holds an exclusive ``flock`` on it (through :mod:`filelock`) from before it clears the
folder until after it wrote ``run.json``; every other process that wants the run finds
the lock held and leaves the run alone. The kernel releases the lock when its holder
exits, however it exits (``kill -9`` included), so a lock is never stuck: the next
process to ask takes it over.

The lock file also says who holds it (host, pid, start time, as one JSON line), written
when the lock is taken and cleared when it is released. Finding that text when taking a
free lock means its last holder died holding it: the taker reports whose run it took
over. The file itself is never deleted (deleting a locked file would let a second
process lock a new file of the same name).

Safe: several processes on one machine; several machines on a shared filesystem whose
``flock`` is enforced across clients (NFSv4, Lustre and GPFS with locking on, CephFS).
Not safe: a filesystem where ``flock`` is only local to each client (NFSv3 mounted with
``nolock`` or ``local_lock=flock``, some FUSE and SMB mounts): there two machines can
both hold a run. A filesystem without ``flock`` at all is refused (no silent fallback to
a lock a killed process would leave behind).
"""

from __future__ import annotations

import errno
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout

from tunebench.errors import TunebenchError

__all__ = ["LOCK_FILE", "Holder", "RunLock", "RunLockError", "read_holder"]

LOCK_FILE = "run.lock"

# errors that say the folder takes no writes, not that it takes no locks
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})


class RunLockError(TunebenchError, OSError):
    """A run's lock cannot be taken for a reason other than another holder (one line)."""

    exit_code = 1


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) a run's lock.

    Attributes:
        host: Host name of the holder.
        pid: Its process id.
        since: When it took the lock (seconds since the epoch).
    """

    host: str
    pid: int
    since: float

    def describe(self, now: float | None = None) -> str:
        """``host:pid, N s ago``."""
        age = (time.time() if now is None else now) - self.since
        return f"{self.host}:{self.pid}, {age:.0f} s ago"


def _parse_holder(text: str) -> Holder | None:
    try:
        data = json.loads(text)
        return Holder(host=str(data["host"]), pid=int(data["pid"]), since=float(data["since"]))
    except (ValueError, TypeError, KeyError):
        return None  # empty (released) or not ours: nobody to name


def read_holder(run_dir: Path) -> Holder | None:
    """Who the lock file of ``run_dir`` names: its holder, or a holder that died holding it."""
    try:
        text = (run_dir / LOCK_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return _parse_holder(text)


class RunLock:
    """The lock of one run folder; :meth:`acquire` never waits.

    Args:
        run_dir: The run's folder (created if missing).

    Attributes:
        taken_over: After :meth:`acquire`: the holder that died holding this lock, if any.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.path = run_dir / LOCK_FILE
        self.taken_over: Holder | None = None
        self._lock = FileLock(
            self.path,
            thread_local=False,
            blocking=False,
            fallback_to_soft=False,  # a soft lock outlives a killed holder: refuse instead
            preserve_lock_file=True,
            on_acquired=self._on_acquired,
        )

    def _on_acquired(self, fd: int) -> None:
        # Holding the flock now: whatever the file names is a holder that died holding it.
        os.lseek(fd, 0, os.SEEK_SET)
        previous = os.read(fd, 4096).decode("utf-8", errors="replace")
        self.taken_over = _parse_holder(previous)
        me = {"host": socket.gethostname(), "pid": os.getpid(), "since": time.time()}
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, (json.dumps(me) + "\n").encode("utf-8"))

    def acquire(self) -> bool:
        """Take the lock if nobody holds it.

        Returns:
            Whether this process now holds it (``False``: another process does).

        Raises:
            RunLockError: The folder cannot hold a lock (read-only, no ``flock``).
        """
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self._lock.acquire()
        except Timeout:
            return False
        except OSError as exc:
            # A full, read-only or forbidden folder is a write failure, named as every other one
            verb = "write" if exc.errno in _WRITE_ERRNOS else "lock"
            raise RunLockError(f"cannot {verb} {self.path}: {exc.strerror or exc}") from None
        return True

    @property
    def held(self) -> bool:
        """Whether this process holds the lock."""
        return self._lock.is_locked

    def release(self) -> None:
        """Clear the holder's name, then release (a no-op when not held)."""
        if not self._lock.is_locked:
            return
        try:
            with self.path.open("r+b") as f:  # same inode: the flock is per file, not per fd
                f.truncate(0)
        except OSError:
            pass  # the name stays; the next taker then reports a takeover, nothing worse
        self._lock.release(force=True)

    def __enter__(self) -> RunLock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
