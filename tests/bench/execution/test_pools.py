from __future__ import annotations

from typing import Any

from tunebench.execution.pools import RecyclingPool


class FakePool:
    def __init__(self, made: list[FakePool]) -> None:
        made.append(self)
        self.shutdowns: list[dict[str, Any]] = []

    def shutdown(self, **kwargs: Any) -> None:
        self.shutdowns.append(kwargs)


def test_a_fresh_pool_after_each_share_and_the_retired_one_shut_down() -> None:
    made: list[FakePool] = []
    pools = RecyclingPool(lambda: FakePool(made), 2, wait_on_retire=True)
    handed = [pools.pool() for _ in range(5)]
    assert handed == [made[0], made[0], made[1], made[1], made[2]]
    assert made[0].shutdowns == made[1].shutdowns == [{"wait": True}] and not made[2].shutdowns
    pools.close(cancel_futures=True)
    assert made[2].shutdowns == [{"wait": True, "cancel_futures": True}]


def test_a_forgotten_pool_is_replaced_and_its_share_keeps_counting() -> None:
    made: list[FakePool] = []
    pools = RecyclingPool(lambda: FakePool(made), 3)
    first = pools.pool()
    pools.forget(first)  # broken: not shut down here, and never handed out again
    assert [pools.pool(), pools.pool(), pools.pool()] == [made[1], made[1], made[2]]
    assert made[1].shutdowns == [{"wait": False}] and not first.shutdowns


def test_without_a_share_the_pool_is_kept() -> None:
    made: list[FakePool] = []
    pools = RecyclingPool(lambda: FakePool(made), None)
    assert {id(pools.pool()) for _ in range(100)} == {id(made[0])} and len(made) == 1
