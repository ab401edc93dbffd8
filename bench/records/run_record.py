"""``run.json`` as types: the record of a finished run, or of one that failed.

:func:`write_run_record` is the one writer (atomic, see
:func:`tunebench.records.storage.write_json_atomic`) and :func:`read_run_record` the one
reader; the executor, the progress lines and the reports' ``collect`` use these
types, never the JSON's string keys.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunebench.compat import RUN_RESULT_DEFAULTS, drop_defaults
from tunebench.errors import one_line
from tunebench.records.events import check_types
from tunebench.records.storage import (
    RUN_FILE,
    TRIALS_FILE,
    DamagedRecordError,
    read_json,
    sha256_file,
    write_json_atomic,
)
from tunebench.runspec import RunSpec

__all__ = [
    "FailedRun",
    "LedgerTotals",
    "MetricInfo",
    "RunRecord",
    "RunResult",
    "Timings",
    "read_run_record",
    "record_from_dict",
    "write_run_record",
]


@dataclass(frozen=True, kw_only=True)
class RunResult:
    """What a run found: its incumbent, its trials, why it ended."""

    best_trial: int | None
    best_config: dict[str, Any] | None
    best_value: float | None
    best_epochs: int | None
    test_value: float | None
    budget_used: float
    n_trials: int
    n_complete: int
    n_stopped: int
    n_failed: int
    end_reason: str
    retrain_test_values: list[float] = field(default_factory=list)
    retrain_test_mean: float | None = None
    retrain_test_std: float | None = None
    #: The strategy's proposal of the best trial, when it was evaluated as another
    #: (recorded) config (``best_config``); left out of ``run.json`` otherwise.
    best_proposal: dict[str, Any] | None = None
    #: The run's one score when its incumbent ended short of ``max_epochs``: that config's
    #: validation and test value at ``max_epochs``, looked up at no charge (replay and
    #: surrogate runs). ``None``: the incumbent's own ``best_value`` and ``test_value``.
    score_value: float | None = None
    score_test_value: float | None = None
    #: Multi-objective runs (left out of ``run.json`` otherwise): the objectives, the
    #: non-dominated trials among those that reached ``max_epochs``, their scored
    #: points (the configs' table points, in the objectives' order), and the set's
    #: hypervolume and hypervolume regret in the problem's fixed frame (recorded in the
    #: provenance under ``hypervolume``).
    objectives: list[str] | None = None
    pareto_trials: list[int] | None = None
    pareto_front: list[list[float]] | None = None
    hypervolume: float | None = None
    hypervolume_regret: float | None = None


@dataclass(frozen=True, kw_only=True)
class MetricInfo:
    """The problem's metric and its direction."""

    name: str
    direction: str


@dataclass(frozen=True, kw_only=True)
class LedgerTotals:
    """Everything the ledger charged (see :meth:`tunebench.run.ledger.Ledger.totals`)."""

    epochs: int
    full_evaluations: float
    train_seconds: float
    setup_seconds: float
    strategy_seconds: float
    flops: float


@dataclass(frozen=True, kw_only=True)
class Timings:
    """Wall seconds of the whole run and of what is not charged to the budget.

    ``test_evaluations`` counts the trials scored on test (those that could still become
    the incumbent when they ended); ``None`` in records written before it was counted.
    """

    wall_seconds: float
    test_eval_seconds: float
    retrain_seconds: float
    test_evaluations: int | None = None


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    """A complete run (``status = "complete"``).

    Attributes:
        spec: The run.
        result: What it found.
        metric: The metric it was scored on.
        ledger: What was charged.
        timings: Wall seconds.
        strategy_params: The strategy's ``get_params()``.
        provenance: Package versions, CPU, git commit, seeds, data source, backend...
        trials_sha256: SHA-256 of the run's ``trials.jsonl`` as it was when the run
            completed (set by :func:`write_run_record`); ``None`` in records written
            before it was recorded, and then left out of ``run.json``.
    """

    spec: RunSpec
    result: RunResult
    metric: MetricInfo
    ledger: LedgerTotals
    timings: Timings
    strategy_params: dict[str, Any]
    provenance: dict[str, Any]
    trials_sha256: str | None = None
    status: str = "complete"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form written to ``run.json``."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if data["trials_sha256"] is None:
            del data["trials_sha256"]  # as records were before it existed
        data["spec"] = self.spec.to_dict()
        for key in ("result", "metric", "ledger", "timings"):
            data[key] = dataclasses.asdict(data[key])
        drop_defaults(data["result"], RUN_RESULT_DEFAULTS)
        return data


@dataclass(frozen=True, kw_only=True)
class FailedRun:
    """A run that raised (or whose data conflicted): recorded, and rerun next time.

    Attributes:
        spec: The run.
        error: One line: what went wrong.
        traceback: The traceback, when there was one.
        worker: ``host:pid`` of the worker, when known.
    """

    spec: RunSpec
    error: str
    traceback: str = ""
    worker: str = ""
    status: str = "failed"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form written to ``run.json``."""
        return {
            "status": self.status,
            "spec": self.spec.to_dict(),
            "error": self.error,
            "traceback": self.traceback,
            "worker": self.worker,
        }


def _known(cls: type[Any], data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def record_from_dict(data: dict[str, Any]) -> RunRecord | FailedRun:
    """A record from its JSON form (keys a later version adds are ignored).

    Raises:
        ValueError: Not a run record (missing parts, or an unknown status).
    """
    try:
        check_types("spec", RunSpec, _known(RunSpec, data["spec"]))
        spec = RunSpec(**_known(RunSpec, data["spec"]))
        _check_spec_types(spec)
        if data.get("status") == "failed":
            check_types("run", FailedRun, {k: v for k, v in data.items() if k != "spec"})
            return FailedRun(**{**_known(FailedRun, data), "spec": spec})
        if data.get("status") != "complete":
            raise ValueError(f"status {data.get('status')!r}")
        parts = {
            "result": (RunResult, data["result"]),
            "metric": (MetricInfo, data["metric"]),
            "ledger": (LedgerTotals, data["ledger"]),
            "timings": (
                Timings,
                data.get("timings")
                or {"wall_seconds": 0.0, "test_eval_seconds": 0.0, "retrain_seconds": 0.0},
            ),
        }
        for name, (cls, part) in parts.items():
            check_types(name, cls, _known(cls, part))
        return RunRecord(
            spec=spec,
            result=RunResult(**_known(RunResult, data["result"])),
            metric=MetricInfo(**_known(MetricInfo, data["metric"])),
            ledger=LedgerTotals(**_known(LedgerTotals, data["ledger"])),
            timings=Timings(**_known(Timings, parts["timings"][1])),
            strategy_params=dict(data.get("strategy_params") or {}),
            provenance=dict(data.get("provenance") or {}),
            trials_sha256=_sha256_or_none(data.get("trials_sha256")),
        )  # fmt: skip
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a run record: {one_line(exc, 120)}") from None


def _check_spec_types(spec: RunSpec) -> None:
    # What every reader uses to place and group a run; the rest is checked where used.
    for name in ("matrix", "problem", "strategy", "strategy_label", "problem_label", "mode"):
        if not isinstance(getattr(spec, name), str):
            raise TypeError(f"spec.{name} {getattr(spec, name)!r} is not a string")
    for name in ("seed", "max_epochs"):
        value = getattr(spec, name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"spec.{name} {value!r} is not an integer")


def _sha256_or_none(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"trials_sha256 {value!r} is not a hex digest")
    return value


def write_run_record(run_dir: Path, record: RunRecord | FailedRun) -> RunRecord | FailedRun:
    """Write ``run.json`` atomically (readers see the old file or the whole new one).

    A complete record gets the SHA-256 of the ``trials.jsonl`` beside it, as it is now
    (the log is closed before its run completes), so a later change to the log shows.

    Returns:
        The record as written.
    """
    if isinstance(record, RunRecord) and (run_dir / TRIALS_FILE).is_file():
        record = dataclasses.replace(record, trials_sha256=sha256_file(run_dir / TRIALS_FILE))
    write_json_atomic(run_dir / RUN_FILE, record.to_dict())
    return record


def read_run_record(run_dir: Path) -> RunRecord | FailedRun | None:
    """The run's record; ``None`` when it has none yet (in flight, or killed).

    Raises:
        DamagedRecordError: ``run.json`` exists but is not a run record (names the file).
    """
    path = run_dir / RUN_FILE
    if not path.is_file():
        return None
    try:
        return record_from_dict(read_json(path))
    except (ValueError, OSError) as exc:
        raise DamagedRecordError(f"{path}: damaged run record ({one_line(exc, 160)})") from None
