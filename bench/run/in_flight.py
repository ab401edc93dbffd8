"""Workers for trials in flight: where several trials of one run train at once.

The run loop (:mod:`tunebench.run.loop`) starts a trial's next epoch on its worker
and takes back whichever epoch finishes first. Two kinds:

* :class:`SimulatedWorkers` (replay, the synthetic backend): an event queue on
  the simulated clock. Each epoch takes its recorded seconds (setup before the
  first); the epoch that ends first is returned first, ties to the lowest trial
  id, so the same seed gives the same trial log.
* :class:`ThreadWorkers` (live): each trial trains in its own thread. After
  every epoch the thread hands the outcome to the loop and waits for its answer
  (train on, or stop), so the strategy is only ever called from the loop's
  thread and no epoch starts unless the budget has room for it. Models are built
  in the loop's thread, where seeding is deterministic; the threads only fit.
"""

from __future__ import annotations

import heapq
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from tunebench.backends.session import EpochOutcome, Session

if TYPE_CHECKING:
    from tunebench.run.incumbent import TrialRecord

__all__ = ["Active", "SimulatedWorkers", "ThreadWorkers", "Workers"]


@dataclass(eq=False)
class Active:
    """A trial whose session is open: what the loop needs to drive it epoch by epoch.

    Attributes:
        rec: The harness's record of the trial.
        session: Its open session on the backend.
        target: The epochs asked for.
        stop_at: Epochs the budget allows it (one trial at a time).
        worker: Its worker, when several trials are in flight.
        clock: Simulated workers: when its next epoch starts.
    """

    rec: TrialRecord
    session: Session
    target: int
    stop_at: int
    worker: int | None = None
    clock: float = 0.0
    thread: threading.Thread | None = None
    answers: queue.SimpleQueue[bool] = field(default_factory=queue.SimpleQueue)
    stopping: bool = False
    begun: float = 0.0


#: An epoch that finished: (trial, outcome or what its training raised, start, end).
Finished = tuple[Active, "EpochOutcome | BaseException", float, float]


class Workers(Protocol):
    """What the loop needs of its workers."""

    @property
    def in_flight(self) -> int:
        """Epochs started and not yet returned by :meth:`next`."""
        ...  # pragma: no cover

    def start(self, a: Active) -> None:
        """Start the trial's next epoch."""

    def next(self) -> Finished:
        """The next epoch to finish (blocks until one has)."""
        ...  # pragma: no cover

    def stop(self, a: Active) -> None:
        """The trial trains no more (its worker is free again)."""

    def close(self) -> None:
        """Stop everything still running."""


class SimulatedWorkers:
    """Epochs on a simulated clock, as an event queue ordered by end time."""

    def __init__(self) -> None:
        # The clock lives in the trials (Active.clock).
        self._heap: list[tuple[float, int, float, EpochOutcome, Active]] = []

    @property
    def in_flight(self) -> int:
        """Epochs on the clock."""
        return len(self._heap)

    def start(self, a: Active) -> None:
        """Serve the trial's next epoch and put its end on the clock."""
        step: Callable[[], EpochOutcome] | None = getattr(a.session, "step", None)
        if step is None:  # only sessions that serve one epoch at a time can interleave
            raise TypeError(f"{type(a.session).__name__} cannot step epoch by epoch")
        out = step()
        # (end, trial id) is unique among epochs in flight: one epoch per trial.
        heapq.heappush(self._heap, (a.clock + out.seconds, a.rec.trial_id, a.clock, out, a))
        a.clock += out.seconds

    def next(self) -> Finished:
        """The epoch that ends first (ties: lowest trial id)."""
        end, _, begin, out, a = heapq.heappop(self._heap)
        return a, out, begin, end

    def stop(self, a: Active) -> None:
        """Nothing runs between epochs on a simulated clock."""

    def close(self) -> None:
        """Nothing to stop."""


class ThreadWorkers:
    """One thread per trial in flight, each fitting its model epoch by epoch on request.

    Times (``start``/``end`` of each epoch) are wall seconds since the workers began.
    """

    def __init__(self) -> None:
        self._t0 = time.perf_counter()
        self._done: queue.SimpleQueue[Finished] = queue.SimpleQueue()
        self._in_flight = 0
        self._threads: dict[int, Active] = {}

    def _now(self) -> float:
        return time.perf_counter() - self._t0

    @property
    def in_flight(self) -> int:
        """Epochs being trained now."""
        return self._in_flight

    def start(self, a: Active) -> None:
        """Let the trial's thread train one more epoch (starting the thread at first)."""
        self._in_flight += 1
        if a.thread is None:
            a.thread = threading.Thread(
                target=self._train, args=(a,), name=f"trial-{a.rec.trial_id}", daemon=True
            )
            self._threads[a.rec.trial_id] = a
            a.begun = self._now()
            a.thread.start()
        else:
            a.answers.put(True)

    def _train(self, a: Active) -> None:
        def on_epoch(out: EpochOutcome) -> bool:
            self._done.put((a, out, a.begun, self._now()))
            go = a.answers.get()  # the loop's answer: train on, or stop
            a.begun = self._now()
            return go

        try:
            a.session.fit(a.target, on_epoch)
        except BaseException as exc:  # handed to the loop, which fails the trial alone
            if not a.stopping:
                self._done.put((a, exc, a.begun, self._now()))

    def next(self) -> Finished:
        """The next epoch any thread finishes."""
        item = self._done.get()
        self._in_flight -= 1
        return item

    def stop(self, a: Active) -> None:
        """Tell the trial's thread to stop after the epoch it reported; wait for it."""
        a.stopping = True
        self._threads.pop(a.rec.trial_id, None)
        if a.thread is not None and a.thread.is_alive():
            a.answers.put(False)
            a.thread.join()

    def close(self) -> None:
        """Stop every thread still waiting (a protocol error ended the loop)."""
        for a in list(self._threads.values()):
            self.stop(a)
