"""Conformance kit: the checks every strategy, built-in or plug-in, must pass.

Like ``optuna.testing``, this ships with the package so that a plug-in author can
run the same suite on their own strategy::

    from tunebench.strategies.testing import check_strategy
    from my_package import MyStrategy

    def test_my_strategy_conforms():
        check_strategy(MyStrategy)              # or check_strategy(MyStrategy, {"k": 3})

or one pytest case per check::

    import pytest
    from tunebench.strategies.testing import CHECKS

    @pytest.mark.parametrize("check", sorted(CHECKS))
    def test_conformance(check):
        CHECKS[check](MyStrategy, None)

The checks drive the strategy with :func:`drive`: the harness's own run loop
(:class:`tunebench.run.loop.RunLoop`, the loop of every ``tunebench run``) over a
synthetic trial backend (:class:`SyntheticTrainer`) instead of training. The
validation value is a fixed smooth function of the config and the epoch
(:func:`fake_value`), failed trials (NaN loss) are injected on request, budget
accounting and cuts are the ledger's (a trial that would pass the cap is cut
there, ``STOPPED`` with reason ``"budget"``), and several trials may be in
flight at once on simulated workers, so strategies that answer :class:`Wait`
are exercised. Every protocol rule a run enforces is checked on every proposal,
because it is the same code; a violation raises :class:`ConformanceError`.

A multi-objective strategy (``multi_objective = True``) is driven on a multi-objective
problem (:class:`SyntheticObjectives`: the metric against a model-size-like cost that
its best configs do not minimise), so every check applies to it too, and
:func:`check_multi_objective_vectors` checks that vectors reach exactly the trials that
trained to ``max_epochs``.

What is checked is the contract with the harness, not search quality.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunebench.backends.synthetic import (
    SyntheticObjectives,
    SyntheticSession,
    SyntheticTrainer,
    fake_value,
    grid_config,
)
from tunebench.strategies.base import (
    Direction,
    Exhausted,
    Fidelity,
    Objectives,
    Strategy,
    TrialResult,
    TrialStatus,
)
from tunebench.strategies.space import (
    Categorical,
    Condition,
    Float,
    Int,
    SearchSpace,
)

__all__ = [
    "CHECKS",
    "FIDELITY",
    "ConformanceError",
    "DriveResult",
    "ProposalRecord",
    "SyntheticObjectives",
    "SyntheticSession",
    "SyntheticTrainer",
    "check_multi_objective_vectors",
    "check_strategy",
    "drive",
    "fake_value",
    "finite_space",
    "grid_config",
    "mlp_like_space",
]

#: The fidelity the checks use: 1..4 epochs.
FIDELITY = Fidelity(1, 4)


class ConformanceError(AssertionError):
    """A strategy broke the protocol or failed a conformance check."""


def mlp_like_space() -> SearchSpace:
    """A conditional space shaped like the MLP spaces of the shipped problems."""
    return SearchSpace(
        [
            Int("n_layers", 1, 3, default=2),
            Int("units_1", 4, 128, log=True, default=32),
            Int("units_2", 4, 128, log=True, default=32, condition=Condition("n_layers", (2, 3))),
            Int("units_3", 4, 128, log=True, default=32, condition=Condition("n_layers", (3,))),
            Categorical("optimizer", ("adam", "rmsprop", "sgd")),
            Float("learning_rate", 1e-4, 1e-1, log=True, default=1e-3),
            Float("dropout", 0.0, 0.5),
            Categorical("batch_size", (32, 64, 128, 256), default=64),
        ],
        continuable=("optimizer", "learning_rate", "dropout", "batch_size"),
    )


def finite_space() -> SearchSpace:
    """A tiny finite space: 3 x 2 configs, plus a conditional flag on one branch (8 in all)."""
    return SearchSpace(
        [
            Categorical("activation", ("relu", "tanh", "elu")),
            Categorical("width", (8, 16)),
            Categorical("batchnorm", (True, False), condition=Condition("activation", ("elu",))),
        ]
    )


@dataclass(frozen=True)
class ProposalRecord:
    """A proposal as the driver saw it (config canonical)."""

    trial_id: int
    config: dict[str, Any]
    target_epochs: int
    resume_from: int | None


@dataclass
class DriveResult:
    """What happened when a strategy was driven.

    Attributes:
        proposals: Every proposal, in ask order.
        results: What each trial was told.
        epochs_used: Epochs charged (never more than ``budget_epochs``).
        budget_epochs: The cap.
        ended: ``"exhausted"``, ``"budget"``, ``"max_trials"`` or ``"deadline"``.
        waits: How many times the strategy answered :class:`Wait`.
        strategy_seconds: Wall time spent inside the strategy's methods (ask, report,
            tell, keep_weights), setup excluded.
        seconds_at: ``strategy_seconds`` after each told trial, in tell order.
        setup_seconds: Wall time of ``setup``.
    """

    proposals: list[ProposalRecord] = field(default_factory=list)
    results: dict[int, TrialResult] = field(default_factory=dict)
    epochs_used: int = 0
    budget_epochs: int = 0
    ended: str = ""
    waits: int = 0
    strategy_seconds: float = 0.0
    seconds_at: list[float] = field(default_factory=list)
    setup_seconds: float = 0.0

    def trace(self) -> list[tuple[Any, ...]]:
        """Proposals and outcomes, for comparing two runs."""
        out: list[tuple[Any, ...]] = []
        for p in self.proposals:
            r = self.results.get(p.trial_id)
            outcome = None if r is None else (r.status.value, len(r.values), r.reason)
            out.append((p.trial_id, p.config, p.target_epochs, p.resume_from, outcome))
        return out


def drive(
    strategy: Strategy,
    *,
    space: SearchSpace | None = None,
    seed: int = 0,
    budget_epochs: int = 40,
    fidelity: Fidelity = FIDELITY,
    direction: Direction = "maximize",
    fail_every: int = 0,
    concurrency: int = 1,
    objective: Callable[[SearchSpace, Mapping[str, Any], int], float] = fake_value,
    max_trials: int | None = None,
    max_seconds: float | None = None,
    max_asks: int = 20_000,
    serve_grid: bool = False,
) -> DriveResult:
    """Set the strategy up and run it in the harness's own loop, on the synthetic backend.

    This is :class:`tunebench.run.loop.RunLoop`, the loop of every ``tunebench run``,
    over :class:`SyntheticTrainer`: every protocol rule a run enforces is enforced
    here, the ledger charges and cuts trials exactly as in a run, and with
    ``concurrency > 1`` trials run on simulated workers, so ``Wait`` is exercised.

    Args:
        strategy: A fresh strategy instance.
        space: The search space; :func:`mlp_like_space` by default.
        seed: The strategy seed.
        budget_epochs: The cap in epochs.
        fidelity: Epoch range.
        direction: ``"maximize"`` (values as :func:`fake_value`) or ``"minimize"``
            (``1 - value``).
        fail_every: Every ``fail_every``-th proposal fails (NaN loss) at its first or
            second new epoch, alternately; 0 for none.
        concurrency: Trials in flight at most; 1 plays the sequential harness (where a
            ``Wait`` is a protocol error).
        objective: ``(space, config, epoch) -> value``.
        max_trials: Stop asking after this many proposals (``ended = "max_trials"``).
        max_seconds: Stop asking when the strategy has used this much time (``"deadline"``).
        max_asks: Safety limit on calls to ``ask``.
        serve_grid: Serve every proposal from the nearest grid config instead (see
            :func:`grid_config`), as a simulated mode serves recorded configs.

    Returns:
        What happened.

    Raises:
        ConformanceError: The strategy broke a protocol rule.
    """
    from tunebench.backends.session import SnapshotStore
    from tunebench.records.events import TrialStart
    from tunebench.run.ledger import Ledger
    from tunebench.run.loop import Limits, MemoryLog, ProtocolError, RunLoop

    space = mlp_like_space() if space is None else space
    label = f"strategy {type(strategy).__name__} ({strategy.name!r})"
    trainer = SyntheticTrainer(space, direction, objective, fail_every, serve_grid)
    objectives = None
    if type(strategy).multi_objective:  # as a run does, before setup
        objectives = SyntheticObjectives(trainer, fidelity.max_epochs)
        strategy.objectives = Objectives(objectives.names, objectives.minimise)
    loop = RunLoop(
        strategy,
        space,
        fidelity,
        Ledger.capped_in_epochs(fidelity.max_epochs, budget_epochs),
        trainer,
        SnapshotStore(Path(tempfile.gettempdir()) / "tunebench-kit-unused"),
        run_seed=seed,
        concurrency=concurrency,
        limits=Limits(max_trials, max_seconds, max_asks),
        direction=direction,
        objectives=objectives,
    )
    t0 = time.perf_counter()
    strategy.setup(space, fidelity, direction, seed)
    setup_seconds = time.perf_counter() - t0
    log = MemoryLog()
    try:
        end = loop.run(log)
        if end.kind == "exhausted":
            for _ in range(3):
                again = loop.timed(lambda: strategy.ask(loop.ledger.view()))
                if not isinstance(again, Exhausted):
                    raise ConformanceError(
                        f"{label}: ask() after Exhausted returned {again!r}; it must stay Exhausted"
                    )
    except ProtocolError as exc:
        raise ConformanceError(f"{label}: {exc}") from None
    finally:
        loop.store.clear()
    out = DriveResult(budget_epochs=budget_epochs, setup_seconds=setup_seconds)
    for e in log.events:
        if isinstance(e, TrialStart):
            out.proposals.append(ProposalRecord(e.trial, e.config, e.target_epochs, e.resume_from))
    out.results = dict(loop.results)
    out.epochs_used = loop.ledger.epochs
    out.ended = end.kind
    out.waits = loop.waits
    out.strategy_seconds = loop.ledger.overhead_seconds
    out.seconds_at = list(loop.told_at)
    if out.epochs_used > budget_epochs:  # the ledger's own invariant
        raise ConformanceError(f"{label}: charged {out.epochs_used} epochs past the cap")
    return out


# ---------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------

Check = Callable[[type[Strategy], Mapping[str, Any] | None], None]


def _make(cls: type[Strategy], params: Mapping[str, Any] | None) -> Strategy:
    return cls(**dict(params or {}))


def check_constructor_only_stores_params(
    cls: type[Strategy], params: Mapping[str, Any] | None = None
) -> None:
    """``name`` set, ``get_params()`` returns the arguments given, ``check_params()`` passes."""
    if not isinstance(cls.name, str) or not cls.name:
        raise ConformanceError(f"{cls.__name__}: class attribute `name` must be a non-empty str")
    given = dict(params or {})
    strategy = _make(cls, given)
    stored = strategy.get_params()
    if set(stored) != set(cls.param_names()):
        raise ConformanceError(
            f"{cls.name}: get_params() keys {sorted(stored)} differ from "
            f"the constructor's {sorted(cls.param_names())}"
        )
    for key, value in given.items():
        if stored[key] != value:
            raise ConformanceError(
                f"{cls.name}: constructor changed parameter {key!r}: got {value!r}, "
                f"stored {stored[key]!r}; constructors must only store their arguments"
            )
    try:
        strategy.check_params()
    except (ValueError, ImportError) as exc:
        raise ConformanceError(f"{cls.name}: check_params() refuses {given}: {exc}") from exc


def check_follows_the_protocol(cls: type[Strategy], params: Mapping[str, Any] | None) -> None:
    """Sequential harness on a conditional space, maximize and minimize: valid proposals."""
    directions: tuple[Direction, ...] = ("maximize", "minimize")
    for direction in directions:
        out = drive(_make(cls, params), seed=0, direction=direction)
        if not out.proposals:
            raise ConformanceError(f"{cls.name}: proposed nothing ({direction})")


def check_budget_is_never_exceeded(cls: type[Strategy], params: Mapping[str, Any] | None) -> None:
    """A cap that cuts trials mid-way: no crash, nothing charged past it, cuts told."""
    for cap in (1, 10, 23):
        out = drive(_make(cls, params), seed=4, budget_epochs=cap)
        if out.epochs_used > cap:
            raise ConformanceError(f"{cls.name}: {out.epochs_used} epochs charged, cap {cap}")
        charged = sum(
            len(r.values) + (r.status is TrialStatus.FAILED) for r in out.results.values()
        )
        if charged != out.epochs_used:
            raise ConformanceError(
                f"{cls.name}: trials account for {charged} epochs, the ledger for {out.epochs_used}"
            )


def check_same_seed_same_proposals(cls: type[Strategy], params: Mapping[str, Any] | None) -> None:
    """Two fresh instances with one seed propose the same, sequentially and concurrently."""
    for concurrency in (1, 3):
        a = drive(_make(cls, params), seed=7, budget_epochs=80, concurrency=concurrency)
        b = drive(_make(cls, params), seed=7, budget_epochs=80, concurrency=concurrency)
        if a.trace() != b.trace():
            raise ConformanceError(
                f"{cls.name}: the same seed gave different proposals (concurrency "
                f"{concurrency}); derive every random choice from the seed given to setup()"
            )


def check_different_seed_different_proposals(
    cls: type[Strategy], params: Mapping[str, Any] | None
) -> None:
    """Seeds 1 and 2 propose differently (skipped for ``deterministic = True`` classes)."""
    if cls.deterministic:
        return
    a = drive(_make(cls, params), seed=1, budget_epochs=80)
    b = drive(_make(cls, params), seed=2, budget_epochs=80)
    if a.trace() == b.trace():
        raise ConformanceError(
            f"{cls.name}: seeds 1 and 2 gave the same proposals; use the seed, or set "
            "`deterministic = True` on the class"
        )


def check_failed_trials_do_not_break_it(
    cls: type[Strategy], params: Mapping[str, Any] | None
) -> None:
    """Every second trial fails with a NaN loss; the strategy keeps proposing."""
    for concurrency in (1, 3):
        out = drive(_make(cls, params), seed=3, fail_every=2, concurrency=concurrency)
        failed = sum(r.status is TrialStatus.FAILED for r in out.results.values())
        if out.ended != "exhausted" and (len(out.proposals) < 4 or not failed):
            raise ConformanceError(
                f"{cls.name}: only {len(out.proposals)} proposals with failures injected"
            )


def check_finite_space_ends_exhausted(
    cls: type[Strategy], params: Mapping[str, Any] | None
) -> None:
    """On an 8-config space with budget to spare, it ends with Exhausted and stays so."""
    space = finite_space()
    for concurrency in (1, 3):
        out = drive(
            _make(cls, params), space=space, seed=5, budget_epochs=400, concurrency=concurrency
        )
        if out.ended != "exhausted":
            raise ConformanceError(
                f"{cls.name}: on a finite space of 8 configs it never returned Exhausted "
                f"({len(out.proposals)} proposals, {out.epochs_used} of 400 epochs)"
            )


def check_works_with_trials_in_flight(
    cls: type[Strategy], params: Mapping[str, Any] | None
) -> None:
    """Up to 4 trials in flight; Wait only with trials running; resumes only ended trials."""
    out = drive(_make(cls, params), seed=6, budget_epochs=80, concurrency=4)
    if not out.proposals:
        raise ConformanceError(f"{cls.name}: proposed nothing with trials in flight")


def check_works_when_served_other_configs(
    cls: type[Strategy], params: Mapping[str, Any] | None
) -> None:
    """Served recorded configs instead of its proposals (as replay does), it keeps the rules.

    With trials in flight, a strategy that learns the served configs
    (:meth:`~tunebench.strategies.base.Strategy.evaluated_as`) must resume them as served.
    """
    out = drive(_make(cls, params), seed=7, budget_epochs=80, concurrency=2, serve_grid=True)
    if not out.proposals:
        raise ConformanceError(f"{cls.name}: proposed nothing when served other configs")


def check_multi_objective_vectors(cls: type[Strategy], params: Mapping[str, Any] | None) -> None:
    """Vectors reach exactly the trials that trained to ``max_epochs``, in order and length.

    On the kit's multi-objective problem (:class:`SyntheticObjectives`), sequentially and
    with trials in flight, with failures injected. A single-objective strategy is never
    told a vector.
    """
    for concurrency in (1, 3):
        out = drive(
            _make(cls, params), seed=8, budget_epochs=60, concurrency=concurrency, fail_every=5
        )
        if not out.proposals:
            raise ConformanceError(f"{cls.name}: proposed nothing on a multi-objective problem")
        for trial_id, r in out.results.items():
            full = r.status is not TrialStatus.FAILED and r.epochs >= FIDELITY.max_epochs
            if not cls.multi_objective or not full:
                if r.objectives is not None:
                    raise ConformanceError(
                        f"{cls.name}: trial {trial_id} ({r.status.value}, {r.epochs} epochs) "
                        "was told a vector"
                    )
                continue
            if r.objectives is None or len(r.objectives) != 2:
                raise ConformanceError(
                    f"{cls.name}: trial {trial_id} reached max_epochs but was told "
                    f"{r.objectives!r}, not a vector of 2"
                )
            if r.objectives[0] != r.last_value:
                raise ConformanceError(
                    f"{cls.name}: trial {trial_id}'s vector does not start with its metric"
                )


#: Every check by name; each takes ``(strategy class, constructor params or None)``.
CHECKS: dict[str, Check] = {
    "constructor_only_stores_params": check_constructor_only_stores_params,
    "follows_the_protocol": check_follows_the_protocol,
    "budget_is_never_exceeded": check_budget_is_never_exceeded,
    "same_seed_same_proposals": check_same_seed_same_proposals,
    "different_seed_different_proposals": check_different_seed_different_proposals,
    "failed_trials_do_not_break_it": check_failed_trials_do_not_break_it,
    "finite_space_ends_exhausted": check_finite_space_ends_exhausted,
    "works_with_trials_in_flight": check_works_with_trials_in_flight,
    "works_when_served_other_configs": check_works_when_served_other_configs,
    "multi_objective_vectors": check_multi_objective_vectors,
}


def check_strategy(cls: type[Strategy], params: Mapping[str, Any] | None = None) -> None:
    """Run every conformance check on a strategy class.

    Args:
        cls: The strategy class (as registered).
        params: Constructor arguments; defaults when ``None``.

    Raises:
        ConformanceError: The first check that fails, named in the message.
    """
    for name, check in CHECKS.items():
        try:
            check(cls, params)
        except ConformanceError as exc:
            raise ConformanceError(f"[{name}] {exc}") from exc
