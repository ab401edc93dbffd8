"""One writer per run: the run lock is exclusive, names its holder, and outlives no process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

from tunebench.records.lock import LOCK_FILE, RunLock, read_holder


def test_a_second_taker_is_refused_until_the_first_releases(tmp_path: Path) -> None:
    run_dir = tmp_path / "p" / "s" / "seed=0"
    first, second = RunLock(run_dir), RunLock(run_dir)
    assert first.acquire()
    assert not second.acquire()  # another open file: refused even in one process
    holder = read_holder(run_dir)
    assert holder is not None and (holder.host, holder.pid) == (socket.gethostname(), os.getpid())
    first.release()
    assert read_holder(run_dir) is None  # released: the file names nobody
    assert (run_dir / LOCK_FILE).is_file()  # and stays, so no second file can be locked
    assert second.acquire() and second.taken_over is None
    second.release()


def test_a_lock_of_a_killed_process_is_taken_over_and_its_holder_named(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    script = textwrap.dedent(
        f"""\
        import sys, time
        from pathlib import Path
        from tunebench.records.lock import RunLock
        lock = RunLock(Path({str(run_dir)!r}))
        assert lock.acquire()
        print("locked", flush=True)
        time.sleep(120)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "locked"
        assert not RunLock(run_dir).acquire()  # held by a live process
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    lock = RunLock(run_dir)
    assert lock.acquire()  # the kernel released the dead holder's lock
    assert lock.taken_over is not None and lock.taken_over.pid == child.pid
    assert f":{child.pid}," in lock.taken_over.describe()
    lock.release()
