"""One run: a problem x a strategy x a seed x a budget, trained live.

This is the single runner loop (as in CARP-S): ask the strategy, validate the
proposal, train it epoch by epoch, charge every epoch to the ledger, log every
event, report each value back, tell the strategy how the trial ended, until
the budget is spent or the strategy is exhausted. Then pick the incumbent and
write ``run.json`` atomically.
"""

from __future__ import annotations

import bisect
import heapq
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tunebench.crossval import KFoldTrainer
from tunebench.datasets.problem import Problem, Splits
from tunebench.errors import TunebenchError, describe_exception
from tunebench.ledger import Ledger
from tunebench.matrix import parse_evaluation
from tunebench.nearest import SERVING_RULE
from tunebench.provenance import provenance
from tunebench.records import RUN_FILE, TRIALS_FILE, TrialLog, write_json_atomic
from tunebench.replay import ReplayTrainer
from tunebench.seeding import seed_for, seeds_of_run
from tunebench.strategies.base import (
    Decision,
    Exhausted,
    Proposal,
    Strategy,
    TrialResult,
    TrialStatus,
    Wait,
)
from tunebench.strategies.space import InvalidConfigError, SearchSpace
from tunebench.table import LearningCurveTable, TableError
from tunebench.trainer import EpochOutcome, LiveTrainer, Session, SnapshotStore, Trainer

__all__ = ["ProtocolError", "RunSpec", "TrialRecord", "execute_run", "pick_incumbent"]


class ProtocolError(TunebenchError, RuntimeError):
    """A strategy broke the protocol (invalid config, reused trial id, ...)."""

    exit_code = 1


@dataclass(frozen=True)
class RunSpec:
    """Everything that defines one run; its folder and its results follow from it.

    Attributes:
        matrix: Name of the matrix the run belongs to.
        problem: Problem name.
        problem_params: Problem options.
        max_epochs: Epochs of one full evaluation.
        subsample: Training rows kept, or ``None`` for all.
        strategy: Strategy name.
        strategy_label: Folder name of the strategy entry (unique within a matrix).
        strategy_params: Strategy constructor arguments.
        seed: The run seed.
        full_evaluations: Budget cap in full evaluations, or ``None``.
        seconds: Budget cap in seconds, or ``None``.
        mode: ``"live"`` or ``"replay"``.
        table: Replay mode: path of the learning-curve table.
        problem_label: Folder name of the problem entry (``name`` or ``name@mode``);
            empty means ``problem``.
        retrain_repeats: Retrains of the incumbent, from scratch with fresh seeds,
            scored on the test split after the search (not charged to the budget).
        evaluation: Live mode: ``"holdout"`` or ``"kfold:K"`` (how trials are scored;
            retrains always train on the training split and score the test split).
        concurrency: Trials in flight at once (replay: simulated workers).
    """

    matrix: str
    problem: str
    max_epochs: int
    strategy: str
    strategy_label: str
    seed: int
    full_evaluations: int | None = None
    seconds: float | None = None
    subsample: int | None = None
    problem_params: Mapping[str, Any] = field(default_factory=dict)
    strategy_params: Mapping[str, Any] = field(default_factory=dict)
    mode: str = "live"
    retrain_repeats: int = 0
    table: str | None = None
    problem_label: str = ""
    evaluation: str = "holdout"
    concurrency: int = 1

    @property
    def rel_dir(self) -> Path:
        """``<problem label>/<strategy>/seed=<k>``, relative to the matrix folder."""
        return Path(self.problem_label or self.problem) / self.strategy_label / f"seed={self.seed}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form, recorded in ``run.json``."""
        data = asdict(self)
        data["problem_params"] = dict(self.problem_params)
        data["strategy_params"] = dict(self.strategy_params)
        if self.concurrency == 1:  # runs of one trial at a time keep their old records
            del data["concurrency"]
        return data


@dataclass
class TrialRecord:
    """What the harness remembers about one trial (strategies never see ``test_value``)."""

    trial_id: int
    config: dict[str, Any]
    start_epoch: int
    values: list[float] = field(default_factory=list)
    status: TrialStatus = TrialStatus.COMPLETE
    reason: str = ""
    test_value: float | None = None

    @property
    def epochs(self) -> int:
        """Epochs the trial's weights have seen at its end."""
        return self.start_epoch + len(self.values)


def pick_incumbent(
    trials: Mapping[int, TrialRecord], direction: str, max_epochs: int
) -> TrialRecord | None:
    """The best trial: by last validation value among trials trained to ``max_epochs``.

    A trial cut short (pruned or stopped by the budget) counts only when no
    trial reached ``max_epochs``, because early values of different lengths are
    not comparable. Ties go to the lowest trial id, so the pick is deterministic.
    """
    scored = [t for t in trials.values() if t.values and t.status is not TrialStatus.FAILED]
    full = [t for t in scored if t.epochs >= max_epochs]
    pool = full or scored
    if not pool:
        return None
    sign = -1.0 if direction == "maximize" else 1.0
    return min(pool, key=lambda t: (sign * t.values[-1], t.trial_id))


@dataclass
class _Active:
    """A trial whose session is open: what the loop needs to drive it epoch by epoch."""

    rec: TrialRecord
    session: Session
    target: int
    stop_at: int
    worker: int | None = None
    clock: float = 0.0  # simulated time at which its next epoch starts (several in flight)


class _Run:
    """State of one run in progress; :func:`execute_run` is the public entry."""

    def __init__(
        self,
        spec: RunSpec,
        run_dir: Path,
        problem: Problem,
        trainer: Trainer,
        space: SearchSpace,
        strategy: Strategy,
        on_charge: Callable[[float], None] | None,
        final_trainer: Trainer,
    ) -> None:
        self.spec = spec
        self.final_trainer = final_trainer  # trains retrains (holdout even under kfold)
        self.problem = problem
        self.space = space
        self.fidelity = problem.fidelity(spec.max_epochs)
        self.strategy = strategy
        self.ledger = Ledger(spec.max_epochs, spec.full_evaluations, spec.seconds)
        self.trainer = trainer
        self.store = SnapshotStore(run_dir / "scratch")
        self.trials: dict[int, TrialRecord] = {}
        self.on_charge = on_charge
        self.eval_seconds = 0.0
        self.concurrency = spec.concurrency
        self.now = 0.0  # the simulated clock of a run with several trials in flight

    def timed(self, fn: Callable[[], Any]) -> Any:
        """Call a strategy method and charge its wall time as strategy overhead."""
        t0 = time.perf_counter()
        try:
            return fn()
        finally:
            self.ledger.charge_overhead(time.perf_counter() - t0)

    def check(self, proposal: Proposal) -> dict[str, Any]:
        """Validate a proposal; return its canonical config."""
        name = self.strategy.name
        if proposal.trial_id in self.trials:
            raise ProtocolError(f"strategy {name!r} reused trial id {proposal.trial_id}")
        try:
            config = self.space.canonical(proposal.config)
        except InvalidConfigError as exc:
            raise ProtocolError(f"strategy {name!r} proposed an invalid config: {exc}") from exc
        if not 1 <= proposal.target_epochs <= self.fidelity.max_epochs:
            raise ProtocolError(
                f"strategy {name!r} asked for {proposal.target_epochs} epochs; "
                f"allowed 1..{self.fidelity.max_epochs}"
            )
        if proposal.resume_from is not None:
            old = self.trials.get(proposal.resume_from)
            if old is None or proposal.resume_from not in self.store:
                raise ProtocolError(
                    f"strategy {name!r} resumes trial {proposal.resume_from}, whose weights "
                    "were not kept (keep_weights returned False or the trial never ran)"
                )
            if old.config != config:
                raise ProtocolError(
                    f"strategy {name!r} resumes trial {proposal.resume_from} with another config"
                )
            if proposal.target_epochs <= old.epochs:
                raise ProtocolError(
                    f"strategy {name!r} resumes trial {proposal.resume_from} at "
                    f"{proposal.target_epochs} epochs, but it already has {old.epochs}"
                )
        return config

    def begin_trial(
        self, proposal: Proposal, log: TrialLog, worker: int | None = None
    ) -> _Active | None:
        """Check a proposal, open its session and charge its setup.

        Returns ``None`` when the session could not be opened (the trial has then
        failed alone and ended).
        """
        config = self.check(proposal)
        trial_id, target = proposal.trial_id, proposal.target_epochs
        resume = None if proposal.resume_from is None else self.store.get(proposal.resume_from)
        start = 0 if resume is None else resume.epochs
        rec = TrialRecord(trial_id, config, start)
        self.trials[trial_id] = rec
        where = {} if worker is None else {"worker": worker}
        log.write(
            "trial_start",
            trial=trial_id,
            config=config,
            target_epochs=target,
            resume_from=proposal.resume_from,
            start_epoch=start,
            **where,
        )
        try:
            session = self.trainer.open(
                config,
                self.space.config_key(config),
                seed_for(self.spec.seed, "training", trial_id),
                resume,
            )
        except Exception as exc:  # a model that cannot be built fails its trial alone
            rec.status, rec.reason = TrialStatus.FAILED, describe_exception(exc)
            self.end_trial(rec, log)
            return None
        served = getattr(session, "served", None)
        if served is not None:
            log.write("served", trial=trial_id, config_key=served[0], distance=served[1])
        cost = self.ledger.charge_setup(session.setup_seconds)
        log.write(
            "charge", trial=trial_id, kind="setup", cost=cost.to_dict(),
            budget_used=self.ledger.budget_used,
        )  # fmt: skip
        affordable = self.ledger.affordable_epochs()
        stop_at = target if affordable is None else min(target, start + affordable)
        if worker is not None:  # with trials in flight the budget is checked epoch by epoch
            stop_at = target
        return _Active(rec, session, target, stop_at, worker)

    def epoch_done(
        self, a: _Active, out: EpochOutcome, log: TrialLog, **where: Any
    ) -> bool:  # fmt: skip
        """Charge, log and report one epoch of a trial; whether it trains on."""
        rec, trial_id = a.rec, a.rec.trial_id
        charge = self.ledger.charge_epoch(out.seconds, out.flops)
        if self.on_charge is not None:
            self.on_charge(self.ledger.fraction_used())
        if charge.over:  # crossed a seconds cap: charged, but its result is not used
            log.write(
                "charge", trial=trial_id, kind="over_cap", cost=charge.cost.to_dict(),
                budget_used=charge.budget_used, **where,
            )  # fmt: skip
            rec.status, rec.reason = TrialStatus.STOPPED, "budget"
            return False
        log.write(
            "epoch",
            trial=trial_id,
            epoch=out.epoch,
            value=out.value,
            loss=out.loss,
            cost=charge.cost.to_dict(),
            budget_used=charge.budget_used,
            **where,
        )
        if not out.finite:
            rec.status, rec.reason = TrialStatus.FAILED, out.why_not_finite()
            return False
        rec.values.append(out.value)
        decision = self.timed(lambda: self.strategy.report(trial_id, out.epoch, out.value))
        if out.epoch >= a.target:
            return False
        if decision is Decision.STOP:
            rec.status, rec.reason = TrialStatus.STOPPED, "strategy"
            return False
        if self.ledger.exhausted or out.epoch >= a.stop_at:
            rec.status, rec.reason = TrialStatus.STOPPED, "budget"
            return False
        return True

    def finish_trial(self, a: _Active, log: TrialLog) -> None:
        """Score a trial on test, keep its weights if asked, close it and tell the strategy."""
        rec, session = a.rec, a.session
        try:
            if rec.status is not TrialStatus.FAILED and rec.values:
                t0 = time.perf_counter()
                rec.test_value = session.evaluate_test()
                self.eval_seconds += time.perf_counter() - t0
            if rec.status is not TrialStatus.FAILED and self.strategy.keep_weights(rec.trial_id):
                self.store.put(rec.trial_id, session.snapshot())
        except Exception as exc:  # a trial that breaks (e.g. out of memory) fails alone
            rec.status = TrialStatus.FAILED
            rec.reason = describe_exception(exc)
        finally:
            session.close()
        self.end_trial(rec, log)

    def run_trial(self, proposal: Proposal, log: TrialLog) -> None:
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
        except Exception as exc:  # a trial that breaks (e.g. out of memory) fails alone
            rec.status = TrialStatus.FAILED
            rec.reason = describe_exception(exc)
            a.session.close()
            self.end_trial(rec, log)
            return
        self.finish_trial(a, log)

    def end_trial(self, rec: TrialRecord, log: TrialLog) -> None:
        """Log a trial's end and tell the strategy."""
        log.write(
            "trial_end",
            trial=rec.trial_id,
            status=rec.status.value,
            reason=rec.reason,
            epochs=rec.epochs,
            test_value=rec.test_value,
        )
        result = TrialResult(rec.status, tuple(rec.values), rec.start_epoch, rec.reason)
        self.timed(lambda: self.strategy.tell(rec.trial_id, result))

    def retrain(self, best: TrialRecord, log: TrialLog) -> list[float]:
        """Retrain the incumbent from scratch ``retrain_repeats`` times; test scores.

        Each repeat trains ``max_epochs`` with its own seed from the "final"
        stream. Nothing is charged: this measures the incumbent, not the search.
        """
        scores: list[float] = []
        key = self.space.config_key(best.config)
        for repeat in range(self.spec.retrain_repeats):
            seed = seed_for(self.spec.seed, "final", repeat)
            values: list[float] = []
            problem = ""

            def on_epoch(out: EpochOutcome, values: list[float] = values) -> bool:
                nonlocal problem
                if not out.finite:
                    problem = out.why_not_finite()
                    return False
                values.append(out.value)
                return True

            session = self.final_trainer.open(best.config, key, seed)
            try:
                session.fit(self.fidelity.max_epochs, on_epoch)
                test = None if problem else session.evaluate_test()
            finally:
                session.close()
            log.write(
                "final",
                trial=best.trial_id,
                repeat=repeat,
                seed=seed,
                epochs=len(values),
                value=values[-1] if values else None,
                test_value=test,
                reason=problem,
            )
            if test is not None:
                scores.append(test)
        return scores

    def _ask(self) -> Proposal | Wait | Exhausted:
        answer = self.timed(lambda: self.strategy.ask(self.ledger.view()))
        if not isinstance(answer, (Proposal, Wait, Exhausted)):
            raise ProtocolError(
                f"strategy {self.strategy.name!r} returned {answer!r} from ask(); "
                "expected Proposal, Wait or Exhausted"
            )
        return answer

    def _wait_error(self) -> ProtocolError:
        ended = len(self.trials)
        return ProtocolError(
            f"strategy {self.strategy.name!r} returned Wait with no trial in flight "
            f"({ended} trials ended, 0 in flight)"
        )

    def loop(self, log: TrialLog) -> str:
        """Ask and train until the budget or the strategy ends; return why it ended."""
        if self.concurrency > 1:
            return self.loop_in_flight(log)
        while not self.ledger.exhausted:
            answer = self._ask()
            if isinstance(answer, Exhausted):
                return f"strategy exhausted{': ' + answer.reason if answer.reason else ''}"
            if isinstance(answer, Wait):
                # Trials run one at a time here, so nothing is in flight to wait for.
                raise self._wait_error()
            self.run_trial(answer, log)
        return "budget spent"

    def loop_in_flight(self, log: TrialLog) -> str:
        """The loop with up to ``concurrency`` trials in flight on simulated workers.

        Each worker trains one trial at a time; every epoch takes its recorded
        seconds (setup before the first), and the epoch that finishes first on the
        simulated clock (ties: lowest trial id) is charged, logged and reported
        next. The strategy is asked whenever a worker is free; ``Wait`` leaves it
        free until the next epoch ends. The budget is checked before an epoch is
        scheduled, counting epochs in flight, so no more is trained than the cap.
        """
        free = list(range(self.concurrency))
        heap: list[tuple[float, int, float, EpochOutcome]] = []
        active: dict[int, _Active] = {}
        ended = ""

        def affordable() -> bool:
            """Whether one more epoch fits the budget, counting the epochs in flight."""
            left = self.ledger.affordable_epochs()
            return not self.ledger.exhausted and (left is None or left > len(heap))

        def schedule(a: _Active) -> bool:
            """Put the trial's next epoch on the clock; False when it ends instead."""
            if not affordable():
                a.rec.status, a.rec.reason = TrialStatus.STOPPED, "budget"
                return False
            step: Callable[[], EpochOutcome] | None = getattr(a.session, "step", None)
            if step is None:  # only sessions that serve one epoch at a time can interleave
                raise TypeError(f"{type(a.session).__name__} cannot step epoch by epoch")
            out = step()
            heapq.heappush(heap, (a.clock + out.seconds, a.rec.trial_id, a.clock, out))
            a.clock += out.seconds
            return True

        def release(a: _Active, *, failed: BaseException | None = None) -> None:
            del active[a.rec.trial_id]
            assert a.worker is not None
            bisect.insort(free, a.worker)
            if failed is None:
                self.finish_trial(a, log)
                return
            a.rec.status, a.rec.reason = TrialStatus.FAILED, describe_exception(failed)
            a.session.close()
            self.end_trial(a.rec, log)

        def advance(a: _Active) -> None:
            try:
                if schedule(a):
                    return
            except Exception as exc:  # a trial that breaks fails alone
                release(a, failed=exc)
                return
            release(a)

        while True:
            while not ended and free and affordable():
                answer = self._ask()
                if isinstance(answer, Exhausted):
                    ended = f"strategy exhausted{': ' + answer.reason if answer.reason else ''}"
                    break
                if isinstance(answer, Wait):
                    if not active:
                        raise self._wait_error()
                    break
                worker = free.pop(0)
                a = self.begin_trial(answer, log, worker=worker)
                if a is None:
                    bisect.insort(free, worker)
                    continue
                a.clock = self.now + a.session.setup_seconds
                active[a.rec.trial_id] = a
                advance(a)
            if not heap:
                return ended or "budget spent"
            end, trial_id, begin, out = heapq.heappop(heap)
            self.now = end
            a = active[trial_id]
            try:
                more = self.epoch_done(a, out, log, worker=a.worker, start=begin, end=end)
            except Exception as exc:
                release(a, failed=exc)
                continue
            if more:
                advance(a)
            else:
                release(a)


def execute_run(
    spec: RunSpec,
    run_dir: Path,
    problem: Problem,
    splits: Splits | None,
    strategy: Strategy,
    *,
    on_charge: Callable[[float], None] | None = None,
    extra_provenance: Mapping[str, Any] | None = None,
    table: LearningCurveTable | None = None,
) -> dict[str, Any]:
    """Run one (problem, strategy, seed) to the end and write its records.

    Args:
        spec: What to run.
        run_dir: The run's folder; ``trials.jsonl`` is (re)created there.
        problem: The problem instance (already configured with its params).
        splits: The problem's loaded data (live mode; ``None`` in replay).
        strategy: A fresh strategy instance (``setup`` is called here).
        table: In replay mode, the learning-curve table to serve trials from;
            strategies then get the grid-shaped table space and the trial log's
            ``t`` is the simulated clock (seconds charged so far).
        on_charge: Called after every epoch charge with the share of the budget
            spent so far, 0..1 (for progress bars).
        extra_provenance: Recorded in ``run.json`` provenance (backend, threads...).

    Returns:
        The content of the ``run.json`` that was written.
    """
    t_start = time.perf_counter()
    seeds = seeds_of_run(spec.seed)
    trainer: Trainer
    final_trainer: Trainer
    if spec.concurrency > 1 and table is None:
        raise ValueError(
            f"concurrency = {spec.concurrency} needs replay mode for now: live runs train one "
            "trial at a time"
        )
    if table is not None:
        # A grid table serves its grid exactly; a sampled one serves any config of the
        # full space from its nearest recorded config (see tunebench.nearest).
        space = problem.space() if table.sampled else problem.table_space().with_grid()
        nearest = table.nearest_configs(space) if table.sampled else None
        trainer = final_trainer = ReplayTrainer(table, spec.seed, nearest)
        if spec.max_epochs > table.epochs:
            raise TableError(
                f"{table.path}: holds {table.epochs} epochs; max_epochs = {spec.max_epochs}"
            )
        data_source: dict[str, Any] = {"table": str(table.path), **table.meta.get("data", {})}
        if table.sampled:  # grid tables' provenance stays as it was
            data_source["serving"] = SERVING_RULE
        sizes = table.meta.get("split_sizes", {})
    else:
        if splits is None:
            raise ValueError("live mode needs the problem's splits")
        space = problem.space()
        final_trainer = LiveTrainer(problem, splits)
        folds = parse_evaluation(spec.evaluation)
        trainer = final_trainer if folds is None else KFoldTrainer(problem, splits, folds)
        data_source = splits.source
        sizes = splits.sizes() if folds is None else {**splits.sizes(), "folds": folds}
    run = _Run(spec, run_dir, problem, trainer, space, strategy, on_charge, final_trainer)
    strategy.scratch_dir = run_dir / "strategy"  # whatever a strategy writes stays in the run
    strategy.setup(run.space, run.fidelity, problem.direction, seeds["strategy"])
    retrain_scores: list[float] = []
    t_final = 0.0
    # Replay runs on a simulated clock: the seconds charged, as training would take.
    clock: Callable[[], float] = time.perf_counter
    if table is not None:
        clock = (lambda: run.now) if run.concurrency > 1 else (lambda: run.ledger.seconds)
    try:
        with TrialLog(run_dir / TRIALS_FILE, clock=clock) as log:
            end_reason = run.loop(log)
            run.store.clear()
            best = pick_incumbent(run.trials, problem.direction, spec.max_epochs)
            if best is not None and spec.retrain_repeats:
                t0 = time.perf_counter()
                retrain_scores = run.retrain(best, log)
                t_final = time.perf_counter() - t0
    finally:
        run.store.clear()
    statuses = [t.status for t in run.trials.values()]
    record = {
        "status": "complete",
        "spec": spec.to_dict(),
        "result": {
            "best_trial": None if best is None else best.trial_id,
            "best_config": None if best is None else best.config,
            "best_value": None if best is None else best.values[-1],
            "best_epochs": None if best is None else best.epochs,
            "test_value": None if best is None else best.test_value,
            "budget_used": run.ledger.budget_used,
            "n_trials": len(run.trials),
            "n_complete": statuses.count(TrialStatus.COMPLETE),
            "n_stopped": statuses.count(TrialStatus.STOPPED),
            "n_failed": statuses.count(TrialStatus.FAILED),
            "end_reason": end_reason,
            "retrain_test_values": retrain_scores,
            "retrain_test_mean": float(np.mean(retrain_scores)) if retrain_scores else None,
            "retrain_test_std": (
                float(np.std(retrain_scores, ddof=1)) if len(retrain_scores) > 1 else None
            ),
        },
        "metric": {"name": problem.metric, "direction": problem.direction},
        "ledger": run.ledger.totals(),
        "timings": {
            "wall_seconds": time.perf_counter() - t_start,
            "test_eval_seconds": run.eval_seconds,
            "retrain_seconds": t_final,
        },
        "strategy_params": strategy.get_params(),
        "provenance": provenance(
            seeds,
            {
                "mode": "replay" if table is not None else "live",
                "data": data_source,
                "split_sizes": sizes,
                "space_fingerprint": run.space.fingerprint(),
                **(extra_provenance or {}),
            },
        ),
    }
    write_json_atomic(run_dir / RUN_FILE, record)
    return record
