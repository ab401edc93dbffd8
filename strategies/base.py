"""The one strategy protocol: ``setup``, ``ask``, ``report``, ``tell``.

A strategy decides *what* to train and *when to stop*; it never trains anything
itself. The harness (``tunebench.run.execute``) asks for a proposal, trains it epoch
by epoch, charges every epoch to the budget ledger, reports each validation
value back (the strategy may answer :attr:`Decision.STOP`), and finally tells
the strategy how the trial ended.

The fidelity (number of epochs) travels in :class:`Proposal.target_epochs`,
never inside the config.

Writing a strategy::

    class MyStrategy(Strategy):
        name = "mine"

        def __init__(self, n_startup: int = 10) -> None:
            self.n_startup = n_startup  # constructors only store arguments

        def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
            config = self.space.defaults()
            return Proposal(self.new_trial_id(), config, self.fidelity.max_epochs)

        def tell(self, trial_id: int, result: TrialResult) -> None:
            pass

and register it under the ``tunebench.strategies`` entry-point group.
"""

from __future__ import annotations

import enum
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from tunebench.plugins import constructor_params
from tunebench.strategies.space import SearchSpace

__all__ = [
    "BudgetView",
    "Decision",
    "Direction",
    "Exhausted",
    "Fidelity",
    "Objectives",
    "Proposal",
    "Strategy",
    "TrialResult",
    "TrialStatus",
    "Wait",
]

Direction = Literal["minimize", "maximize"]


class Decision(enum.Enum):
    """What a strategy answers to a per-epoch report."""

    CONTINUE = "continue"
    STOP = "stop"


class TrialStatus(enum.Enum):
    """How a trial ended.

    ``COMPLETE``: trained to its target epochs. ``STOPPED``: the strategy said
    STOP, or the budget ran out mid-trial (``TrialResult.reason`` says which).
    ``FAILED``: training broke (NaN/inf loss, an exception).
    """

    COMPLETE = "complete"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass(frozen=True)
class Fidelity:
    """The training-length axis of a problem, in epochs.

    Attributes:
        min_epochs: The smallest useful training length (usually 1).
        max_epochs: A full evaluation trains this many epochs.
    """

    min_epochs: int
    max_epochs: int

    def __post_init__(self) -> None:
        if not 1 <= self.min_epochs <= self.max_epochs:
            raise ValueError(
                f"fidelity needs 1 <= min_epochs <= max_epochs, got {self.min_epochs}, "
                f"{self.max_epochs}"
            )


@dataclass(frozen=True)
class Objectives:
    """The objectives of a multi-objective run, as a strategy sees them.

    Attributes:
        names: Objective names (``"metric"``, ``"params"``, ``"train_seconds"``,
            ``"flops"``), in the order of every objective vector.
        minimise: Per objective, whether smaller is better (the metric follows the
            problem's direction; every other objective is minimised).
    """

    names: tuple[str, ...]
    minimise: tuple[bool, ...]

    def __post_init__(self) -> None:
        if len(self.names) < 2 or len(self.names) != len(self.minimise):
            raise ValueError(
                f"objectives need two names or more, one direction each; got {self.names} "
                f"and {self.minimise}"
            )

    def signed(self, vector: tuple[float, ...]) -> tuple[float, ...]:
        """``vector`` with maximised objectives negated, so that every one is minimised."""
        return tuple(v if m else -v for v, m in zip(vector, self.minimise, strict=True))


@dataclass(frozen=True)
class BudgetView:
    """What a strategy may know about the budget when it is asked.

    Attributes:
        used: Budget spent so far, in full-evaluation equivalents
            (epochs charged / max_epochs).
        total: The cap in full-evaluation equivalents, or ``None`` when the
            cap is in seconds.
        remaining_epochs: Epochs that can still be charged, or ``None`` when
            the cap is in seconds.
        seconds_used: Wall seconds charged so far.
        seconds_total: The cap in seconds, or ``None`` when the cap is in epochs.
    """

    used: float
    total: float | None
    remaining_epochs: int | None
    seconds_used: float
    seconds_total: float | None


@dataclass(frozen=True)
class Proposal:
    """Train ``config`` up to ``target_epochs`` (counted from epoch 0).

    Attributes:
        trial_id: A new id, unique within the run (``Strategy.new_trial_id``).
        config: The hyperparameters; validated by the harness against the space.
        target_epochs: Train until this many epochs have been trained in total.
        resume_from: An ended trial whose kept weights this trial continues from;
            only the new epochs are charged. Its config is the same, or differs only
            in the space's ``continuable`` parameters (the weights then continue under
            the new training settings, with a fresh optimizer).
    """

    trial_id: int
    config: Mapping[str, Any]
    target_epochs: int
    resume_from: int | None = None


@dataclass(frozen=True)
class Wait:
    """Nothing to propose until a trial in flight is told."""

    reason: str = ""


@dataclass(frozen=True)
class Exhausted:
    """The strategy has nothing more to propose (e.g. the grid is done)."""

    reason: str = ""


@dataclass(frozen=True)
class TrialResult:
    """How a trial ended, as the harness tells it.

    Attributes:
        status: COMPLETE, STOPPED or FAILED.
        values: The validation value after each epoch trained in this trial
            (epochs ``start_epoch + 1 .. start_epoch + len(values)``).
        start_epoch: Epochs the weights had already been trained when this
            trial began (non-zero for a resumed trial).
        reason: Why it ended, for STOPPED and FAILED (``"strategy"``,
            ``"budget"``, ``"nan loss"``, ...).
        objectives: Multi-objective runs only: the trial's objective vector, in the
            order of :attr:`Strategy.objectives` (raw values, each in its own
            direction), when its weights reached ``max_epochs`` without failing;
            ``None`` otherwise (a partial curve has a metric, not a full solution).
    """

    status: TrialStatus
    values: tuple[float, ...] = ()
    start_epoch: int = 0
    reason: str = ""
    objectives: tuple[float, ...] | None = None

    @property
    def epochs(self) -> int:
        """Total epochs the weights have been trained at the end of this trial."""
        return self.start_epoch + len(self.values)

    @property
    def last_value(self) -> float | None:
        """The last validation value, or ``None`` if no epoch finished."""
        return self.values[-1] if self.values else None


class Strategy(ABC):
    """Base class of every search strategy.

    Subclasses set the class attribute ``name`` (as the matrix file spells it),
    store their constructor arguments unchanged (scikit-learn style, so
    :meth:`get_params` can record them), and implement :meth:`ask` and
    :meth:`tell`. :meth:`setup` is called once per run before anything else.

    A strategy that searches several objectives at once sets ``multi_objective =
    True``; the harness sets :attr:`objectives` before :meth:`setup` and gives each
    trial that reached ``max_epochs`` its vector in :attr:`TrialResult.objectives`,
    while :meth:`report` still receives the per-epoch metric. A matrix refuses, at
    load time, a single-objective strategy on a multi-objective entry and the reverse.
    """

    name: ClassVar[str] = ""
    #: ``True`` when the proposals do not depend on the seed; the conformance kit
    #: (:mod:`tunebench.strategies.testing`) then skips its different-seed check.
    deterministic: ClassVar[bool] = False
    #: ``True`` when the proposals depend on Python's string hashing (a library that
    #: iterates a ``set``): the harness then runs it under ``PYTHONHASHSEED=0``.
    fixed_hash_seed: ClassVar[bool] = False
    #: ``True`` when the strategy searches an objective vector (it reads
    #: :attr:`objectives` and :attr:`TrialResult.objectives`); such a strategy runs only
    #: on multi-objective entries, and every other one only on single-objective entries.
    multi_objective: ClassVar[bool] = False

    space: SearchSpace
    fidelity: Fidelity
    direction: Direction
    seed: int

    _next_trial_id: int = 0

    #: Set by the harness, before :meth:`setup`, to a folder inside the run's folder. Strategies
    #: that write files (a library's own trial records, say) put them there, never in the
    #: working directory. ``None`` outside the harness: such a strategy then uses a temporary
    #: folder of its own.
    scratch_dir: Path | None = None

    #: Set by the harness, before :meth:`setup`, on a multi-objective run: the objectives
    #: and their directions. ``None`` on a single-objective run.
    objectives: Objectives | None = None

    def check_params(self) -> None:
        """Raise ``ValueError`` (one line, naming the parameter) for invalid parameters.

        Called when a matrix is loaded, before anything trains. Constructors only
        store their arguments, so validation lives here. Also raise when an
        optional dependency the strategy needs is missing.
        """
        return None

    def setup(
        self, space: SearchSpace, fidelity: Fidelity, direction: Direction, seed: int
    ) -> None:
        """Prepare for one run.

        Override to build samplers; call ``super().setup(...)`` first.

        Args:
            space: The search space (in replay mode, the grid-shaped space).
            fidelity: Epoch range of the problem.
            direction: Whether larger or smaller validation values are better.
            seed: The strategy's own seed stream, derived from the run seed.
        """
        self.space = space
        self.fidelity = fidelity
        self.direction = direction
        self.seed = seed
        self._next_trial_id = 0

    @abstractmethod
    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        """Return the next trial to train, :class:`Wait` or :class:`Exhausted`."""

    def report(self, trial_id: int, epoch: int, value: float) -> Decision:
        """Receive the validation value after ``epoch`` (1-based) of a trial.

        The default never prunes. Pruning strategies answer :attr:`Decision.STOP`.
        """
        return Decision.CONTINUE

    def report_objectives(
        self, trial_id: int, epoch: int, value: float, objectives: tuple[float, ...]
    ) -> Decision:
        """Multi-objective runs: :meth:`report`, with the trial's objective vector so far.

        ``objectives`` is in the order of :attr:`objectives`: what the trial measured up
        to ``epoch`` (``metric``: ``value``; ``train_seconds``: its epochs' seconds so
        far) and the config's fixed values (``params``, ``flops``). The harness calls
        this instead of :meth:`report` where the vector is known; the default hands
        ``value`` to :meth:`report`, so only a strategy that ranks partial vectors (a
        multi-fidelity multi-objective one) overrides it.
        """
        return self.report(trial_id, epoch, value)

    @abstractmethod
    def tell(self, trial_id: int, result: TrialResult) -> None:
        """Receive the end of a trial (complete, stopped or failed)."""

    def evaluated_as(self, trial_id: int, config: dict[str, Any]) -> None:
        """Learn that trial ``trial_id`` is evaluated as ``config``, not as it was proposed.

        A simulated mode serves a proposal from a recorded config (on a sampled table, the
        nearest one the run has not been served yet), and the harness then calls this,
        right after the proposal and before any report. A strategy records ``config`` in
        its own history in place of the proposal, so that what it learns is the config
        whose curve it sees, and resumes the trial (``resume_from``) with ``config``.

        The default does nothing, so the strategy learns from its proposal; each run's
        provenance says which a strategy does (``learns_served``).
        """
        return None

    def keep_weights(self, trial_id: int) -> bool:
        """Whether the harness should keep this ended trial's weights for a resume.

        Multi-fidelity strategies that propose ``resume_from`` return ``True``
        for trials they may promote. Kept weights are held in memory and
        spilled to the run's scratch folder when memory is tight.
        """
        return False

    def new_trial_id(self) -> int:
        """Return a fresh trial id (0, 1, 2, ...)."""
        trial_id = self._next_trial_id
        self._next_trial_id += 1
        return trial_id

    def better(self, a: float, b: float) -> bool:
        """Whether value ``a`` is strictly better than ``b`` in this run's direction."""
        if math.isnan(a):
            return False
        if math.isnan(b):
            return True
        return a > b if self.direction == "maximize" else a < b

    @classmethod
    def param_names(cls) -> list[str]:
        """Names of the constructor parameters (what a matrix may set in ``params``)."""
        return constructor_params(cls)

    def get_params(self) -> dict[str, Any]:
        """Constructor arguments as stored on the instance (recorded in provenance)."""
        return {name: getattr(self, name) for name in self.param_names()}
