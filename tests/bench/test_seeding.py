from __future__ import annotations

from tunebench.seeding import seed_for, seeds_of_run


def test_streams_are_stable_and_distinct() -> None:
    assert seed_for(3, "strategy") == seed_for(3, "strategy")
    streams = seeds_of_run(3)
    assert streams["run"] == 3
    assert len({streams["strategy"], streams["training"], streams["replay"]}) == 3
    assert seed_for(3, "training", 0) != seed_for(3, "training", 1)
    assert seed_for(3, "strategy") != seed_for(4, "strategy")
    assert all(0 <= s < 2**31 for s in streams.values())
