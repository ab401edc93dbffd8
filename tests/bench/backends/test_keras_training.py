"""The live trainer with real Keras models: snapshots, spills and resume."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tunebench.backends.keras_training import LiveTrainer
from tunebench.backends.session import EpochOutcome, SnapshotStore
from tunebench.datasets.stocks import StocksMLP

CONFIG = {"n_layers": 1, "units_1": 8, "optimizer": "adam", "learning_rate": 0.01,
          "batch_size": 64}  # fmt: skip


@pytest.fixture(scope="module")
def trainer() -> LiveTrainer:
    problem = StocksMLP()
    return LiveTrainer(problem, problem.load(subsample=256))


def values_of(session_fit: object, target: int) -> list[EpochOutcome]:
    out: list[EpochOutcome] = []
    session_fit(target, lambda o: out.append(o) or True)  # type: ignore[operator]
    return out


def test_epochs_report_values_costs_and_stop(trainer: LiveTrainer) -> None:
    session = trainer.open(CONFIG, "k", seed=1)
    seen: list[EpochOutcome] = []
    session.fit(5, lambda o: seen.append(o) or o.epoch < 2)  # stop after epoch 2
    assert [o.epoch for o in seen] == [1, 2] and session.epochs == 2
    assert all(0.0 <= o.value <= 1.0 and o.seconds > 0 and o.finite for o in seen)
    assert seen[0].flops == pytest.approx(6 * (10 * 8 + 8 + 8 + 1) * 256)
    assert 0.0 <= session.evaluate_test() <= 1.0
    session.close()


def test_resume_continues_from_snapshot_exactly(trainer: LiveTrainer, tmp_path: Path) -> None:
    # straight: 3 epochs in one go
    straight = trainer.open(CONFIG, "k", seed=3)
    full = values_of(straight.fit, 3)
    straight.close()
    # split: 1 epoch, snapshot, spill to disk, restore, 2 more, same shuffling seed
    first = trainer.open(CONFIG, "k", seed=3)
    head = values_of(first.fit, 1)
    store = SnapshotStore(tmp_path)
    store.put(7, first.snapshot())
    first.close()
    path = store.spill(7)  # "spilled to disk when asked"
    assert path.is_file()
    resumed = trainer.open(CONFIG, "k", seed=3, resume=store.get(7))
    assert resumed.start_epoch == 1
    tail = values_of(resumed.fit, 3)
    resumed.close()
    assert [o.epoch for o in tail] == [2, 3]
    assert head[0].value == full[0].value
    # weights and optimizer state carried over: training continues, not restarts
    assert tail[-1].loss == pytest.approx(full[-1].loss, rel=0.05)
    store.discard(7)
    assert not path.exists() and 7 not in store


def test_resume_with_new_training_settings_keeps_the_weights_and_a_fresh_optimizer(
    trainer: LiveTrainer,
) -> None:
    session = trainer.open(CONFIG, "k", seed=0)
    values_of(session.fit, 2)
    snap = session.snapshot()
    weights = [w.copy() for w in session.model.get_weights()]
    session.close()
    faster = {**CONFIG, "learning_rate": 0.05, "optimizer": "sgd"}
    clone = trainer.open(faster, "k2", seed=0, resume=snap)
    assert clone.start_epoch == 2
    carried = zip(clone.model.get_weights(), weights, strict=True)
    assert all(np.array_equal(a, b) for a, b in carried)
    # the new config's optimizer, untouched by the old one's state
    assert type(clone.model.optimizer).__name__ == "SGD"
    assert int(clone.model.optimizer.iterations.numpy()) == 0
    assert float(clone.model.optimizer.learning_rate.numpy()) == pytest.approx(0.05)
    assert [o.epoch for o in values_of(clone.fit, 3)] == [3]
    clone.close()


def test_resume_into_a_model_of_another_shape_is_refused(trainer: LiveTrainer) -> None:
    session = trainer.open(CONFIG, "k", seed=0)
    snap = session.snapshot()
    session.close()
    with pytest.raises(ValueError):
        trainer.open({**CONFIG, "units_1": 16}, "wider", seed=0, resume=snap)


def test_store_spills_oldest_past_memory_limit(tmp_path: Path) -> None:
    from tunebench.backends.session import Snapshot

    store = SnapshotStore(tmp_path, memory_limit=1000)
    for i in range(3):  # 424 bytes each: the third put passes the limit
        store.put(i, Snapshot("k", i, [np.zeros(100, np.float32)], [np.ones(3)]))
    assert [p.name for p in tmp_path.iterdir()] == ["trial-0.npz"]
    assert all(i in store for i in range(3))
    back = store.get(0)
    assert back.epochs == 0 and back.weights[0].shape == (100,)
    np.testing.assert_array_equal(back.optimizer[0], np.ones(3))
    store.clear()
    assert not list(tmp_path.iterdir())
