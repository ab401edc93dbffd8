"""The run loop itself, without Keras: driven over the conformance kit's synthetic backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tunebench.backends.session import SnapshotStore
from tunebench.records.events import Epoch, TrialEnd, TrialStart
from tunebench.run.ledger import Ledger
from tunebench.run.loop import MemoryLog, ProtocolError, RunLoop
from tunebench.strategies import BudgetView, Exhausted, Proposal, RandomSearch, Strategy, Wait
from tunebench.strategies.base import Fidelity, TrialResult
from tunebench.strategies.testing import SyntheticTrainer, mlp_like_space

FIDELITY = Fidelity(1, 4)


def loop(strategy: Strategy, tmp_path: Path, *, cap: int = 12, concurrency: int = 1) -> RunLoop:
    space = mlp_like_space()
    strategy.setup(space, FIDELITY, "maximize", 0)
    return RunLoop(strategy, space, FIDELITY, Ledger.capped_in_epochs(4, cap),
                   SyntheticTrainer(space, "maximize"), SnapshotStore(tmp_path), run_seed=0,
                   concurrency=concurrency)  # fmt: skip


def test_epochs_of_trials_in_flight_arrive_in_completion_order(tmp_path: Path) -> None:
    run = loop(RandomSearch(), tmp_path, cap=24, concurrency=3)
    log = MemoryLog()
    end = run.run(log)
    assert end.kind == "budget" and run.ledger.epochs == 24
    epochs = [e for e in log.events if isinstance(e, Epoch)]
    assert [e.end for e in epochs] == sorted(e.end for e in epochs)  # the simulated clock
    assert {e.worker for e in epochs} == {0, 1, 2}
    starts = [e for e in log.events if isinstance(e, TrialStart)]
    ends = [e for e in log.events if isinstance(e, TrialEnd)]
    assert len(starts) == len(ends) == len(run.results)
    # A later trial can end before an earlier one: tells come in completion order.
    assert [e.trial for e in ends] != sorted(e.trial for e in ends)


class Waits(Strategy):
    name = "waits"

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        return Wait()

    def tell(self, trial_id: int, result: TrialResult) -> None:
        pass


def test_wait_with_nothing_in_flight_names_the_strategy_and_the_trial_state(
    tmp_path: Path,
) -> None:
    for concurrency in (1, 2):
        with pytest.raises(ProtocolError, match=r"'waits' returned Wait with no trial in flight "
                           r"\(0 trials ended, 0 in flight\)"):  # fmt: skip
            loop(Waits(), tmp_path, concurrency=concurrency).run(MemoryLog())


class BadReport(RandomSearch):
    name = "bad-report"

    def report(self, trial_id: int, epoch: int, value: float) -> Any:
        return "continue"


def test_a_report_that_is_not_a_decision_is_a_protocol_error(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match=r"'bad-report' returned 'continue' from report"):
        loop(BadReport(), tmp_path).run(MemoryLog())


class Continues(Strategy):
    """Trains one config for 2 epochs, then continues its weights with ``change``."""

    name = "continues"

    def __init__(self, change: dict[str, Any]) -> None:
        self.change = change
        self.asked = 0

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        self.asked += 1
        config = {"n_layers": 1, "units_1": 8, "optimizer": "adam", "learning_rate": 0.01,
                  "dropout": 0.1, "batch_size": 64}  # fmt: skip
        if self.asked == 1:
            return Proposal(self.new_trial_id(), config, 2)
        if self.asked == 2:
            return Proposal(self.new_trial_id(), {**config, **self.change}, 4, resume_from=0)
        return Exhausted("done")

    def keep_weights(self, trial_id: int) -> bool:
        return True

    def tell(self, trial_id: int, result: TrialResult) -> None:
        pass


def test_a_continuation_may_change_the_continuable_parameters_only(tmp_path: Path) -> None:
    log = MemoryLog()
    loop(Continues({"learning_rate": 0.05, "batch_size": 128}), tmp_path).run(log)
    starts = [e for e in log.events if isinstance(e, TrialStart)]
    assert [(s.resume_from, s.start_epoch, s.config["learning_rate"]) for s in starts] == [
        (None, 0, 0.01),
        (0, 2, 0.05),
    ]
    with pytest.raises(ProtocolError, match=r"'continues' resumes trial 0 with another config: "
                       r"it changes \['units_1'\], which a continuation of the weights may not "
                       r"change \(this space's continuable parameters: optimizer, "
                       r"learning_rate, dropout, batch_size\)"):  # fmt: skip
        loop(Continues({"units_1": 16}), tmp_path / "b").run(MemoryLog())


class Snapping(SyntheticTrainer):
    """Serves every proposal from a 'recorded' config: its learning rate snapped to 1e-3."""

    def open(self, config: Any, config_key: str, seed: int, resume: Any = None) -> Any:
        snapped = {**config, "learning_rate": 1e-3}
        key = self.space.config_key(snapped)
        session = super().open(snapped, key, seed, resume)
        session.served = (key, 0.5)
        return session


class Learns(RandomSearch):
    """Random search that remembers what it was told about served configs."""

    def setup(self, *args: Any) -> None:
        super().setup(*args)
        self.told: dict[int, dict[str, Any]] = {}

    def evaluated_as(self, trial_id: int, config: dict[str, Any]) -> None:
        self.told[trial_id] = config
        super().evaluated_as(trial_id, config)


def test_a_served_config_is_what_the_trial_records_and_what_the_strategy_learns(
    tmp_path: Path,
) -> None:
    space = mlp_like_space()
    strategy = Learns()
    strategy.setup(space, FIDELITY, "maximize", 0)
    run = RunLoop(strategy, space, FIDELITY, Ledger.capped_in_epochs(4, 12),
                  Snapping(space, "maximize"), SnapshotStore(tmp_path), run_seed=0)  # fmt: skip
    run.run(MemoryLog())
    assert run.trials and set(strategy.told) == set(run.trials)
    for trial_id, rec in run.trials.items():
        assert rec.config["learning_rate"] == 1e-3 == strategy.told[trial_id]["learning_rate"]
        assert rec.proposed is not None and rec.proposed["learning_rate"] != 1e-3
    # optuna's history holds the served configs: the proposals were closed as failed
    complete = [t for t in strategy.study.trials if t.state.name == "COMPLETE"]
    assert complete and all(t.params["learning_rate"] == 1e-3 for t in complete)


class ResumesItsProposal(Strategy):
    """Trains one config for 2 epochs, then resumes it to 4 with the config it proposed."""

    name = "resumes-its-proposal"

    def setup(self, *args: Any) -> None:
        super().setup(*args)
        self.config = {**self.space.defaults(), "learning_rate": 0.05}
        self.asked = 0

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        self.asked += 1
        if self.asked == 1:
            return Proposal(self.new_trial_id(), self.config, 2)
        if self.asked == 2:
            return Proposal(self.new_trial_id(), self.config, 3, resume_from=0)
        if self.asked == 3:  # a promotion of a promotion (SMAC-HB, DEHB do this)
            return Proposal(self.new_trial_id(), self.config, 4, resume_from=1)
        return Exhausted("done")

    def keep_weights(self, trial_id: int) -> bool:
        return True

    def tell(self, trial_id: int, result: TrialResult) -> None:
        pass


def test_a_strategy_that_resumes_its_proposal_continues_what_was_served(tmp_path: Path) -> None:
    space = mlp_like_space()
    strategy = ResumesItsProposal()
    strategy.setup(space, FIDELITY, "maximize", 0)
    run = RunLoop(strategy, space, FIDELITY, Ledger.capped_in_epochs(4, 12),
                  Snapping(space, "maximize"), SnapshotStore(tmp_path), run_seed=0)  # fmt: skip
    log = MemoryLog()
    run.run(log)
    served = run.trials[0].config
    assert run.trials[1].config == run.trials[2].config == served  # continued, twice
    assert served["learning_rate"] == 1e-3 and run.trials[2].epochs == 4
    starts = [e for e in log.events if isinstance(e, TrialStart)]
    assert [s.resume_from for s in starts] == [None, 0, 1]
    assert starts[1].config == starts[2].config == served
