"""What the run loop talks to and what it returns.

The event log and objective-source interfaces, the protocol error, extra limits and the
loop's end.

Kept apart from :mod:`tunebench.run.loop` (which re-exports them) so the loop module
holds the loop's rules only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from tunebench.errors import TunebenchError
from tunebench.records.events import Event

__all__ = [
    "FIDELITY_KEYS",
    "EventLog",
    "Limits",
    "LoopEnd",
    "MemoryLog",
    "ObjectiveSource",
    "ProtocolError",
]

# Keys that would smuggle the fidelity into a config (keras-tuner style).
FIDELITY_KEYS = ("epochs", "epoch", "tuner/epochs", "tuner/initial_epoch", "budget")


class ProtocolError(TunebenchError, RuntimeError):
    """A strategy broke the protocol (invalid config, reused trial id, ...)."""

    exit_code = 1


class EventLog(Protocol):
    """Where the loop writes its events: ``TrialLog`` (a run's file) or :class:`MemoryLog`."""

    def write(self, event: Event) -> None:
        """Record one event."""


class ObjectiveSource(Protocol):
    """Where a multi-objective run's vectors come from.

    A backend's :meth:`~tunebench.backends.base.TrialBackend.objective_source` in a run
    (:class:`~tunebench.objectives.run_points.RunObjectives` for a replayed table,
    :class:`~tunebench.objectives.run_points.MeasuredObjectives` live and in surrogate
    mode); the conformance kit's synthetic objectives in
    :func:`~tunebench.strategies.testing.drive`.
    """

    @property
    def names(self) -> tuple[str, ...]:
        """Objective names, in vector order."""
        ...  # pragma: no cover

    @property
    def minimise(self) -> tuple[bool, ...]:
        """Per objective, whether smaller is better."""
        ...  # pragma: no cover

    def observed(
        self, config_key: str, last_value: float, seconds: float
    ) -> tuple[float, ...] | None:
        """What a trial of the config that reached ``max_epochs`` measured."""
        ...  # pragma: no cover

    def scored(
        self, config_key: str, observed: tuple[float, ...] | None = None
    ) -> tuple[float, ...] | None:
        """The point the run is scored on for a trial of the config that measured ``observed``.

        A replayed table scores the config's mean and ignores ``observed``; a live run
        scores what the trial measured.
        """
        ...  # pragma: no cover


class MemoryLog:
    """Events kept in a list (the conformance kit's log)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def write(self, event: Event) -> None:
        """Keep one event."""
        self.events.append(event)


@dataclass(frozen=True)
class Limits:
    """Extra ends of a loop, besides the budget and the strategy (the kit sets them).

    Attributes:
        max_trials: No more asks after this many proposals.
        max_strategy_seconds: No more asks once the strategy has used this much time.
        max_asks: A strategy still asking after this many calls breaks the protocol.
    """

    max_trials: int | None = None
    max_strategy_seconds: float | None = None
    max_asks: int | None = None


@dataclass(frozen=True)
class LoopEnd:
    """Why a loop ended.

    Attributes:
        kind: ``"budget"``, ``"exhausted"``, ``"max_trials"`` or ``"deadline"``.
        reason: The strategy's reason when it was exhausted.
    """

    kind: str
    reason: str = ""

    @property
    def text(self) -> str:
        """As ``run.json`` records it (``end_reason``)."""
        if self.kind == "exhausted":
            return f"strategy exhausted{': ' + self.reason if self.reason else ''}"
        if self.kind == "budget":
            return "budget spent"
        return self.kind
