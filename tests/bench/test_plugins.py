"""A strategy installed by another package appears through its entry point."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

import tunebench.plugins as plugins
from tunebench.strategies import RandomSearch, available_strategies


class PluginRandom(RandomSearch):
    """A plug-in strategy (a seeded random search under another name)."""

    name = "plugin-random"


def fake_entry_points(value: str) -> object:
    def entry_points(group: str) -> list[EntryPoint]:
        if group != "tunebench.strategies":
            return []
        return [EntryPoint(name="plugin-random", value=value, group=group)]

    return entry_points


def test_entry_point_adds_a_strategy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plugins, "entry_points", fake_entry_points(f"{__name__}:PluginRandom"))
    found = available_strategies()
    assert found["plugin-random"] is PluginRandom
    assert found["random"] is RandomSearch


def test_entry_point_that_is_not_a_strategy_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plugins, "entry_points", fake_entry_points("json:dumps"))
    with pytest.raises(TypeError, match="not a Strategy subclass"):
        available_strategies()
