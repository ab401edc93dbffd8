"""A process pool that a fresh one replaces after so many tasks, to give memory back.

TensorFlow keeps memory for every model a process ever built (see
docs/explanation/limitations.md); only a new process returns it. Both the local
executor's live runs and ``tunebench tabulate``'s units therefore go to a
:class:`RecyclingPool`, which retires its pool once it has taken its share of tasks and
starts a fresh one for the next.

Not ``max_tasks_per_child``: with a backlog queued, CPython 3.11-3.14 can fail to
replace a worker that reached it, and the pool hangs (python/cpython#115634).
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable
from typing import Any

__all__ = ["RecyclingPool"]


class RecyclingPool:
    """Hands out a process pool, and a fresh one after every ``tasks_per_pool`` tasks.

    Args:
        new_pool: Makes a fresh pool.
        tasks_per_pool: Tasks a pool takes before a fresh one replaces it (``None``: it
            is never replaced).
        wait_on_retire: Whether retiring a pool waits for its workers to exit (its tasks
            are all done by then); otherwise its tasks in flight finish while the fresh
            pool starts, and its workers exit after them.
    """

    def __init__(
        self,
        new_pool: Callable[[], cf.ProcessPoolExecutor],
        tasks_per_pool: int | None,
        *,
        wait_on_retire: bool = False,
    ) -> None:
        self._new_pool = new_pool
        self.tasks_per_pool = tasks_per_pool
        self.wait_on_retire = wait_on_retire
        self._current: cf.ProcessPoolExecutor | None = None
        self._taken = 0

    def pool(self) -> cf.ProcessPoolExecutor:
        """The pool the next task goes to; the task counts towards that pool's share."""
        if self.tasks_per_pool is not None and self._taken >= self.tasks_per_pool:
            if self._current is not None:
                self._current.shutdown(wait=self.wait_on_retire)
                self._current = None
            self._taken = 0
        if self._current is None:
            self._current = self._new_pool()
        if self.tasks_per_pool is not None:
            self._taken += 1
        return self._current

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> cf.Future[Any]:
        """``fn(*args)`` in the pool :meth:`pool` hands out."""
        return self.pool().submit(fn, *args)

    def forget(self, pool: cf.ProcessPoolExecutor) -> None:
        """Stop handing out ``pool`` (it broke): the next task gets a fresh one.

        The tasks counted so far still count towards the share of the pool that follows.
        """
        if self._current is pool:
            self._current = None

    def close(self, *, cancel_futures: bool = False) -> None:
        """Shut the current pool down and wait for its workers to exit."""
        if self._current is not None:
            self._current.shutdown(wait=True, cancel_futures=cancel_futures)
            self._current = None
