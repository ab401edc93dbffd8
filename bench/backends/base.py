"""The trial-backend interface: how a run's trials get their epochs, one class per mode.

A :class:`TrialBackend` is what a run's loop trains (or serves) its trials with. Each
mode is one subclass in a file of its own: :class:`~tunebench.backends.live.LiveBackend`
(``live``, holdout or k-fold),
:class:`~tunebench.backends.replay.ReplayBackend` (``replay``),
:class:`~tunebench.backends.surrogate.SurrogateBackend` (``surrogate``), and the
conformance kit's synthetic backend (:mod:`tunebench.strategies.testing`). One registry
(:mod:`tunebench.backends.registry`) maps a mode to its class; nothing else reads the
mode string to decide how a run behaves.

The interface has two halves:

* per run: :attr:`TrialBackend.trainer` (the run loop opens the search's trials on
  it) and :meth:`TrialBackend.open_retrain` (the incumbent's retrains), which clock a
  run keeps (:attr:`TrialBackend.simulated`) and what ``run.json`` records
  (:attr:`TrialBackend.provenance`);
* per matrix entry, before anything runs: what the plan needs (:meth:`entry_plan`:
  epochs, Keras backend, the table or surrogate served) and the load-time checks
  (:meth:`check_entry`, which raises :class:`EntryError`).

A multi-objective run (an entry with ``objectives``) asks its backend for its vectors
(:meth:`TrialBackend.objective_source`); its frame comes from a learning-curve table
that the class names for the entry (:meth:`TrialBackend.objective_table`) and checks
(:meth:`TrialBackend.check_objective_table`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from tunebench.backends.session import Session, Trainer
from tunebench.curves.shipped import recorded_path
from tunebench.curves.table import TableError, read_table_meta, table_space
from tunebench.objectives.hypervolume import HypervolumeReference
from tunebench.objectives.run_points import table_frame

if TYPE_CHECKING:
    from tunebench.datasets import Problem
    from tunebench.objectives.run_points import ObjectiveVectors
    from tunebench.runspec import RunSpec
    from tunebench.strategies.space import SearchSpace

__all__ = [
    "CheckContext",
    "Entry",
    "EntryError",
    "EntryPlan",
    "PlanContext",
    "TrialBackend",
    "check_recorded_for",
    "checked_table_meta",
    "recorded_params",
    "resolve_path",
    "spec_frame",
]


class Entry(Protocol):
    """What a backend reads of a matrix's problem entry (the schema's ``ProblemEntry``)."""

    @property
    def name(self) -> str:
        """The entry's ``name``."""
        ...  # pragma: no cover

    @property
    def label(self) -> str:
        """The entry's ``label``."""
        ...  # pragma: no cover

    @property
    def params(self) -> Mapping[str, Any]:
        """The entry's ``params``."""
        ...  # pragma: no cover

    @property
    def subsample(self) -> int | None:
        """The entry's ``subsample``."""
        ...  # pragma: no cover

    @property
    def max_epochs(self) -> int | None:
        """The entry's ``max_epochs``."""
        ...  # pragma: no cover

    @property
    def table(self) -> str | None:
        """The entry's ``table``."""
        ...  # pragma: no cover

    @property
    def surrogate(self) -> str | None:
        """The entry's ``surrogate``."""
        ...  # pragma: no cover

    @property
    def module(self) -> str | None:
        """The entry's ``module``."""
        ...  # pragma: no cover

    @property
    def evaluation(self) -> str:
        """The entry's ``evaluation``."""
        ...  # pragma: no cover

    @property
    def objectives(self) -> list[str] | None:
        """The entry's ``objectives``."""
        ...  # pragma: no cover


class EntryError(Exception):
    """A matrix entry that cannot run: the load-time checks turn it into one located line.

    Args:
        key: Where in the entry (``("table",)``, ``("params", "n")``; ``()`` is the entry).
        message: What is wrong.
        at: Where in the matrix instead, when it is not in the entry (``("execution",
            "backend")``).
    """

    def __init__(
        self, key: tuple[str | int, ...], message: str, at: tuple[str | int, ...] = ()
    ) -> None:
        super().__init__(message)
        self.key = key
        self.message = message
        self.at = at


@dataclass(frozen=True)
class EntryPlan:
    """What a mode decides about one problem entry when the matrix is planned.

    Attributes:
        max_epochs: Epochs of a full evaluation.
        backend: The Keras backend the runs train on (live), or that recorded the curves
            they are served (simulated modes; ``None`` when unknown).
        table: The learning-curve table served (replay).
        surrogate: The surrogate file served (surrogate).
    """

    max_epochs: int
    backend: str | None
    table: str | None = None
    surrogate: str | None = None


@dataclass(frozen=True)
class PlanContext:
    """What an entry's plan may depend on beyond the entry itself.

    Attributes:
        problems: The problem registry.
        base_dir: Relative paths of the matrix are relative to it (default: working dir).
        execution_backend: The matrix's ``[execution] backend``, if it sets one.
        sibling_backends: The Keras backends that recorded the tables other entries of
            the same problem serve (same options first), computed when asked.
    """

    problems: Mapping[str, type[Problem]]
    base_dir: Path | None = None
    execution_backend: str | None = None
    sibling_backends: Callable[[], list[str]] = field(default=lambda: [])


@dataclass(frozen=True)
class CheckContext:
    """What the load-time checks of an entry may use.

    Attributes:
        base_dir: The matrix file's folder.
        plan: The entry's plan.
        backend_at: Where a missing Keras backend is reported in the matrix.
        data_dir: Local dataset copies.
        load_data: Loads a live entry's data (``None``: the data checks are skipped).
        warnings: Where a check puts what may run but deserves a warning (one line each).
    """

    base_dir: Path
    plan: EntryPlan
    backend_at: tuple[str | int, ...] = ()
    data_dir: Path | None = None
    load_data: Callable[..., Any] | None = None
    warnings: list[str] = field(default_factory=list)


def resolve_path(path: Path, base_dir: Path | None) -> Path:
    """A matrix's relative path, relative to ``base_dir`` (default the working directory)."""
    return path if path.is_absolute() else (base_dir or Path.cwd()) / path


class TrialBackend(ABC):
    """How one run's trials get their epochs.

    Args:
        problem: The problem, configured with the run's params.
        trainer: Opens the search's trials.
        final_trainer: Opens the incumbent's retrains (holdout even under k-fold).
        space: The space the strategy searches.
        provenance: Recorded in ``run.json``: ``mode``, ``data``, ``split_sizes``.
    """

    #: The matrix's name for the mode.
    mode: ClassVar[str]
    #: Whether epochs take recorded seconds on a simulated clock (several trials in
    #: flight then run on simulated workers, else threads that really train).
    simulated: ClassVar[bool]
    #: Whether a run trains Keras models (its worker needs a Keras backend).
    trains: ClassVar[bool] = False
    #: How the reports say where a run's curves come from.
    curves_are: ClassVar[str]
    #: How the reports name the mode's runs ("3 live seeds, 30 replayed").
    runs_are: ClassVar[str]
    #: What a run of the mode does, in the reports' words ("trained live").
    does: ClassVar[str]
    #: The mode as the subject and as the object of the question a report asks of two
    #: modes ("Does replay predict live?"), and its short name as the reference of a
    #: section anchor ("surrogate-vs-table").
    as_subject: ClassVar[str]
    as_object: ClassVar[str]
    short_name: ClassVar[str]
    #: Where the Keras backend behind the mode's curves was used ("the table was
    #: recorded"): the reports' caveat when two modes' curves come from different ones.
    curves_made: ClassVar[str]
    #: Whether entries of this mode may set ``evaluation = "kfold:K"``.
    supports_kfold: ClassVar[bool] = False
    #: Whether entries of this mode may set ``objectives`` (a multi-objective run): its
    #: runs' vectors come from :meth:`objective_source`, scored in the frame of the
    #: table :meth:`objective_table` names.
    supports_objectives: ClassVar[bool] = False
    #: Whether its runs serve a recorded learning-curve table (so the table's optimum is
    #: their regret's 0-point, and its grid space applies).
    serves_table: ClassVar[bool] = False
    #: Whether its runs serve a fitted surrogate (so its held-out fidelity is reported).
    serves_surrogate: ClassVar[bool] = False
    #: How far from real training: 0 trains; a mode is checked against every mode with a
    #: smaller number (the report's mode-agreement sections).
    realism: ClassVar[int] = 0

    def __init__(
        self,
        problem: Problem,
        trainer: Trainer,
        final_trainer: Trainer,
        space: SearchSpace,
        provenance: dict[str, Any],
    ) -> None:
        self.problem = problem
        self.trainer = trainer
        self.final_trainer = final_trainer
        self.space = space
        self.provenance = provenance

    def open_retrain(self, config: Mapping[str, Any], config_key: str, seed: int) -> Session:
        """A session that retrains the incumbent from scratch."""
        return self.final_trainer.open(config, config_key, seed)

    def objective_source(self, spec: RunSpec) -> ObjectiveVectors:
        """A multi-objective run's vectors, scored in the frame of ``spec.table``.

        Raises:
            ValueError: The mode does not support objectives (the load-time checks
                refuse such an entry first).
        """
        raise ValueError(
            f"run {spec.rel_dir}: mode {self.mode!r} does not support multi-objective runs"
        )

    @classmethod
    def needs_keras(cls, spec: RunSpec) -> bool:
        """Whether a run builds Keras models (its worker then needs a Keras backend)."""
        return cls.trains

    # -- per run -------------------------------------------------------------------------

    @classmethod
    @abstractmethod
    def build(
        cls, spec: RunSpec, problem: Problem, *, splits: Any = None, table: Any = None
    ) -> TrialBackend:
        """The backend of one run, from what is already loaded (data or table).

        Raises:
            ValueError: The data the mode needs was not given.
        """

    @classmethod
    @abstractmethod
    def open(
        cls, spec: RunSpec, data_dir: str | None, problems: Mapping[str, type[Problem]]
    ) -> TrialBackend:
        """Load what the run needs (cached per process) and build its backend."""

    # -- per matrix entry ------------------------------------------------------------------

    @classmethod
    @abstractmethod
    def entry_plan(cls, entry: Entry, ctx: PlanContext) -> EntryPlan:
        """What the plan records for every run of this entry."""

    @classmethod
    def served_table(cls, entry: Entry, base_dir: Path | None) -> Path | None:
        """The learning-curve table an entry of this mode serves, if any."""
        return None

    @classmethod
    @abstractmethod
    def check_entry(cls, entry: Entry, problem: Problem, ctx: CheckContext) -> None:
        """Refuse an entry whose runs would fail (raises :class:`EntryError`); write nothing."""

    @classmethod
    def objective_table(cls, entry: Entry, base_dir: Path | None) -> Path | None:
        """The table whose points fix a multi-objective entry's hypervolume frame.

        Default: the table the mode serves (:meth:`served_table`).
        """
        return cls.served_table(entry, base_dir)

    @classmethod
    def check_objective_table(
        cls, entry: Entry, problem: Problem, table: Path, ctx: CheckContext
    ) -> None:
        """Refuse a multi-objective entry whose frame table does not fit it; write nothing.

        Called after :meth:`check_entry`; the table's columns are checked after it. The
        default checks nothing more (a served table is checked by :meth:`check_entry`).

        Raises:
            EntryError: What does not fit.
        """
        del entry, problem, table, ctx  # a served table was checked with the entry


def checked_table_meta(
    entry: Entry,
    problem: Problem,
    path: Path,
    shown: str,
    key: tuple[str | int, ...],
    holds: Callable[[int], str],
) -> dict[str, Any]:
    """A table's metadata, refused in one line unless it was recorded for this entry's problem.

    Args:
        entry: The problem entry.
        problem: Its problem.
        path: The table file.
        shown: The table as the message names it.
        key: Where an unreadable table, a wrong problem or space is reported.
        holds: The end of the message for too few epochs (:func:`check_recorded_for`).

    Raises:
        EntryError: An unreadable table, or :func:`check_recorded_for`'s refusals.
    """
    try:
        meta = read_table_meta(path)
    except TableError as exc:
        reason = str(exc).removeprefix(f"{path}: ")
        raise EntryError(key, f"table {shown}: {reason}") from None
    check_recorded_for(
        entry, key, meta, table_space(problem, meta).fingerprint(), f"table {shown}",
        "recorded", "re-record it with tunebench tabulate", holds,
    )  # fmt: skip
    return meta


def spec_frame(spec: RunSpec, mode: str) -> HypervolumeReference:
    """The hypervolume frame of a run that measures its own vectors: its ``spec.table``'s.

    Raises:
        ValueError: The run names no frame table (the load-time checks give it one).
    """
    if spec.table is None or spec.objectives is None:
        raise ValueError(f"run {spec.rel_dir}: a multi-objective {mode} run names a table")
    return table_frame(recorded_path(spec.table), spec.objectives, spec.max_epochs)


def recorded_params(problem: Problem, meta: Mapping[str, Any]) -> dict[str, Any]:
    """The problem options a table was recorded with, defaults filled in where they build."""
    try:
        return dict(type(problem)(**(meta.get("problem_params") or {})).get_params())
    except (TypeError, ValueError):
        return dict(meta.get("problem_params") or {})


def check_recorded_for(
    entry: Entry,
    key: tuple[str | int, ...],
    meta: Mapping[str, Any],
    expected: str,
    what: str,
    verb: str,
    remedy: str,
    holds: Callable[[int], str],
) -> None:
    """What a table's or a surrogate's metadata must say: this problem, this space, enough epochs.

    Args:
        entry: The problem entry.
        key: Where a wrong problem or space is reported.
        meta: The file's metadata.
        expected: The space fingerprint the file must carry.
        what: The file as the message names it (``"table x.parquet"``).
        verb: How it came to be (``"recorded"``, ``"fitted"``).
        remedy: What to do about another space.
        holds: The end of the message for too few epochs, given the file's epochs.

    Raises:
        EntryError: The first thing that does not match.
    """
    if meta.get("problem") != entry.name:
        raise EntryError(
            key, f"{what} was {verb} for problem {meta.get('problem')!r}, not {entry.name!r}"
        )
    if meta.get("space_fingerprint") != expected:
        raise EntryError(
            key,
            f"{what} was {verb} for another search space of {entry.name!r} "
            f"(space hash {str(meta.get('space_fingerprint'))[:12]}, the problem's is "
            f"{expected[:12]}); {remedy}",
        )
    epochs = int(meta.get("epochs", 0))
    if entry.max_epochs is not None and entry.max_epochs > epochs:
        raise EntryError(
            ("max_epochs",),
            f"{entry.max_epochs} is more than the {epochs} epochs {holds(epochs)}",
        )
