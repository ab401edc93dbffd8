"""The run loop: one strategy driven against one trial backend, under one ledger.

This is the only place the protocol between the harness and a strategy is
enforced (as CARP-S keeps one runner loop): ask the strategy whenever a worker
is free, validate the proposal, open the trial on the backend, charge every
epoch to the ledger, log every event, report each value back, tell the
strategy how the trial ended, until the budget is spent or the strategy is
exhausted. ``tunebench run`` drives it over live Keras training, k-fold or a
replay table (:mod:`tunebench.backends.registry`); the strategies' conformance kit
(:mod:`tunebench.strategies.testing`) drives the same loop over a synthetic
backend, so the kit checks exactly the rules a run enforces.

With ``concurrency = N`` up to N trials are in flight, each on its own worker
(:mod:`tunebench.run.in_flight`): simulated workers on the backend's recorded clock
for replay, threads that really train for live runs.
"""

from __future__ import annotations

import bisect
import json
import time
from collections.abc import Callable
from typing import Any

from tunebench.backends.session import EpochOutcome, SnapshotStore, Trainer
from tunebench.errors import describe_exception
from tunebench.records.events import Charge, Epoch, Served, TrialEnd, TrialStart
from tunebench.run.in_flight import Active, SimulatedWorkers, ThreadWorkers, Workers
from tunebench.run.incumbent import IncumbentWatch, TrialRecord, pick_incumbent
from tunebench.run.interfaces import (
    FIDELITY_KEYS,
    EventLog,
    Limits,
    LoopEnd,
    MemoryLog,
    ObjectiveSource,
    ProtocolError,
)
from tunebench.run.ledger import Ledger
from tunebench.seeding import seed_for
from tunebench.strategies.base import (
    Decision,
    Exhausted,
    Fidelity,
    Proposal,
    Strategy,
    TrialResult,
    TrialStatus,
    Wait,
)
from tunebench.strategies.space import InvalidConfigError, SearchSpace

__all__ = [
    "FIDELITY_KEYS",
    "EventLog",
    "Limits",
    "LoopEnd",
    "MemoryLog",
    "ObjectiveSource",
    "ProtocolError",
    "RunLoop",
    "TrialRecord",
    "pick_incumbent",
]


class RunLoop:
    """One strategy against one backend, until the budget or the strategy ends.

    Args:
        strategy: A strategy, already set up.
        space: The space the strategy was set up with (proposals are checked against it).
        fidelity: Its epoch range.
        ledger: Charges every epoch, setup and the strategy's own time.
        trainer: The trial backend's trainer: opens one session per trial.
        store: Keeps the weights that ``keep_weights`` asks for.
        run_seed: The run seed (each trial's training seed derives from it).
        concurrency: Trials in flight at most.
        simulated: Whether the backend's clock is simulated (replay, synthetic): then
            several trials in flight run on simulated workers, else on threads.
        on_charge: Called after every epoch charge with the share of the budget spent.
        limits: Extra ends (the conformance kit's).
        direction: The problem's direction: test is scored only for trials that can
            still become the incumbent when they end (:class:`IncumbentWatch`).
        objectives: A multi-objective run's objective vectors: each trial whose weights
            reach ``max_epochs`` gets its measured vector (logged and told to the
            strategy) and its scored point (logged and kept in :attr:`points`).
    """

    def __init__(
        self,
        strategy: Strategy,
        space: SearchSpace,
        fidelity: Fidelity,
        ledger: Ledger,
        trainer: Trainer,
        store: SnapshotStore,
        *,
        run_seed: int,
        concurrency: int = 1,
        simulated: bool = True,
        on_charge: Callable[[float], None] | None = None,
        limits: Limits | None = None,
        direction: str = "maximize",
        objectives: ObjectiveSource | None = None,
    ) -> None:
        self.strategy = strategy
        self.space = space
        self.fidelity = fidelity
        self.ledger = ledger
        self.trainer = trainer
        self.store = store
        self.run_seed = run_seed
        self.concurrency = concurrency
        self.simulated = simulated
        self.on_charge = on_charge
        self.limits = limits or Limits()
        self.trials: dict[int, TrialRecord] = {}
        self.results: dict[int, TrialResult] = {}  # what each trial was told
        self.told_at: list[float] = []  # strategy seconds after each tell
        self.asks = 0
        self.waits = 0
        self.eval_seconds = 0.0
        self.test_scored = 0  # trials scored on test
        self.watch = IncumbentWatch(direction, fidelity.max_epochs)
        self.now = 0.0  # the clock of a run with several trials in flight
        self.workers: Workers | None = None
        self.objectives = objectives
        self.points: dict[int, tuple[float, ...]] = {}  # scored points, multi-objective
        self.seconds: dict[int, float] = {}  # each trial's epochs' seconds, from epoch 1
        self.keys: dict[int, str] = {}  # config keys of multi-objective trials, made once

    # -- the strategy's side ---------------------------------------------------------------

    def timed(self, fn: Callable[[], Any]) -> Any:
        """Call a strategy method and charge its wall time as strategy overhead."""
        t0 = time.perf_counter()
        try:
            return fn()
        finally:
            self.ledger.charge_overhead(time.perf_counter() - t0)

    def ask(self) -> Proposal | Wait | Exhausted:
        """Ask the strategy; check that the answer is one the protocol allows."""
        self.asks += 1
        limit = self.limits.max_asks
        if limit is not None and self.asks > limit:
            raise ProtocolError(
                f"strategy {self.strategy.name!r} was neither exhausted nor out of budget "
                f"after {limit} asks"
            )
        answer = self.timed(lambda: self.strategy.ask(self.ledger.view()))
        if not isinstance(answer, (Proposal, Wait, Exhausted)):
            raise ProtocolError(
                f"strategy {self.strategy.name!r} returned {answer!r} from ask(); "
                "expected Proposal, Wait or Exhausted"
            )
        if isinstance(answer, Wait):
            self.waits += 1
        return answer

    def wait_error(self, in_flight: int) -> ProtocolError:
        """The error for a ``Wait`` that nothing in flight can end."""
        return ProtocolError(
            f"strategy {self.strategy.name!r} returned Wait with no trial in flight "
            f"({len(self.trials)} trials ended, {in_flight} in flight)"
        )

    def check(self, proposal: Proposal) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Validate a proposal; return the config it trains, and the proposal if another.

        They differ when it resumes a trial that was served another config than its
        proposal: it continues what was served (:meth:`resumed_as_served`).
        """
        name = self.strategy.name
        if not isinstance(proposal.trial_id, int) or proposal.trial_id in self.trials:
            raise ProtocolError(f"strategy {name!r} reused trial id {proposal.trial_id!r}")
        smuggled = [k for k in proposal.config if k in FIDELITY_KEYS or str(k).startswith("tuner/")]
        if smuggled and not all(k in self.space.names for k in smuggled):
            raise ProtocolError(
                f"strategy {name!r}: config carries the fidelity in {smuggled}; use target_epochs"
            )
        try:
            config = asked = self.space.canonical(proposal.config)
        except InvalidConfigError as exc:
            raise ProtocolError(f"strategy {name!r} proposed an invalid config: {exc}") from exc
        target = proposal.target_epochs
        if not isinstance(target, int) or not 1 <= target <= self.fidelity.max_epochs:
            raise ProtocolError(
                f"strategy {name!r} asked for {target!r} epochs; "
                f"allowed 1..{self.fidelity.max_epochs}"
            )
        if proposal.resume_from is not None:
            old = self.trials.get(proposal.resume_from)
            if old is None or proposal.resume_from not in self.store:
                raise ProtocolError(
                    f"strategy {name!r} resumes trial {proposal.resume_from}, whose weights "
                    "were not kept (keep_weights returned False, the trial failed, has not "
                    "ended or never ran)"
                )
            if old.proposed is not None:
                config = self.resumed_as_served(old, asked)
            changed = self.space.changed(old.config, config)
            fixed = [k for k in changed if k not in self.space.continuable]
            if fixed:
                allowed = ", ".join(self.space.continuable) or "none"
                raise ProtocolError(
                    f"strategy {name!r} resumes trial {proposal.resume_from} with another "
                    f"config: it changes {fixed}, which a continuation of the weights may not "
                    f"change (this space's continuable parameters: {allowed})"
                )
            if target <= old.epochs:
                raise ProtocolError(
                    f"strategy {name!r} resumes trial {proposal.resume_from} at "
                    f"{target} epochs, but it already has {old.epochs}"
                )
        return config, (asked if asked != config else None)

    def resumed_as_served(self, old: TrialRecord, config: dict[str, Any]) -> dict[str, Any]:
        """A resume of a trial that was served another config than its proposal.

        A strategy that resumes its proposal (changing at most continuable settings, as
        population-based training does) continues what was evaluated: the served config,
        with those settings. Any other change is checked as usual.
        """
        assert old.proposed is not None
        moved = self.space.changed(old.proposed, config)
        if any(k not in self.space.continuable for k in moved):
            return config
        settings = {k: config[k] for k in moved if k in config}
        return self.space.canonical({**old.config, **settings})

    def evaluated_as(self, rec: TrialRecord, config_key: str) -> None:
        """The trial is served another (recorded) config: record it and tell the strategy.

        The trial's record names the config whose curve it gets, so the incumbent and
        ``best_config`` are what was scored; the proposal is kept beside it.
        """
        served = self.space.canonical(json.loads(config_key))
        rec.proposed, rec.config = rec.config, served
        self.timed(lambda: self.strategy.evaluated_as(rec.trial_id, dict(served)))

    # -- one trial's phases ----------------------------------------------------------------

    def begin_trial(
        self, proposal: Proposal, log: EventLog, worker: int | None = None
    ) -> Active | None:
        """Check a proposal, open its session and charge its setup.

        Returns ``None`` when the session could not be opened (the trial has then
        failed alone and ended).
        """
        config, proposed = self.check(proposal)
        trial_id, target = proposal.trial_id, proposal.target_epochs
        resume = None if proposal.resume_from is None else self.store.get(proposal.resume_from)
        start = 0 if resume is None else resume.epochs
        # a resume of a served trial's proposal keeps it, so later resumes continue too
        rec = TrialRecord(trial_id, config, start, proposed=proposed)
        self.trials[trial_id] = rec
        # a resumed trial's train_seconds count its ancestors' epochs, as live training would
        resumed = proposal.resume_from
        self.seconds[trial_id] = 0.0 if resumed is None else self.seconds.get(resumed, 0.0)
        log.write(
            TrialStart(
                trial=trial_id,
                config=config,
                target_epochs=target,
                resume_from=proposal.resume_from,
                start_epoch=start,
                worker=worker,
            )
        )
        try:
            session = self.trainer.open(
                config,
                self.space.config_key(config),
                seed_for(self.run_seed, "training", trial_id),
                resume,
            )
        except Exception as exc:  # a model that cannot be built fails its trial alone
            rec.status, rec.reason = TrialStatus.FAILED, describe_exception(exc)
            self.end_trial(rec, log)
            return None
        served = session.served
        if served is not None:
            log.write(Served(trial=trial_id, config_key=served[0], distance=served[1]))
            if served[0] != self.space.config_key(config):
                self.evaluated_as(rec, served[0])
        cost = self.ledger.charge_setup(session.setup_seconds)
        log.write(
            Charge(trial=trial_id, kind_="setup", cost=cost, budget_used=self.ledger.budget_used)
        )
        affordable = self.ledger.affordable_epochs()
        stop_at = target if affordable is None else min(target, start + affordable)
        if worker is not None:  # with trials in flight the budget is checked epoch by epoch
            stop_at = target
        return Active(rec, session, target, stop_at, worker)

    def epoch_done(
        self, a: Active, out: EpochOutcome, log: EventLog,
        span: tuple[float, float] | None = None,
    ) -> bool:  # fmt: skip
        """Charge, log and report one epoch of a trial; whether it trains on.

        ``span`` is the epoch's (start, end) on a worker, with trials in flight.
        """
        where: dict[str, Any] = {}
        if span is not None:
            where = {"worker": a.worker, "start": span[0], "end": span[1]}
        rec, trial_id = a.rec, a.rec.trial_id
        charge = self.ledger.charge_epoch(out.seconds, out.flops)
        if self.on_charge is not None:
            self.on_charge(self.ledger.fraction_used())
        if charge.over:  # crossed a seconds cap: charged, but its result is not used
            log.write(
                Charge(trial=trial_id, kind_="over_cap", cost=charge.cost,
                       budget_used=charge.budget_used, **where)
            )  # fmt: skip
            rec.status, rec.reason = TrialStatus.STOPPED, "budget"
            return False
        log.write(
            Epoch(
                trial=trial_id,
                epoch=out.epoch,
                value=out.value,
                loss=out.loss,
                cost=charge.cost,
                budget_used=charge.budget_used,
                **where,
            )
        )
        if not out.finite:
            rec.status, rec.reason = TrialStatus.FAILED, out.why_not_finite()
            return False
        rec.values.append(out.value)
        self.seconds[trial_id] += out.seconds
        decision = self.timed(lambda: self.report(rec, out))
        if not isinstance(decision, Decision):
            raise ProtocolError(
                f"strategy {self.strategy.name!r} returned {decision!r} from report(); "
                "expected a Decision"
            )
        if out.epoch >= a.target:
            return False
        if decision is Decision.STOP:
            rec.status, rec.reason = TrialStatus.STOPPED, "strategy"
            return False
        if self.ledger.exhausted or out.epoch >= a.stop_at:
            rec.status, rec.reason = TrialStatus.STOPPED, "budget"
            return False
        return True

    def report(self, rec: TrialRecord, out: EpochOutcome) -> Decision:
        """Report an epoch: its value, and on a multi-objective run its partial vector.

        The partial vector is what the trial has measured so far (the epoch's value,
        the seconds of its epochs up to this one) with the config's fixed values, so a
        multi-fidelity multi-objective strategy ranks partial curves on every objective.
        """
        trial_id = rec.trial_id
        if self.objectives is not None:
            vector = self.objectives.observed(self.key(rec), out.value, self.seconds[trial_id])
            if vector is not None:
                return self.strategy.report_objectives(trial_id, out.epoch, out.value, vector)
        return self.strategy.report(trial_id, out.epoch, out.value)

    def finish_trial(self, a: Active, log: EventLog) -> None:
        """Score a trial on test, keep its weights if asked, close it and tell the strategy."""
        rec, session = a.rec, a.session
        try:
            if rec.status is not TrialStatus.FAILED and rec.values and self.watch.could_win(rec):
                t0 = time.perf_counter()
                rec.test_value = session.evaluate_test()
                self.eval_seconds += time.perf_counter() - t0
                self.test_scored += 1
            max_epochs = self.fidelity.max_epochs
            if rec.status is not TrialStatus.FAILED and rec.values and rec.epochs < max_epochs:
                full = session.full_length(max_epochs)  # the run's score if it returns it
                if full is not None:
                    rec.full_value, rec.full_test_value = full
            if rec.status is not TrialStatus.FAILED and self.timed(
                lambda: self.strategy.keep_weights(rec.trial_id)
            ):
                self.store.put(rec.trial_id, session.snapshot())
        except ProtocolError:
            raise
        except Exception as exc:  # a trial that breaks (e.g. out of memory) fails alone
            rec.status = TrialStatus.FAILED
            rec.reason = describe_exception(exc)
        finally:
            session.close()
        self.end_trial(rec, log)

    def fail_trial(self, a: Active, exc: BaseException, log: EventLog) -> None:
        """End a trial whose training raised: it fails alone."""
        a.rec.status, a.rec.reason = TrialStatus.FAILED, describe_exception(exc)
        a.session.close()
        self.end_trial(a.rec, log)

    def trial_objectives(
        self, rec: TrialRecord
    ) -> tuple[tuple[float, ...] | None, tuple[float, ...] | None]:
        """A multi-objective trial's measured vector and scored point, or ``None``s.

        Only a trial whose weights reached ``max_epochs`` without failing has them: a
        partial curve is no full solution (multi-fidelity strategies learn from its
        per-epoch reports).
        """
        if (
            self.objectives is None
            or rec.status is TrialStatus.FAILED
            or not rec.values
            or rec.epochs < self.fidelity.max_epochs
        ):
            return None, None
        key = self.key(rec)
        seconds = self.seconds.get(rec.trial_id, 0.0)
        observed = self.objectives.observed(key, rec.values[-1], seconds)
        return observed, self.objectives.scored(key, observed)

    def key(self, rec: TrialRecord) -> str:
        """The config key of the config a trial is evaluated as (fixed before its first epoch)."""
        key = self.keys.get(rec.trial_id)
        if key is None:
            key = self.keys[rec.trial_id] = self.space.config_key(rec.config)
        return key

    def end_trial(self, rec: TrialRecord, log: EventLog) -> None:
        """Log a trial's end and tell the strategy."""
        self.watch.ended(rec)
        observed, scored = self.trial_objectives(rec)
        if scored is not None:
            self.points[rec.trial_id] = scored
        log.write(
            TrialEnd(
                trial=rec.trial_id,
                status=rec.status.value,
                reason=rec.reason,
                epochs=rec.epochs,
                test_value=rec.test_value,
                full_value=rec.full_value,
                full_test_value=rec.full_test_value,
                objectives=None if observed is None else list(observed),
                score_objectives=None if scored is None else list(scored),
            )
        )
        result = TrialResult(
            rec.status, tuple(rec.values), rec.start_epoch, rec.reason, objectives=observed
        )
        self.results[rec.trial_id] = result
        self.timed(lambda: self.strategy.tell(rec.trial_id, result))
        self.told_at.append(self.ledger.overhead_seconds)

    def run_trial(self, proposal: Proposal, log: EventLog) -> None:
        """Train one proposal to its end, alone, and record everything that happens to it."""
        a = self.begin_trial(proposal, log)
        if a is None:
            return
        rec = a.rec
        try:
            if self.ledger.exhausted or a.stop_at <= rec.start_epoch:
                rec.status, rec.reason = TrialStatus.STOPPED, "budget"
            else:
                a.session.fit(a.stop_at, lambda out: self.epoch_done(a, out, log))
        except ProtocolError:
            a.session.close()
            raise
        except Exception as exc:  # a trial that breaks (e.g. out of memory) fails alone
            self.fail_trial(a, exc, log)
            return
        self.finish_trial(a, log)

    # -- the loop --------------------------------------------------------------------------

    def _limit_reached(self) -> LoopEnd | None:
        lim = self.limits
        if lim.max_trials is not None and len(self.trials) >= lim.max_trials:
            return LoopEnd("max_trials")
        if (
            lim.max_strategy_seconds is not None
            and self.ledger.overhead_seconds >= lim.max_strategy_seconds
        ):
            return LoopEnd("deadline")
        return None

    def run(self, log: EventLog) -> LoopEnd:
        """Ask and train until the budget, the strategy or a limit ends the run."""
        if self.concurrency > 1:
            return self.run_in_flight(log)
        while not self.ledger.exhausted:
            limit = self._limit_reached()
            if limit is not None:
                return limit
            answer = self.ask()
            if isinstance(answer, Exhausted):
                return LoopEnd("exhausted", answer.reason)
            if isinstance(answer, Wait):
                raise self.wait_error(0)  # one trial at a time: nothing to wait for
            self.run_trial(answer, log)
        return LoopEnd("budget")

    def run_in_flight(self, log: EventLog) -> LoopEnd:
        """The loop with up to ``concurrency`` trials in flight, one per worker.

        The strategy is asked whenever a worker is free; ``Wait`` leaves it free
        until the next epoch ends. Epochs are charged, logged and reported in the
        order they finish (on the simulated clock: each epoch takes its recorded
        seconds, setup before the first, ties to the lowest trial id). The budget
        is checked before an epoch starts, counting the epochs in flight, so no
        more is trained than the cap.
        """
        workers: Workers = SimulatedWorkers() if self.simulated else ThreadWorkers()
        self.workers = workers
        free = list(range(self.concurrency))
        active: dict[int, Active] = {}
        ended: LoopEnd | None = None

        def affordable() -> bool:
            """Whether one more epoch fits the budget, counting the epochs in flight."""
            left = self.ledger.affordable_epochs()
            return not self.ledger.exhausted and (left is None or left > workers.in_flight)

        def release(a: Active, failed: BaseException | None = None) -> None:
            del active[a.rec.trial_id]
            workers.stop(a)
            assert a.worker is not None
            bisect.insort(free, a.worker)
            if failed is None:
                self.finish_trial(a, log)
            else:
                self.fail_trial(a, failed, log)

        def advance(a: Active) -> None:
            """Start the trial's next epoch, or end it when the budget has no room."""
            if not affordable():
                a.rec.status, a.rec.reason = TrialStatus.STOPPED, "budget"
                release(a)
                return
            try:
                workers.start(a)
            except Exception as exc:  # a trial that breaks fails alone
                release(a, exc)

        try:
            while True:
                while ended is None and free and affordable():
                    ended = self._limit_reached()
                    if ended is not None:
                        break
                    answer = self.ask()
                    if isinstance(answer, Exhausted):
                        ended = LoopEnd("exhausted", answer.reason)
                        break
                    if isinstance(answer, Wait):
                        if not active:
                            raise self.wait_error(0)
                        break
                    worker = free.pop(0)
                    a = self.begin_trial(answer, log, worker=worker)
                    if a is None:
                        bisect.insort(free, worker)
                        continue
                    a.clock = self.now + a.session.setup_seconds
                    active[a.rec.trial_id] = a
                    advance(a)
                if not active:
                    return ended or LoopEnd("budget")
                a, out, begin, end = workers.next()
                self.now = max(self.now, end)
                if isinstance(out, BaseException):
                    release(a, out)
                    continue
                try:
                    more = self.epoch_done(a, out, log, (begin, end))
                except ProtocolError:
                    raise
                except Exception as exc:
                    release(a, exc)
                    continue
                if more:
                    advance(a)
                else:
                    release(a)
        finally:
            workers.close()
