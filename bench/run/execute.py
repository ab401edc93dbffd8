"""One run: a problem x a strategy x a seed x a budget, from spec to ``run.json``.

:func:`execute_run` picks the run's trial backend (:mod:`tunebench.backends.registry`),
drives the strategy against it with the run loop (:mod:`tunebench.run.loop`) while
the trial log is written, retrains the incumbent if asked, and writes
``run.json`` atomically.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from tunebench.backends.base import TrialBackend
from tunebench.backends.registry import backend_for
from tunebench.backends.session import EpochOutcome, Session, SnapshotStore
from tunebench.curves.shipped import portable_path, portable_source
from tunebench.curves.table import LearningCurveTable
from tunebench.datasets.problem import Problem, Splits
from tunebench.objectives.run_points import ObjectiveVectors, RunFront
from tunebench.provenance import provenance
from tunebench.records.events import Final
from tunebench.records.run_record import (
    LedgerTotals,
    MetricInfo,
    RunRecord,
    RunResult,
    Timings,
    write_run_record,
)
from tunebench.records.storage import TRIALS_FILE, TrialLog
from tunebench.run.ledger import Ledger
from tunebench.run.loop import ProtocolError, RunLoop, TrialRecord, pick_incumbent
from tunebench.runspec import RunSpec
from tunebench.seeding import seed_for, seeds_of_run
from tunebench.strategies.base import Fidelity, Objectives, Strategy, TrialStatus

__all__ = [
    "ProtocolError",
    "RunSpec",
    "TrialRecord",
    "execute_run",
    "pick_incumbent",
    "run_on_backend",
]


def retrain(
    spec: RunSpec,
    open_retrain: Callable[[dict[str, Any], str, int], Session],
    key: str,
    best: TrialRecord,
    fidelity: Fidelity,
    log: TrialLog,
) -> list[float]:
    """Retrain the incumbent from scratch ``retrain_repeats`` times; its test scores.

    Each repeat trains ``max_epochs`` with its own seed from the "final"
    stream. Nothing is charged: this measures the incumbent, not the search.
    """
    scores: list[float] = []
    for repeat in range(spec.retrain_repeats):
        seed = seed_for(spec.seed, "final", repeat)
        values: list[float] = []
        problem = ""

        def on_epoch(out: EpochOutcome, values: list[float] = values) -> bool:
            nonlocal problem
            if not out.finite:
                problem = out.why_not_finite()
                return False
            values.append(out.value)
            return True

        session = open_retrain(best.config, key, seed)
        try:
            session.fit(fidelity.max_epochs, on_epoch)
            test = None if problem else session.evaluate_test()
        finally:
            session.close()
        log.write(
            Final(
                trial=best.trial_id,
                repeat=repeat,
                seed=seed,
                epochs=len(values),
                value=values[-1] if values else None,
                test_value=test,
                reason=problem,
            )
        )
        if test is not None:
            scores.append(test)
    return scores


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
) -> RunRecord:
    """Run one (problem, strategy, seed) to the end and write its records.

    Args:
        spec: What to run.
        run_dir: The run's folder; ``trials.jsonl`` is (re)created there.
        problem: The problem instance (already configured with its params).
        splits: The problem's loaded data (live mode; ``None`` in replay).
        strategy: A fresh strategy instance (``setup`` is called here).
        table: In replay mode, the learning-curve table to serve trials from.
        on_charge: Called after every epoch charge with the share of the budget
            spent so far, 0..1 (for progress bars).
        extra_provenance: Recorded in ``run.json`` provenance (backend, threads...).

    Returns:
        The record written to ``run.json``.
    """
    backend = backend_for(spec, problem, splits, table)
    return run_on_backend(
        spec, run_dir, backend, strategy, on_charge=on_charge, extra_provenance=extra_provenance
    )


def run_on_backend(
    spec: RunSpec,
    run_dir: Path,
    backend: TrialBackend,
    strategy: Strategy,
    *,
    on_charge: Callable[[float], None] | None = None,
    extra_provenance: Mapping[str, Any] | None = None,
) -> RunRecord:
    """:func:`execute_run` on a backend already chosen (see :func:`backend_for`).

    On a simulated backend the trial log's ``t`` is the simulated clock (seconds
    charged so far, or the event queue's time with trials in flight).
    """
    t_start = time.perf_counter()
    problem = backend.problem
    seeds = seeds_of_run(spec.seed)
    fidelity = problem.fidelity(spec.max_epochs)
    ledger = Ledger(spec.max_epochs, spec.full_evaluations, spec.seconds)
    objectives = _objectives(spec, backend, strategy)
    store = SnapshotStore(run_dir / "scratch")
    loop = RunLoop(
        strategy,
        backend.space,
        fidelity,
        ledger,
        backend.trainer,
        store,
        run_seed=spec.seed,
        concurrency=spec.concurrency,
        simulated=backend.simulated,
        on_charge=on_charge,
        direction=problem.direction,
        objectives=objectives,
    )
    strategy.scratch_dir = run_dir / "strategy"  # whatever a strategy writes stays in the run
    strategy.setup(backend.space, fidelity, problem.direction, seeds["strategy"])
    retrain_scores: list[float] = []
    t_final = 0.0
    clock: Callable[[], float] = time.perf_counter
    if backend.simulated:
        clock = (lambda: loop.now) if spec.concurrency > 1 else (lambda: ledger.seconds)
    try:
        with TrialLog(run_dir / TRIALS_FILE, clock=clock) as log:
            end = loop.run(log)
            store.clear()
            best = pick_incumbent(loop.trials, problem.direction, spec.max_epochs)
            if best is not None and spec.retrain_repeats:
                t0 = time.perf_counter()
                key = backend.space.config_key(best.config)
                retrain_scores = retrain(spec, backend.open_retrain, key, best, fidelity, log)
                t_final = time.perf_counter() - t0
    finally:
        store.clear()
    statuses = [t.status for t in loop.trials.values()]
    front = None if objectives is None else objectives.front(loop.points)
    record = RunRecord(
        spec=_portable_spec(spec),
        result=RunResult(
            best_trial=None if best is None else best.trial_id,
            best_config=None if best is None else best.config,
            best_proposal=None if best is None else best.proposed,
            score_value=None if best is None else best.full_value,
            score_test_value=None if best is None else best.full_test_value,
            best_value=None if best is None else best.values[-1],
            best_epochs=None if best is None else best.epochs,
            test_value=None if best is None else best.test_value,
            budget_used=ledger.budget_used,
            n_trials=len(loop.trials),
            n_complete=statuses.count(TrialStatus.COMPLETE),
            n_stopped=statuses.count(TrialStatus.STOPPED),
            n_failed=statuses.count(TrialStatus.FAILED),
            end_reason=end.text,
            retrain_test_values=retrain_scores,
            retrain_test_mean=float(np.mean(retrain_scores)) if retrain_scores else None,
            retrain_test_std=(
                float(np.std(retrain_scores, ddof=1)) if len(retrain_scores) > 1 else None
            ),
            **_front_result(objectives, front),
        ),
        metric=MetricInfo(name=problem.metric, direction=problem.direction),
        ledger=LedgerTotals(**ledger.totals()),
        timings=Timings(
            wall_seconds=time.perf_counter() - t_start,
            test_eval_seconds=loop.eval_seconds,
            retrain_seconds=t_final,
            test_evaluations=loop.test_scored,
        ),
        strategy_params=strategy.get_params(),
        provenance=_portable_provenance(
            provenance(
                seeds,
                {
                    **_with_learning(backend.provenance, strategy),
                    "space_fingerprint": backend.space.fingerprint(),
                    **_hypervolume_provenance(objectives),
                    **(extra_provenance or {}),
                },
            )
        ),
    )
    written = write_run_record(run_dir, record)  # with its log's SHA-256
    assert isinstance(written, RunRecord)
    return written


def _objectives(
    spec: RunSpec, backend: TrialBackend, strategy: Strategy
) -> ObjectiveVectors | None:
    """A multi-objective run's objective vectors (its backend's), told to the strategy first.

    Raises:
        ValueError: A strategy on the wrong kind of run, or a mode without objectives
            (the load-time checks refuse both first; a run started otherwise, too).
    """
    multi = spec.objectives is not None
    if type(strategy).multi_objective != multi:
        kind = "single-objective" if multi else "multi-objective"
        raise ValueError(f"run {spec.rel_dir}: strategy {strategy.name!r} is {kind}")
    if spec.objectives is None:
        return None
    if not backend.supports_objectives:
        raise ValueError(
            f"run {spec.rel_dir}: mode {backend.mode!r} does not support multi-objective runs"
        )
    found = backend.objective_source(spec)
    strategy.objectives = Objectives(found.names, found.minimise)
    return found


def _front_result(objectives: ObjectiveVectors | None, front: RunFront | None) -> dict[str, Any]:
    """A multi-objective run's result fields (none for a single-objective run)."""
    if objectives is None or front is None:
        return {}
    return {
        "objectives": list(objectives.names),
        "pareto_trials": list(front.trials),
        "pareto_front": [list(p) for p in front.points],
        "hypervolume": front.hypervolume,
        "hypervolume_regret": front.regret,
    }


def _hypervolume_provenance(objectives: ObjectiveVectors | None) -> dict[str, Any]:
    """The problem's fixed hypervolume frame, recorded in a multi-objective run's provenance."""
    return {} if objectives is None else {"hypervolume": objectives.reference.to_dict()}


def _portable_spec(spec: RunSpec) -> RunSpec:
    """The spec as ``run.json`` records it: its files named without this machine's paths.

    Readers take either form (:func:`tunebench.curves.shipped.recorded_path`), and a
    rerun knows the run by :meth:`RunSpec.same_run`, which compares file names only.
    """
    return replace(
        spec,
        table=None if spec.table is None else portable_path(spec.table),
        surrogate=None if spec.surrogate is None else portable_path(spec.surrogate),
        problem_module=None if spec.problem_module is None else portable_path(spec.problem_module),
    )


def _portable_provenance(prov: dict[str, Any]) -> dict[str, Any]:
    """Provenance without the recording machine's paths where readers need none.

    Data files are named relative to the data folder, else by name (their checksums are
    recorded beside); a shipped table relative to the package; the data folder and the
    checkout by their names.
    """
    out = dict(prov)
    data_dir = out.get("data_dir")
    if isinstance(out.get("data"), dict):
        out["data"] = portable_source(out["data"], data_dir)
    if isinstance(data_dir, str):
        out["data_dir"] = portable_path(data_dir, elsewhere="name")
    git = out.get("git")
    if isinstance(git, dict) and isinstance(git.get("checkout"), str):
        out["git"] = {**git, "checkout": portable_path(git["checkout"], elsewhere="name")}
    return out


def _with_learning(prov: dict[str, Any], strategy: Strategy) -> dict[str, Any]:
    """A serving backend's provenance says whether the strategy learns the served configs."""
    data = prov.get("data")
    if not isinstance(data, dict) or "serving" not in data:
        return prov
    learns = type(strategy).evaluated_as is not Strategy.evaluated_as
    return {**prov, "data": {**data, "learns_served": learns}}
