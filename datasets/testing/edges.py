"""Configs at the edges of a search space: the ones the kit builds besides the defaults.

See rule 9 (``edge_configs_build``) in the package docs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tunebench.strategies.space import Categorical, Float, Int, Param, SearchSpace


def _same(a: Any, b: Any) -> bool:
    """Type-strict equality (``True`` is not ``1``), as conditions compare."""
    return bool(a == b) and type(a) is type(b)


def _activation(space: SearchSpace, param: Param) -> dict[str, Any]:
    """Values of ``param``'s ancestors that make it active (parents' defaults when they do)."""
    forced: dict[str, Any] = {}
    condition = param.condition
    while condition is not None:
        parent = space[condition.parent]
        default = parent.default_value()
        ok = any(_same(default, v) for v in condition.values)
        forced[parent.name] = default if ok else condition.values[0]
        condition = parent.condition
    return forced


def _fill(space: SearchSpace, forced: Mapping[str, Any]) -> dict[str, Any]:
    """The config with ``forced`` values and defaults elsewhere, active parameters only."""
    config: dict[str, Any] = {}
    for param in space:  # parents precede children, so activation uses values already set
        if space.is_active(param.name, config):
            config[param.name] = forced.get(param.name, param.default_value())
    return config


def _edge_values(param: Param) -> tuple[Any, ...]:
    if isinstance(param, Categorical):
        return param.choices
    assert isinstance(param, (Int, Float))
    return (param.low,) if param.low == param.high else (param.low, param.high)


def edge_configs(space: SearchSpace) -> list[tuple[str, dict[str, Any]]]:
    """The defaults, then one config per edge value of every parameter, duplicates dropped.

    Edge values: ``low`` and ``high`` of each :class:`Int` and :class:`Float`, every choice
    of each :class:`Categorical`. The other parameters stay at their defaults; a
    conditional parameter is activated through its ancestors (see module docs).

    Returns:
        ``(label, config)`` pairs, the first labelled ``"defaults"``; a label reads like
        ``"units_2=4 (n_layers=2)"``.

    Raises:
        InvalidConfigError: An edge config is not valid in ``space`` (a broken space).
    """
    out: list[tuple[str, dict[str, Any]]] = [("defaults", space.canonical(space.defaults()))]
    seen = {space.config_key(out[0][1])}
    for param in space:
        forced = _activation(space, param)
        for value in _edge_values(param):
            config = space.canonical(_fill(space, {**forced, param.name: value}))
            key = space.config_key(config)
            if key in seen:
                continue
            seen.add(key)
            via = ", ".join(f"{k}={v!r}" for k, v in forced.items())
            out.append((f"{param.name}={value!r}" + (f" ({via})" if via else ""), config))
    return out
