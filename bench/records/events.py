"""The trial log's events as types: one frozen dataclass per event kind.

The run loop writes these (through :class:`tunebench.records.storage.TrialLog`, the one
writer) and :func:`tunebench.records.storage.read_events` reads them back (the one
reader), so every line
of ``trials.jsonl`` has a declared shape. docs/reference/records.md's event table lists the
same fields (a test checks that it does).

On disk each event is one JSON object: ``event`` (its kind), ``t`` (seconds
since the run started: the simulated clock in replay), then its fields in
declaration order. Fields marked optional (``worker``, ``start``, ``end``: only
with trials in flight; ``objectives``: only in multi-objective runs) are left out when
``None``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = [
    "EVENT_TYPES",
    "Charge",
    "Cost",
    "Epoch",
    "Event",
    "Final",
    "Served",
    "TrialEnd",
    "TrialStart",
    "check_types",
    "event_fields",
    "from_record",
    "to_record",
]


def _optional() -> Any:
    return field(default=None, metadata={"optional": True})


@dataclass(frozen=True)
class Cost:
    """What one charge cost."""

    epochs: int
    seconds: float
    flops: float

    def to_dict(self) -> dict[str, float]:
        """JSON form, as written to ``trials.jsonl``."""
        return {"epochs": self.epochs, "seconds": self.seconds, "flops": self.flops}


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event: ``t`` is set by the log that wrote it (0 before)."""

    kind: ClassVar[str] = ""
    t: float = 0.0


@dataclass(frozen=True, kw_only=True)
class TrialStart(Event):
    """A proposal accepted: the trial opens (``start_epoch`` > 0 when it resumes)."""

    kind: ClassVar[str] = "trial_start"
    trial: int
    config: dict[str, Any]
    target_epochs: int
    resume_from: int | None
    start_epoch: int
    worker: int | None = _optional()


@dataclass(frozen=True, kw_only=True)
class Served(Event):
    """Replay on a sampled table: which recorded config serves the trial, and how far it is."""

    kind: ClassVar[str] = "served"
    trial: int
    config_key: str
    distance: float


@dataclass(frozen=True, kw_only=True)
class Charge(Event):
    """A cost that is not an epoch's result: ``setup`` (model build) or ``over_cap``."""

    kind: ClassVar[str] = "charge"
    trial: int
    kind_: str = field(metadata={"name": "kind"})
    cost: Cost
    budget_used: float
    worker: int | None = _optional()
    start: float | None = _optional()
    end: float | None = _optional()


@dataclass(frozen=True, kw_only=True)
class Epoch(Event):
    """One trained (or served) epoch: its validation value, loss and what it cost."""

    kind: ClassVar[str] = "epoch"
    trial: int
    epoch: int
    value: float | None
    loss: float | None
    cost: Cost
    budget_used: float
    worker: int | None = _optional()
    start: float | None = _optional()
    end: float | None = _optional()


@dataclass(frozen=True, kw_only=True)
class TrialEnd(Event):
    """A trial's end: ``complete``, ``stopped`` (by the strategy or the budget) or ``failed``."""

    kind: ClassVar[str] = "trial_end"
    trial: int
    status: str
    reason: str
    epochs: int
    test_value: float | None
    #: Simulated modes, a trial that ended short of ``max_epochs`` (not failed): the
    #: validation and test value of its config at ``max_epochs``, looked up at no charge
    #: (what the run scores if it returns this trial's config).
    full_value: float | None = _optional()
    full_test_value: float | None = _optional()
    #: Multi-objective runs, a trial whose weights reached ``max_epochs`` without
    #: failing: its objective vector in the entry's order, as measured (its own metric
    #: and seconds; what the strategy was told), and its config's point in the table
    #: (mean over the table's repeats; what the run is scored on).
    objectives: list[float] | None = field(default=None, metadata={"optional": True})
    score_objectives: list[float] | None = field(default=None, metadata={"optional": True})


@dataclass(frozen=True, kw_only=True)
class Final(Event):
    """One retrain of the incumbent from scratch, after the search (not charged)."""

    kind: ClassVar[str] = "final"
    trial: int
    repeat: int
    seed: int
    epochs: int
    value: float | None
    test_value: float | None
    reason: str


#: Event kind -> its type.
EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls for cls in (TrialStart, Served, Charge, Epoch, TrialEnd, Final)
}


def _name(f: dataclasses.Field[Any]) -> str:
    return str(f.metadata.get("name", f.name))


def event_fields(cls: type[Event]) -> list[tuple[str, bool]]:
    """The on-disk field names of an event type, in order, with whether each is optional."""
    return [
        (_name(f), bool(f.metadata.get("optional")))
        for f in dataclasses.fields(cls)
        if f.name != "t"
    ]


def to_record(event: Event, t: float) -> dict[str, Any]:
    """The JSON object of an event, as the trial log writes it."""
    record: dict[str, Any] = {"event": event.kind, "t": t}
    for f in dataclasses.fields(event):
        if f.name == "t":
            continue
        value = getattr(event, f.name)
        if value is None and f.metadata.get("optional"):
            continue
        record[_name(f)] = value.to_dict() if isinstance(value, Cost) else value
    return record


def from_record(record: dict[str, Any]) -> Event:
    """An event from its JSON object (unknown extra keys are an error).

    Raises:
        ValueError: Unknown event kind, or fields that do not match its type.
    """
    kind = record.get("event")
    cls = EVENT_TYPES.get(str(kind))
    if cls is None:
        raise ValueError(f"unknown event {kind!r}; known: {', '.join(EVENT_TYPES)}")
    names = {_name(f): f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in record.items():
        if key == "event":
            continue
        if key not in names:
            raise ValueError(f"event {kind!r} has no field {key!r}")
        if key == "cost":
            value = _cost(kind, value)
        else:
            _check_type(kind, key, _TYPES[cls][names[key]], value)
        values[names[key]] = value
    try:
        return cls(**values)
    except TypeError as exc:
        raise ValueError(f"event {kind!r}: {exc}") from None


def _cost(kind: object, value: Any) -> Cost:
    if not isinstance(value, dict):
        raise ValueError(f"event {kind!r}: cost {value!r} is not an object")
    for name in ("epochs", "seconds", "flops"):
        _check_type(kind, f"cost.{name}", "int" if name == "epochs" else "float", value.get(name))
    return Cost(int(value["epochs"]), float(value["seconds"]), float(value["flops"]))


#: JSON types a field's declared type accepts (a damaged log must not pass as events).
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "dict[str, Any]": (dict,),
    "Mapping[str, Any]": (dict,),
    "list[float]": (list,),
}

#: Each event type's declared field types, by field name (annotations are strings here).
_TYPES: dict[type[Event], dict[str, str]] = {
    cls: {f.name: str(f.type) for f in dataclasses.fields(cls)} for cls in EVENT_TYPES.values()
}


def _check_type(kind: object, key: str, declared: str, value: Any) -> None:
    """Refuse a value the field's declared type does not allow (``bool`` is not a number)."""
    base, optional = declared, False
    if declared.endswith(" | None"):
        base, optional = declared.removesuffix(" | None"), True
    if value is None and optional:
        return
    allowed = _JSON_TYPES.get(base)
    if allowed is None:
        return  # a nested dataclass (cost, spec): checked on its own
    if isinstance(value, bool) or not isinstance(value, allowed):
        raise ValueError(f"event {kind!r}: {key} {value!r} is not {base}")
    if (
        isinstance(value, dict)
        and base == "dict[str, Any]"
        and not all(
            v is None or isinstance(v, (bool, int, float, str))  # a config: JSON scalars
            for v in value.values()
        )
    ):
        raise ValueError(f"event {kind!r}: {key} {value!r:.60} holds a value that is no scalar")
    if isinstance(value, list) and not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
    ):
        raise ValueError(f"event {kind!r}: {key} {value!r} is not {base}")


def check_types(where: str, cls: type[Any], data: dict[str, Any]) -> None:
    """Refuse a JSON object whose values the dataclass ``cls``'s fields do not allow.

    Args:
        where: What the object is, for the message (``"result"``).
        cls: The dataclass.
        data: Its JSON object (keys it does not declare are not checked).

    Raises:
        ValueError: ``"<where>.<field> <value> is not <type>"``.
    """
    for f in dataclasses.fields(cls):
        if f.name in data:
            try:
                _check_type(where, f.name, str(f.type), data[f.name])
            except ValueError:
                raise ValueError(f"{where}.{f.name} {data[f.name]!r:.60} is not {f.type}") from None
