from __future__ import annotations

import pytest

from tunebench.run.ledger import BudgetExceeded, Ledger


def test_epoch_cap_counts_full_evaluations() -> None:
    ledger = Ledger(max_epochs=5, full_evaluations=2)
    assert ledger.affordable_epochs() == 10
    for _ in range(7):
        ledger.charge_epoch(seconds=0.5, flops=100.0)
    assert ledger.epochs == 7
    assert ledger.budget_used == pytest.approx(1.4)
    assert ledger.affordable_epochs() == 3
    assert ledger.view().remaining_epochs == 3
    assert ledger.view().total == 2.0
    assert ledger.flops == 700.0
    assert ledger.train_seconds == pytest.approx(3.5)
    assert not ledger.exhausted


def test_charging_past_epoch_cap_is_refused() -> None:
    ledger = Ledger(max_epochs=1, full_evaluations=2)
    ledger.charge_epoch(1.0, 1.0)
    ledger.charge_epoch(1.0, 1.0)
    assert ledger.exhausted
    assert ledger.affordable_epochs() == 0
    with pytest.raises(BudgetExceeded):
        ledger.charge_epoch(1.0, 1.0)
    assert ledger.epochs == 2


def test_setup_seconds_do_not_consume_epoch_budget() -> None:
    ledger = Ledger(max_epochs=2, full_evaluations=1)
    cost = ledger.charge_setup(3.0)
    assert cost.epochs == 0 and cost.seconds == 3.0
    assert ledger.affordable_epochs() == 2
    assert ledger.setup_seconds == 3.0


def test_seconds_cap_caps_the_crossing_epoch() -> None:
    ledger = Ledger(max_epochs=3, seconds=10.0)
    first = ledger.charge_epoch(seconds=6.0, flops=1.0)
    assert not first.over
    crossing = ledger.charge_epoch(seconds=6.0, flops=1.0)
    assert crossing.over
    assert crossing.cost.seconds == pytest.approx(4.0)
    assert ledger.seconds == pytest.approx(10.0)
    assert ledger.exhausted
    assert ledger.affordable_epochs() is None
    assert ledger.fraction_used() == 1.0


def test_seconds_cap_counts_setup_and_strategy_time() -> None:
    ledger = Ledger(max_epochs=3, seconds=10.0)
    ledger.charge_setup(4.0)
    ledger.charge_overhead(5.0)
    assert not ledger.exhausted
    ledger.charge_overhead(5.0)  # capped at the 1 s that was left
    assert ledger.seconds == pytest.approx(10.0)
    assert ledger.exhausted


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one"),
        ({"full_evaluations": 1, "seconds": 1.0}, "exactly one"),
        ({"full_evaluations": 0}, "> 0"),
        ({"full_evaluations": -3}, "> 0"),
        ({"seconds": -1.0}, "> 0"),
    ],
)
def test_bad_caps_are_rejected(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Ledger(max_epochs=2, **kwargs)  # type: ignore[arg-type]
