"""K-fold evaluation: folds, lockstep training, honest cost, and a live kfold run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tunebench.backends.keras_training import LiveTrainer
from tunebench.backends.kfold import KFoldTrainer, fold_splits
from tunebench.backends.session import EpochOutcome
from tunebench.datasets.problem import Splits
from tunebench.datasets.stocks import StocksMLP
from tunebench.records.storage import read_trials
from tunebench.run.execute import RunSpec, execute_run
from tunebench.runspec import parse_evaluation
from tunebench.strategies import RandomSearch

CONFIG = {"n_layers": 1, "units_1": 8, "optimizer": "adam", "learning_rate": 0.01, "batch_size": 64}


@pytest.fixture(scope="module")
def data() -> tuple[StocksMLP, Splits]:
    problem = StocksMLP()
    return problem, problem.load(subsample=300)


def toy_splits(n_train: int = 40, n_val: int = 10) -> Splits:
    x = np.arange(n_train + n_val + 5, dtype=np.float32)[:, None]
    y = (x[:, 0] % 2).astype(np.int32)
    return Splits(
        x[:n_train], y[:n_train], x[n_train : n_train + n_val], y[n_train : n_train + n_val],
        x[-5:], y[-5:], {"dataset": "toy"},
    )  # fmt: skip


@pytest.mark.parametrize(("text", "folds"), [("holdout", None), ("kfold:2", 2), ("kfold:10", 10)])
def test_parse_evaluation(text: str, folds: int | None) -> None:
    assert parse_evaluation(text) == folds


@pytest.mark.parametrize("text", ["kfold:1", "kfold:0", "kfold", "kfold:x", "cv", "Holdout"])
def test_parse_evaluation_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="evaluation"):
        parse_evaluation(text)


def test_iid_folds_partition_the_pooled_rows_and_never_touch_test() -> None:
    splits = toy_splits()
    folds = fold_splits(splits, 5)
    assert len(folds) == 5
    vals = np.sort(np.concatenate([f.x_val[:, 0] for f in folds]))
    assert np.array_equal(vals, np.arange(50, dtype=np.float32))  # every pooled row once
    for f in folds:
        assert not set(f.x_val[:, 0]) & set(f.x_train[:, 0])
        assert len(f.x_train) + len(f.x_val) == 50
        assert np.array_equal(f.x_test, splits.x_test)
        assert f.source["evaluation"] == "kfold:5"
    # Fixed fold seed: the same folds every time.
    again = fold_splits(splits, 5)
    assert all(np.array_equal(a.x_val, b.x_val) for a, b in zip(folds, again, strict=True))


def test_ordered_folds_never_train_on_the_future() -> None:
    folds = fold_splits(toy_splits(), 4, ordered=True)
    assert len(folds) == 4
    for f in folds:
        assert f.x_train[:, 0].max() < f.x_val[:, 0].min()


def test_too_few_rows() -> None:
    with pytest.raises(ValueError, match="kfold:5 needs more than 5"):
        fold_splits(toy_splits(3, 1), 5)


def test_kfold_session_averages_values_and_sums_costs(data: Any) -> None:
    problem, splits = data
    trainer = KFoldTrainer(problem, splits, 3)
    key = problem.space().config_key(CONFIG)
    seen: list[EpochOutcome] = []
    session = trainer.open(CONFIG, key, seed=7)
    session.fit(2, lambda out: seen.append(out) is None)
    assert [o.epoch for o in seen] == [1, 2]
    assert len(session.fold_values) == 2
    for epoch in range(2):
        values = session.fold_values[epoch]
        assert len(values) == 3 and len(set(values)) > 1  # three different models
        assert seen[epoch].value == pytest.approx(np.mean(values))
        assert seen[epoch].seconds > 0
    # Each fold model has its own data: FLOPs are K times one holdout model's on the
    # same number of training rows per fold.
    assert seen[0].flops == pytest.approx(
        sum(t.problem.flops_per_example(session._sessions[0].model) * len(t.splits.x_train)
            for t in trainer.folds)
    )  # fmt: skip
    # Same seed, same trial: lockstep training is reproducible.
    again: list[EpochOutcome] = []
    twin = trainer.open(CONFIG, key, seed=7)
    twin.fit(2, lambda out: again.append(out) is None)
    twin.close()
    assert [o.value for o in again] == [o.value for o in seen]
    # Resume: the snapshot holds all three models and continues them.
    snap = session.snapshot()
    test = session.evaluate_test()
    session.close()
    assert 0.0 <= test <= 1.0
    resumed = trainer.open(CONFIG, key, seed=7, resume=snap)
    assert resumed.start_epoch == 2
    more: list[EpochOutcome] = []
    resumed.fit(3, lambda out: more.append(out) is None)
    resumed.close()
    assert [o.epoch for o in more] == [3]


def test_kfold_snapshot_of_other_fold_count_is_refused(data: Any) -> None:
    problem, splits = data
    key = problem.space().config_key(CONFIG)
    single = LiveTrainer(problem, splits).open(CONFIG, key, seed=1)
    snap = single.snapshot()
    single.close()
    snap.optimizer.append(snap.optimizer[0])  # no longer divisible into 2 folds
    with pytest.raises(ValueError, match="2 fold models"):
        KFoldTrainer(problem, splits, 2).open(CONFIG, key, seed=1, resume=snap)


def test_kfold_run_charges_every_fold_and_retrains_on_holdout(tmp_path: Path, data: Any) -> None:
    problem, splits = data
    spec = RunSpec(
        matrix="t", problem="stocks-mlp", max_epochs=2, strategy="random",
        strategy_label="random", seed=0, full_evaluations=2, subsample=300,
        evaluation="kfold:3", retrain_repeats=1,
    )  # fmt: skip
    record = execute_run(spec, tmp_path / "k", problem, splits, RandomSearch())
    holdout = execute_run(
        RunSpec(**{**spec.to_dict(), "evaluation": "holdout"}),
        tmp_path / "h", problem, splits, RandomSearch(),
    )  # fmt: skip
    assert record.status == holdout.status == "complete"
    assert record.spec.evaluation == "kfold:3"
    assert record.provenance["split_sizes"]["folds"] == 3
    # Same configs proposed (same strategy seed), but each kfold epoch trains 3 models.
    k_starts = [e for e in read_trials(tmp_path / "k") if e["event"] == "trial_start"]
    h_starts = [e for e in read_trials(tmp_path / "h") if e["event"] == "trial_start"]
    assert [e["config"] for e in k_starts] == [e["config"] for e in h_starts]
    # One K-fold evaluation of a config is one evaluation; its seconds and FLOPs are K.
    assert record.ledger.full_evaluations == holdout.ledger.full_evaluations
    assert record.ledger.flops > 2.5 * holdout.ledger.flops
    finals = [e for e in read_trials(tmp_path / "k") if e["event"] == "final"]
    assert len(finals) == 1 and finals[0]["test_value"] is not None
