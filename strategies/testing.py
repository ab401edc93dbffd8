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

The checks drive the strategy with :func:`drive`, which plays the harness without
training: the validation value is a fixed smooth function of the config and the
epoch (:func:`fake_value`), failed trials (NaN loss) are injected on request,
budget accounting and cuts follow the ledger exactly (a trial that would pass the
cap is cut there, ``STOPPED`` with reason ``"budget"``), and several trials may be
in flight at once, so strategies that answer :class:`Wait` are exercised: the
driver asks until it gets ``Wait`` (or has ``concurrency`` trials running), then
finishes and tells the oldest trial in flight. Every protocol rule the harness
enforces is checked on every proposal; a violation raises :class:`ConformanceError`.

What is checked is the contract with the harness, not search quality.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from tunebench.strategies.base import (
    BudgetView,
    Decision,
    Direction,
    Exhausted,
    Fidelity,
    Proposal,
    Strategy,
    TrialResult,
    TrialStatus,
    Wait,
)
from tunebench.strategies.space import (
    Categorical,
    Condition,
    Float,
    Int,
    InvalidConfigError,
    SearchSpace,
)

__all__ = [
    "CHECKS",
    "FIDELITY",
    "ConformanceError",
    "DriveResult",
    "ProposalRecord",
    "check_strategy",
    "drive",
    "fake_value",
    "finite_space",
    "mlp_like_space",
]

#: The fidelity the checks use: 1..4 epochs.
FIDELITY = Fidelity(1, 4)

# Keys that would smuggle the fidelity into a config (keras-tuner style).
_FIDELITY_KEYS = ("epochs", "epoch", "tuner/epochs", "tuner/initial_epoch", "budget")


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
        ]
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


def _position(param: Int | Float | Categorical, value: Any) -> float:
    """Where ``value`` lies in its parameter's range, 0..1."""
    if isinstance(param, Categorical):
        n = len(param.choices)
        return 0.0 if n == 1 else param.choices.index(value) / (n - 1)
    low, high = float(param.low), float(param.high)
    if high == low:
        return 0.0
    if param.log:
        return (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
    return (float(value) - low) / (high - low)


def fake_value(space: SearchSpace, config: Mapping[str, Any], epoch: int) -> float:
    """A deterministic, accuracy-like value of ``config`` after ``epoch`` epochs.

    Each active parameter has a preferred position in its range; the value rises with the
    epoch and the curves of different configs cross rarely, like real learning curves.
    """
    score = 0.0
    for i, param in enumerate(space):
        if param.name in config:
            target = (0.3 + 0.37 * i) % 1.0
            score -= (_position(param, config[param.name]) - target) ** 2
    base = 0.5 + 0.3 * score / len(space)
    return base + 0.2 * (1.0 - 0.6**epoch)


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


class _Driver:
    """Plays the harness for one strategy: validation, ledger, cuts, weights, in-flight."""

    def __init__(
        self,
        strategy: Strategy,
        space: SearchSpace,
        fidelity: Fidelity,
        direction: Direction,
        budget_epochs: int,
        fail_every: int,
        concurrency: int,
        objective: Callable[[SearchSpace, Mapping[str, Any], int], float],
    ) -> None:
        self.s = strategy
        self.label = f"strategy {type(strategy).__name__} ({strategy.name!r})"
        self.space = space
        self.fidelity = fidelity
        self.direction = direction
        self.cap = budget_epochs
        self.fail_every = fail_every
        self.concurrency = concurrency
        self.objective = objective
        self.out = DriveResult(budget_epochs=budget_epochs)
        self.configs: dict[int, dict[str, Any]] = {}
        self.kept: dict[int, int] = {}  # trial id -> epochs of its kept weights
        # (proposal, start epoch, 1-based position in ask order)
        self.in_flight: deque[tuple[ProposalRecord, int, int]] = deque()

    def fail(self, message: str) -> ConformanceError:
        return ConformanceError(f"{self.label}: {message}")

    def call(self, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        try:
            return fn()
        finally:
            self.out.strategy_seconds += time.perf_counter() - t0

    def view(self) -> BudgetView:
        return BudgetView(
            used=self.out.epochs_used / self.fidelity.max_epochs,
            total=self.cap / self.fidelity.max_epochs,
            remaining_epochs=max(0, self.cap - self.out.epochs_used),
            seconds_used=0.0,
            seconds_total=None,
        )

    def ask(self) -> Proposal | Wait | Exhausted:
        answer = self.call(lambda: self.s.ask(self.view()))
        if not isinstance(answer, (Proposal, Wait, Exhausted)):
            raise self.fail(f"ask() returned {answer!r}; expected Proposal, Wait or Exhausted")
        if isinstance(answer, Wait):
            self.out.waits += 1
            if not self.in_flight:
                raise self.fail("ask() returned Wait with no trial in flight")
        return answer

    def start(self, p: Proposal) -> None:
        """Validate a proposal exactly as the harness does; put it in flight."""
        if not isinstance(p.trial_id, int) or p.trial_id in self.configs:
            raise self.fail(f"trial id {p.trial_id!r} is not fresh")
        smuggled = [k for k in p.config if k in _FIDELITY_KEYS or str(k).startswith("tuner/")]
        if smuggled:
            raise self.fail(f"config carries the fidelity in {smuggled}; use target_epochs")
        try:
            config = self.space.canonical(p.config)
        except InvalidConfigError as exc:
            raise self.fail(f"proposed an invalid config: {exc}") from None
        if not isinstance(p.target_epochs, int) or not (
            1 <= p.target_epochs <= self.fidelity.max_epochs
        ):
            raise self.fail(
                f"asked for {p.target_epochs!r} epochs; allowed 1..{self.fidelity.max_epochs}"
            )
        start = 0
        if p.resume_from is not None:
            if p.resume_from not in self.kept:
                raise self.fail(
                    f"trial {p.trial_id} resumes trial {p.resume_from}, which has not ended, "
                    "failed, or whose weights keep_weights() did not keep"
                )
            if self.configs[p.resume_from] != config:
                raise self.fail(
                    f"trial {p.trial_id} resumes trial {p.resume_from} with another config"
                )
            start = self.kept[p.resume_from]
            if p.target_epochs <= start:
                raise self.fail(
                    f"trial {p.trial_id} resumes trial {p.resume_from} at {p.target_epochs} "
                    f"epochs, but its weights already have {start}"
                )
        self.configs[p.trial_id] = config
        record = ProposalRecord(p.trial_id, config, p.target_epochs, p.resume_from)
        self.out.proposals.append(record)
        self.in_flight.append((record, start, len(self.out.proposals)))

    def value(self, config: Mapping[str, Any], epoch: int) -> float:
        v = self.objective(self.space, config, epoch)
        return v if self.direction == "maximize" else 1.0 - v

    def finish_oldest(self) -> None:
        """Train the oldest trial in flight like the harness; tell the strategy."""
        p, start, n = self.in_flight.popleft()
        fail_at = None
        if self.fail_every and n % self.fail_every == 0:
            # Alternate failures at the first new epoch and one later (after a report).
            fail_at = min(p.target_epochs, start + 1 + (n // self.fail_every) % 2)
        affordable = max(0, self.cap - self.out.epochs_used)
        stop_at = min(p.target_epochs, start + affordable)
        values: list[float] = []
        status, reason = TrialStatus.COMPLETE, ""
        if stop_at <= start:
            status, reason = TrialStatus.STOPPED, "budget"
        else:
            for epoch in range(start + 1, stop_at + 1):
                self.out.epochs_used += 1
                if epoch == fail_at:
                    status, reason = TrialStatus.FAILED, f"nan loss at epoch {epoch}"
                    break
                value = self.value(p.config, epoch)
                values.append(value)
                decision = self.call(partial(self.s.report, p.trial_id, epoch, value))
                if not isinstance(decision, Decision):
                    raise self.fail(f"report() returned {decision!r}; expected a Decision")
                if epoch >= p.target_epochs:
                    break
                if decision is Decision.STOP:
                    status, reason = TrialStatus.STOPPED, "strategy"
                    break
                if epoch >= stop_at:
                    status, reason = TrialStatus.STOPPED, "budget"
                    break
        if self.out.epochs_used > self.cap:  # the driver's own invariant
            raise self.fail(f"charged {self.out.epochs_used} epochs past the cap {self.cap}")
        if status is not TrialStatus.FAILED:
            keep = self.call(lambda: self.s.keep_weights(p.trial_id))
            if keep:
                self.kept[p.trial_id] = start + len(values)
        result = TrialResult(status, tuple(values), start, reason)
        self.out.results[p.trial_id] = result
        self.call(lambda: self.s.tell(p.trial_id, result))
        self.out.seconds_at.append(self.out.strategy_seconds)

    def finish_all(self) -> None:
        """Finish every trial in flight (cut at the cap if the budget is spent)."""
        while self.in_flight:
            self.finish_oldest()


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
) -> DriveResult:
    """Set the strategy up and run it like the harness, without training.

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
        max_trials: Stop after this many proposals (``ended = "max_trials"``).
        max_seconds: Stop when the strategy has used this much time (``"deadline"``).
        max_asks: Safety limit on calls to ``ask``.

    Returns:
        What happened.

    Raises:
        ConformanceError: The strategy broke a protocol rule.
    """
    space = mlp_like_space() if space is None else space
    d = _Driver(
        strategy, space, fidelity, direction, budget_epochs, fail_every, concurrency, objective
    )
    t0 = time.perf_counter()
    strategy.setup(space, fidelity, direction, seed)
    d.out.setup_seconds = time.perf_counter() - t0
    asks = 0
    while True:
        if d.out.epochs_used >= budget_epochs:
            d.finish_all()  # the harness stops asking; trials in flight are cut
            d.out.ended = "budget"
            break
        if max_trials is not None and len(d.out.proposals) >= max_trials:
            d.finish_all()
            d.out.ended = "max_trials"
            break
        if max_seconds is not None and d.out.strategy_seconds >= max_seconds:
            d.finish_all()
            d.out.ended = "deadline"
            break
        if len(d.in_flight) >= concurrency:
            d.finish_oldest()
            continue
        asks += 1
        if asks > max_asks:
            raise d.fail(f"neither exhausted nor out of budget after {max_asks} asks")
        answer = d.ask()
        if isinstance(answer, Exhausted):
            d.finish_all()
            d.out.ended = "exhausted"
            break
        if isinstance(answer, Wait):
            d.finish_oldest()
            continue
        d.start(answer)
        if concurrency == 1:
            d.finish_oldest()
    if d.out.ended == "exhausted":
        for _ in range(3):
            again = d.call(lambda: strategy.ask(d.view()))
            if not isinstance(again, Exhausted):
                raise d.fail(f"ask() after Exhausted returned {again!r}; it must stay Exhausted")
    return d.out


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
