"""The runner loop with real Keras training on a small slice of real data."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from tunebench.datasets.problem import Splits
from tunebench.datasets.stocks import StocksMLP
from tunebench.records.run_record import read_run_record
from tunebench.records.storage import read_json, read_trials
from tunebench.run.execute import RunSpec, execute_run
from tunebench.strategies import (
    BudgetView,
    Exhausted,
    Proposal,
    RandomSearch,
    Strategy,
    TrialResult,
    Wait,
)

TIMING = {"t"}


@pytest.fixture(scope="module")
def data() -> tuple[StocksMLP, Splits]:
    problem = StocksMLP()
    return problem, problem.load(subsample=300)


def spec(**kw: Any) -> RunSpec:
    base: dict[str, Any] = dict(
        matrix="t", problem="stocks-mlp", max_epochs=2, strategy="random",
        strategy_label="random", seed=0, full_evaluations=2, subsample=300,
    )  # fmt: skip
    base.update(kw)
    return RunSpec(**base)


class Scripted(Strategy):
    """Proposes a fixed script of (target_epochs, resume_from) on one config."""

    name = "scripted"
    script: ClassVar[list[tuple[int, int | None]]] = []

    def __init__(self) -> None:
        self.told: list[TrialResult] = []

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        if not self.script[self._next_trial_id :]:
            return Exhausted("script done")
        target, resume = self.script[self._next_trial_id]
        config = {"n_layers": 1, "units_1": 8, "optimizer": "adam", "learning_rate": 0.01,
                  "batch_size": 64}  # fmt: skip
        return Proposal(self.new_trial_id(), config, target, resume)

    def tell(self, trial_id: int, result: TrialResult) -> None:
        self.told.append(result)

    def keep_weights(self, trial_id: int) -> bool:
        return True


def scripted(script: list[tuple[int, int | None]]) -> Scripted:
    cls = type("S", (Scripted,), {"script": script})
    return cls()


def events(run_dir: Path, kind: str) -> list[dict[str, Any]]:
    return [e for e in read_trials(run_dir) if e["event"] == kind]


def test_random_run_respects_budget_and_writes_records(tmp_path: Path, data: Any) -> None:
    problem, splits = data
    record = execute_run(spec(full_evaluations=3), tmp_path, problem, splits, RandomSearch())
    assert record == read_run_record(tmp_path)
    assert read_json(tmp_path / "run.json")["result"]["n_trials"] == record.result.n_trials
    assert record.status == "complete"
    epochs = events(tmp_path, "epoch")
    assert len(epochs) == 6 == record.ledger.epochs  # 3 full evaluations x 2 epochs
    used = [e["budget_used"] for e in epochs]
    assert used == sorted(used) and used[-1] == 3.0
    assert all(e["cost"]["epochs"] == 1 and e["cost"]["flops"] > 0 for e in epochs)
    starts, ends = events(tmp_path, "trial_start"), events(tmp_path, "trial_end")
    assert [e["trial"] for e in starts] == [e["trial"] for e in ends] == [0, 1, 2]
    result = record.result
    best_trial = result.best_trial
    finals = {e["trial"]: e["value"] for e in epochs if e["epoch"] == 2}
    assert result.best_value == max(finals.values()) == finals[best_trial]
    assert 0.0 <= result.test_value <= 1.0
    prov = record.provenance
    assert {"keras", "optuna", "numpy"} <= set(prov["packages"])
    assert prov["seeds"]["run"] == 0 and prov["cpu"]
    assert not (tmp_path / "scratch").exists() or not any((tmp_path / "scratch").iterdir())


def test_same_seed_reproduces_the_trial_log(tmp_path: Path, data: Any) -> None:
    problem, splits = data
    logs = []
    for k in range(2):
        execute_run(spec(), tmp_path / str(k), problem, splits, RandomSearch())
        events_k = read_trials(tmp_path / str(k))
        for e in events_k:
            e.pop("t")
            if "cost" in e:
                e["cost"].pop("seconds")
        logs.append(events_k)
    assert logs[0] == logs[1]
    other = tmp_path / "other"
    execute_run(spec(seed=1), other, problem, splits, RandomSearch())
    assert events(other, "trial_start")[0]["config"] != logs[0][0]["config"]


def test_trial_reaching_the_cap_is_cut_and_counted(tmp_path: Path, data: Any) -> None:
    problem, splits = data
    strategy = scripted([(1, None), (2, None)])  # 3 epochs asked, cap is 2
    record = execute_run(spec(full_evaluations=1), tmp_path, problem, splits, strategy)
    ends = events(tmp_path, "trial_end")
    assert [e["status"] for e in ends] == ["complete", "stopped"]
    assert ends[1]["reason"] == "budget" and ends[1]["epochs"] == 1
    assert record.ledger.epochs == 2
    assert strategy.told[1].status.value == "stopped"
    assert record.result.end_reason == "budget spent"


def test_resumed_trial_pays_only_new_epochs(tmp_path: Path, data: Any) -> None:
    problem, splits = data
    strategy = scripted([(1, None), (2, 0)])
    record = execute_run(spec(full_evaluations=5), tmp_path, problem, splits, strategy)
    starts = events(tmp_path, "trial_start")
    assert starts[1]["resume_from"] == 0 and starts[1]["start_epoch"] == 1
    resumed = [e for e in events(tmp_path, "epoch") if e["trial"] == 1]
    assert [e["epoch"] for e in resumed] == [2]
    assert record.ledger.epochs == 2
    assert record.result.end_reason.startswith("strategy exhausted")
    # the incumbent is the trial that reached max_epochs, at 2 epochs
    assert record.result.best_trial == 1 and record.result.best_epochs == 2


def test_nan_loss_fails_the_trial_not_the_run(tmp_path: Path, data: Any) -> None:
    problem, splits = data
    x = splits.x_train.copy()
    x[5] = np.nan
    poisoned = Splits(x, splits.y_train, splits.x_val, splits.y_val, splits.x_test,
                      splits.y_test, splits.source)  # fmt: skip
    record = execute_run(spec(), tmp_path, problem, poisoned, RandomSearch())
    ends = events(tmp_path, "trial_end")
    assert ends and all(e["status"] == "failed" for e in ends)
    assert "non-finite" in ends[0]["reason"] and "at epoch 1" in ends[0]["reason"]
    assert record.status == "complete"
    result = record.result
    assert result.best_value is None and result.n_failed == result.n_trials == 4
    assert record.ledger.epochs == 4  # each failed trial was charged its one epoch


def test_protocol_violation_is_named(tmp_path: Path, data: Any) -> None:
    problem, splits = data

    class Bad(Scripted):
        def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
            return Proposal(self.new_trial_id(), {"n_layers": 9}, 1)

    with pytest.raises(RuntimeError, match=r"strategy 'scripted' proposed an invalid config"):
        execute_run(spec(), tmp_path, problem, splits, Bad())


def test_resume_without_kept_weights_is_refused(tmp_path: Path, data: Any) -> None:
    problem, splits = data
    strategy = scripted([(1, None), (2, 0)])
    strategy.keep_weights = lambda trial_id: False  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="weights were not kept"):
        execute_run(spec(full_evaluations=5), tmp_path, problem, splits, strategy)


def test_seconds_budget_is_never_overspent(tmp_path: Path, data: Any) -> None:
    problem, splits = data
    cap = 2.0
    record = execute_run(
        spec(full_evaluations=None, seconds=cap, max_epochs=50), tmp_path, problem, splits,
        RandomSearch(),
    )  # fmt: skip
    led = record.ledger
    assert led.train_seconds + led.setup_seconds + led.strategy_seconds <= cap + 1e-9
    over = [e for e in events(tmp_path, "charge") if e["kind"] == "over_cap"]
    ends = events(tmp_path, "trial_end")
    assert len(over) == 1 and ends[-1]["status"] == "stopped" and ends[-1]["reason"] == "budget"
    # the epoch bought past the cap is charged but never reported as a result
    assert over[0]["trial"] == ends[-1]["trial"]
    reported = [e for e in events(tmp_path, "epoch") if e["trial"] == over[0]["trial"]]
    assert len(reported) == ends[-1]["epochs"]


class BrokenBuild(StocksMLP):
    """Building a model with learning rate 0.1 runs out of memory, with no message."""

    def build_model(self, config: Any, splits: Splits) -> Any:
        if config["learning_rate"] == 0.1:
            raise MemoryError()
        return super().build_model(config, splits)


class TwoConfigs(Strategy):
    name = "two-configs"

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        if self._next_trial_id >= 2:
            return Exhausted("done")
        lr = (0.1, 0.01)[self._next_trial_id]
        config = {"n_layers": 1, "units_1": 8, "optimizer": "adam", "learning_rate": lr,
                  "batch_size": 64}  # fmt: skip
        return Proposal(self.new_trial_id(), config, 1)

    def tell(self, trial_id: int, result: TrialResult) -> None:
        pass


@pytest.mark.parametrize("where", ["build", "fit"])
def test_a_trial_raising_an_empty_message_fails_alone(
    tmp_path: Path, data: Any, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    problem, splits = data
    if where == "build":
        problem = BrokenBuild()
        kind = "MemoryError"
    else:
        import tunebench.backends.keras_training as trainer_mod

        real_fit = trainer_mod.TrialSession.fit
        calls: list[int] = []

        def fit(self: Any, target: int, on_epoch: Any) -> None:
            calls.append(1)
            if len(calls) == 1:
                raise ValueError(" \n ")  # blank message
            real_fit(self, target, on_epoch)

        monkeypatch.setattr(trainer_mod.TrialSession, "fit", fit)
        kind = "ValueError"
    record = execute_run(spec(), tmp_path, problem, splits, TwoConfigs())
    assert record.status == "complete"
    ends = events(tmp_path, "trial_end")
    assert [e["status"] for e in ends] == ["failed", "complete"]
    assert ends[0]["reason"] == kind
    assert record.result.n_failed == 1


def test_live_run_with_concurrency_two_trains_two_trials_at_once(tmp_path: Path, data: Any) -> None:
    problem, splits = data
    record = execute_run(
        spec(concurrency=2, full_evaluations=4), tmp_path, problem, splits, RandomSearch()
    )
    assert record.status == "complete" and record.ledger.epochs == 8
    epochs = events(tmp_path, "epoch")
    assert {e["worker"] for e in epochs} == {0, 1}
    assert all(e["start"] < e["end"] for e in epochs)
    # Some epoch of one trial trained while an epoch of another trial was training.
    overlapping = [
        (a["trial"], b["trial"])
        for a in epochs
        for b in epochs
        if a["trial"] < b["trial"] and a["start"] < b["end"] and b["start"] < a["end"]
    ]
    assert overlapping
    ends = events(tmp_path, "trial_end")
    assert len(ends) == record.result.n_trials and record.result.n_failed == 0
    assert record.spec.concurrency == 2
