from __future__ import annotations

from tunebench.datasets.stocks import mlp_space
from tunebench.strategies import GridSearch
from tunebench.strategies.testing import drive, finite_space


def test_visits_every_grid_point_once_then_stays_exhausted() -> None:
    space = finite_space()
    out = drive(GridSearch(), space=space, budget_epochs=10_000)
    keys = [space.config_key(p.config) for p in out.proposals]
    assert sorted(keys) == sorted(space.config_key(c) for c in space.grid())
    assert out.ended == "exhausted"  # drive() also checks that it stays Exhausted
    assert {p.target_epochs for p in out.proposals} == {4}
    assert all(p.resume_from is None for p in out.proposals)


def test_order_is_shuffled_by_the_seed() -> None:
    space = finite_space()
    orders = [
        [p.config for p in drive(GridSearch(), space=space, seed=s, budget_epochs=999).proposals]
        for s in (0, 0, 1)
    ]
    assert orders[0] == orders[1] != orders[2]
    assert orders[0] != space.grid()  # not the grid's own order


def test_conditional_grid_configs_hold_only_active_parameters() -> None:
    space = mlp_space()
    out = drive(GridSearch(), space=space, budget_epochs=400)
    assert len(out.proposals) == 100 and out.ended == "budget"
    assert len({space.config_key(p.config) for p in out.proposals}) == 100
    for p in out.proposals:
        assert ("units_3" in p.config) == (p.config["n_layers"] == 3)
        assert p.config["learning_rate"] in (1e-4, 1e-3, 1e-2, 1e-1)


def test_a_grid_too_large_to_build_is_drawn_point_by_point() -> None:
    from tunebench.datasets.mnist import MnistCNN

    space = MnistCNN().space()
    assert space.grid_size() > GridSearch.MATERIALISE  # space.grid() would not fit in memory
    runs = [drive(GridSearch(), space=space, seed=s, budget_epochs=40) for s in (0, 0, 1)]
    configs = [[p.config for p in out.proposals] for out in runs]
    assert len(configs[0]) == 10 and configs[0] == configs[1] != configs[2]
    assert len({space.config_key(c) for c in configs[0]}) == 10
    for config in configs[0]:
        space.validate(config)
        for name, value in config.items():
            assert value in space[name].grid_values()
