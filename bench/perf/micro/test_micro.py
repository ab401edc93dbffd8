"""Micro-benchmarks of the harness: strategy overhead, replay, logging, training.

Run: ``tox -e bench`` (compares with the stored baseline in bench/baselines/perf and
fails on a large slowdown), or ``pytest bench/perf/micro --benchmark-only``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from tunebench.curves.table import LearningCurveTable
from tunebench.datasets import available_problems
from tunebench.matrix.plan import default_table
from tunebench.records.events import Cost, Epoch, TrialStart
from tunebench.records.run_record import RunRecord
from tunebench.records.storage import TrialLog, read_events
from tunebench.run.execute import RunSpec, execute_run
from tunebench.strategies import RandomSearch, available_strategies
from tunebench.strategies.testing import drive

STRATEGIES = sorted(available_strategies())
# Model-based samplers cost about a second per trial once their model is fitted
# (gp 0.7 s, kt-bayesian 2-4 s, smac 0.3-0.6 s, measured), so they are tracked at 30
# trials only; and strategies whose library is not installed are skipped.
SLOW = {"gp", "kt-bayesian", "smac", "smac-hb"}
SLOW_TRIALS = 30


@pytest.mark.parametrize("trials", [100, 1000])
@pytest.mark.parametrize("name", STRATEGIES)
def test_strategy_overhead(benchmark: Any, name: str, trials: int) -> None:
    """Time of ask + report + tell of ``trials`` trials (no training), per strategy."""
    if name in SLOW:
        if trials == 1000:
            pytest.skip(f"{name} is tracked at {SLOW_TRIALS} trials only")
        trials = SLOW_TRIALS
    cls = available_strategies()[name]
    params = {"hyperband_iterations": 0} if name == "kt-hyperband" else {}
    try:
        cls(**params).check_params()
    except ImportError as exc:
        pytest.skip(str(exc))

    def run() -> Any:
        return drive(cls(**params), seed=0, budget_epochs=trials * 4, max_trials=trials)

    # One untimed run warms caches and imports; short runs then get 5 timed rounds,
    # since a single round of a few milliseconds is mostly noise.
    t0 = time.perf_counter()
    run()
    rounds = 5 if time.perf_counter() - t0 < 2.0 else 1
    result = benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=0)
    n = len(result.proposals)
    benchmark.extra_info["trials"] = n
    benchmark.extra_info["ms_per_trial"] = benchmark.stats.stats.mean / max(n, 1) * 1000


def test_trial_log_write(benchmark: Any, tmp_path: Path) -> None:
    """Writing (and flushing) one epoch event to trials.jsonl."""
    log = TrialLog(tmp_path / "trials.jsonl")
    event = Epoch(trial=3, epoch=2, value=0.5, loss=0.7, cost=Cost(1, 0.1, 1e6), budget_used=1.25)
    benchmark(log.write, event)
    log.close()


def _shipped_table(problem: str) -> tuple[Any, LearningCurveTable]:
    path = default_table(problem)
    if not path.is_file():
        pytest.skip(f"no shipped table for {problem} ({path})")
    prob = available_problems()[problem]()
    return prob, LearningCurveTable(path, prob.table_space().fingerprint())


def test_replay_throughput(benchmark: Any) -> None:
    """One replay run of random search, 50 full evaluations, on the shipped stocks table."""
    problem, table = _shipped_table("stocks-mlp")
    spec = RunSpec(matrix="b", problem="stocks-mlp", max_epochs=table.epochs, strategy="random",
                   strategy_label="random", seed=0, full_evaluations=50, mode="replay",
                   table=str(table.path))  # fmt: skip

    def run() -> RunRecord:
        with tempfile.TemporaryDirectory() as tmp:
            return execute_run(spec, Path(tmp), problem, None, RandomSearch(), table=table)

    record = benchmark.pedantic(run, rounds=5, iterations=1)
    benchmark.extra_info["trials_per_second"] = record.result.n_trials / benchmark.stats.stats.mean


def test_harness_training_vs_bare_fit(benchmark: Any) -> None:
    """A live random-search run through the harness; extra_info has its ratio to bare fit."""
    import keras

    problem = available_problems()["stocks-mlp"]()
    splits = problem.load()
    spec = RunSpec(matrix="b", problem="stocks-mlp", max_epochs=3, strategy="random",
                   strategy_label="random", seed=0, full_evaluations=4)  # fmt: skip
    configs: list[dict[str, Any]] = []

    def harness() -> float:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            execute_run(spec, Path(tmp), problem, splits, RandomSearch())
            wall = time.perf_counter() - t0
            if not configs:
                configs.extend(
                    e.config for e in read_events(Path(tmp)) if isinstance(e, TrialStart)
                )
        return wall

    def bare() -> float:
        t0 = time.perf_counter()
        for i, config in enumerate(configs):
            keras.utils.set_random_seed(i)
            model = problem.build_model(config, splits)
            model.fit(
                splits.x_train,
                splits.y_train,
                batch_size=int(config["batch_size"]),
                epochs=3,
                validation_data=(splits.x_val, splits.y_val),
                verbose=0,
            )
            keras.backend.clear_session(free_memory=False)
        return time.perf_counter() - t0

    benchmark.pedantic(harness, rounds=3, iterations=1)
    # the ratio, interleaved so machine noise hits both alike
    ratios = []
    for _ in range(3):
        h = harness()
        ratios.append(bare() / h)
    benchmark.extra_info["throughput_ratio_vs_bare_fit"] = statistics.median(ratios)
