"""The search space: an ordered tuple of parameters with conditions, and its configs.

A :class:`SearchSpace` validates a config (exactly the active parameters, each with an
allowed value, else :class:`InvalidConfigError`), makes it canonical, gives its defaults,
its finite grid and a fingerprint. Its methods ``suggest_optuna``, ``to_optuna``,
``to_keras_tuner`` and ``from_keras_tuner`` call the converters of
:mod:`tunebench.strategies.space.convert`, which never import this module.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tunebench.errors import TunebenchError
from tunebench.strategies.space import convert
from tunebench.strategies.space.params import (
    Categorical,
    Condition,
    Float,
    Int,
    Param,
    _strict_index,
)

if TYPE_CHECKING:
    import keras_tuner
    from optuna.distributions import BaseDistribution
    from optuna.trial import BaseTrial

__all__ = ["InvalidConfigError", "SearchSpace"]


class InvalidConfigError(TunebenchError, ValueError):
    """A config does not fit the search space.

    The message is one line naming the parameter, the offending value and what is allowed.

    Attributes:
        param: Name of the offending parameter (or unknown key).
        value: The offending value (``None`` when the value is missing).
        allowed: Human-readable description of what is allowed.
        problem: What is wrong, including the offending value.
    """

    def __init__(self, param: str, value: Any, allowed: str, problem: str) -> None:
        # Pass every field to ValueError so the exception pickles (e.g. across processes).
        super().__init__(param, value, allowed, problem)
        self.param = param
        self.value = value
        self.allowed = allowed
        self.problem = problem

    def __str__(self) -> str:
        message = f"parameter {self.param!r}: {self.problem}; allowed: {self.allowed}"
        return " ".join(message.splitlines())


def _describe(value: Any) -> str:
    """Repr of a value with its type, for error messages."""
    return f"{value!r} ({type(value).__name__})"


def _nearest(values: Sequence[int | float], target: float, log: bool) -> int | float:
    """The value closest to ``target`` (in log space for log parameters); ties go to the first."""
    if log:
        return min(values, key=lambda v: abs(math.log(v) - math.log(target)))
    return min(values, key=lambda v: abs(v - target))


# ---------------------------------------------------------------------------------------------
# Search space
# ---------------------------------------------------------------------------------------------


class SearchSpace:
    """An ordered, validated collection of parameters with optional conditions.

    Args:
        params: The parameters, in order; a conditional parameter must come after its parent.
        continuable: Names of the parameters that a trial may change when it continues
            another trial's weights (``Proposal.resume_from``): those that leave the
            model's weights as they are (learning rate, batch size, ...), unlike layer
            sizes. Population-based training mutates only these. Not part of the
            :meth:`fingerprint`: it says how a model may be continued, not which
            configs exist.

    Raises:
        ValueError: On an empty space, duplicate names, a condition whose parent is unknown,
            defined later, a :class:`Float`, or does not allow one of the condition's values,
            or a ``continuable`` name that is not a parameter.
        TypeError: If an element of ``params`` is not a parameter.
    """

    def __init__(self, params: Sequence[Param], continuable: Sequence[str] = ()) -> None:
        params = tuple(params)
        if not params:
            raise ValueError("a search space needs at least one parameter")
        by_name: dict[str, Param] = {}
        for param in params:
            if not isinstance(param, (Int, Float, Categorical)):
                raise TypeError(f"expected Int, Float or Categorical, got {param!r}")
            if param.name in by_name:
                raise ValueError(f"duplicate parameter name {param.name!r}")
            condition = param.condition
            if condition is not None:
                parent = by_name.get(condition.parent)
                if parent is None:
                    where = (
                        "is defined later"
                        if any(p.name == condition.parent for p in params)
                        else "does not exist"
                    )
                    raise ValueError(
                        f"parameter {param.name!r}: condition parent {condition.parent!r} "
                        f"{where}; a parent must be defined earlier in the space"
                    )
                if isinstance(parent, Float):
                    raise ValueError(
                        f"parameter {param.name!r}: condition parent {condition.parent!r} is a "
                        "Float; only Int and Categorical parents are supported"
                    )
                for value in condition.values:
                    if not parent.contains(value):
                        raise ValueError(
                            f"parameter {param.name!r}: condition value {value!r} is not a "
                            f"valid value of {parent.name!r}, which allows {parent._allowed()}"
                        )
            by_name[param.name] = param
        self._params: tuple[Param, ...] = params
        self._by_name = by_name
        unknown = [name for name in continuable if name not in by_name]
        if unknown:
            raise ValueError(f"continuable names {unknown} are not parameters of the space")
        self._continuable = tuple(n for n in by_name if n in set(continuable))

    # -- container protocol -------------------------------------------------------------------

    @property
    def params(self) -> tuple[Param, ...]:
        """The parameters, in space order."""
        return self._params

    @property
    def names(self) -> tuple[str, ...]:
        """The parameter names, in space order."""
        return tuple(p.name for p in self._params)

    @property
    def continuable(self) -> tuple[str, ...]:
        """Parameters a continuation of another trial's weights may change, in space order."""
        return self._continuable

    def changed(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
        """Parameters set differently in two configs (present in one only counts), in order."""
        return tuple(n for n in self.names if (n in old) != (n in new) or old.get(n) != new.get(n))

    def __iter__(self) -> Iterator[Param]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __getitem__(self, name: str) -> Param:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(
                f"no parameter {name!r} in the search space; known: {list(self._by_name)}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._by_name

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SearchSpace):
            return NotImplemented
        return self._params == other._params

    def __hash__(self) -> int:
        return hash(self._params)

    def __repr__(self) -> str:
        return f"SearchSpace({list(self._params)!r})"

    # -- activation -----------------------------------------------------------------------------

    def is_active(self, name: str, config: Mapping[str, Any]) -> bool:
        """Whether parameter ``name`` is active under ``config``.

        A parameter is active when it has no condition, or its parent is active, present in
        ``config`` and set to one of the condition's values. A child of an inactive parent is
        inactive whatever ``config`` says about the parent.

        Raises:
            KeyError: If ``name`` is not in the space.
        """
        condition = self[name].condition
        if condition is None:
            return True
        if not self.is_active(condition.parent, config) or condition.parent not in config:
            return False
        return _strict_index(config[condition.parent], condition.values) is not None

    def active_names(self, config: Mapping[str, Any]) -> list[str]:
        """Names of the parameters active under ``config``, in space order."""
        return [p.name for p in self._params if self.is_active(p.name, config)]

    def _why_active(self, name: str, config: Mapping[str, Any]) -> str:
        condition = self[name].condition
        if condition is None:
            return "it is unconditional"
        return f"{condition.parent}={config.get(condition.parent)!r}"

    def _why_inactive(self, name: str, config: Mapping[str, Any]) -> str:
        condition = self[name].condition
        assert condition is not None  # unconditional parameters are always active
        if not self.is_active(condition.parent, config):
            return f"its parent {condition.parent!r} is inactive"
        return (
            f"{condition.parent}={config.get(condition.parent)!r}, "
            f"needs one of {list(condition.values)!r}"
        )

    # -- validation -----------------------------------------------------------------------------

    def validate(self, config: Mapping[str, Any]) -> None:
        """Check that ``config`` holds exactly the active parameters, each with a valid value.

        Raises:
            InvalidConfigError: On an unknown key, a missing active parameter, a value of the
                wrong type or out of range, or a value given for an inactive parameter.
        """
        for key in config:
            if key not in self:
                raise InvalidConfigError(
                    str(key),
                    config[key],
                    f"only the space's parameters {list(self.names)!r}",
                    f"unknown parameter, got {_describe(config[key])}",
                )
        for param in self._params:
            name = param.name
            if self.is_active(name, config):
                if name not in config:
                    raise InvalidConfigError(
                        name,
                        None,
                        param._allowed(),
                        f"missing value, but the parameter is active "
                        f"({self._why_active(name, config)})",
                    )
                value = config[name]
                if not param.contains(value):
                    raise InvalidConfigError(
                        name, value, param._allowed(), f"bad value {_describe(value)}"
                    )
            elif name in config:
                raise InvalidConfigError(
                    name,
                    config[name],
                    "no value (omit it)",
                    f"value {_describe(config[name])} given for an inactive parameter "
                    f"({self._why_inactive(name, config)})",
                )

    def canonical(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Validate ``config`` and return it with keys in space order and plain Python values.

        Int values become ``int``, Float values ``float`` and Categorical values the matching
        choice, so numpy scalars and ``1`` vs ``1.0`` do not change the result.

        Raises:
            InvalidConfigError: If ``config`` is not valid (see :meth:`validate`).
        """
        self.validate(config)
        return {p.name: p._canonical(config[p.name]) for p in self._params if p.name in config}

    def config_key(self, config: Mapping[str, Any]) -> str:
        """Canonical JSON string of ``config``, usable as a dictionary key or cache key.

        Raises:
            InvalidConfigError: If ``config`` is not valid (see :meth:`validate`).
        """
        return json.dumps(
            self.canonical(config), sort_keys=True, separators=(",", ":"), allow_nan=False
        )

    def defaults(self) -> dict[str, Any]:
        """The default config: every parameter active under the defaults, at its default."""
        config: dict[str, Any] = {}
        # Parents precede children, so activation is decided on values already chosen.
        for param in self._params:
            if self.is_active(param.name, config):
                config[param.name] = param.default_value()
        return config

    # -- library converters (tunebench.strategies.space.convert) ---------------------------------

    def suggest_optuna(self, trial: BaseTrial) -> dict[str, Any]:
        """Suggest a config on an Optuna trial (see :func:`~.convert.suggest_optuna`)."""
        return convert.suggest_optuna(self, trial)

    def to_optuna(self) -> dict[str, BaseDistribution]:
        """Optuna distributions of every parameter (see :func:`~.convert.to_optuna`)."""
        return convert.to_optuna(self)

    def to_keras_tuner(
        self, hp: keras_tuner.HyperParameters | None = None
    ) -> keras_tuner.HyperParameters:
        """Declare the space on keras-tuner (see :func:`~.convert.to_keras_tuner`)."""
        return convert.to_keras_tuner(self, hp)

    def from_keras_tuner(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """A canonical config from keras-tuner values (see :func:`~.convert.from_keras_tuner`)."""
        return convert.from_keras_tuner(self, values)

    # -- grids ----------------------------------------------------------------------------------

    def grid(self) -> list[dict[str, Any]]:
        """Every combination of the grid values of the active parameters.

        Conditional parameters are expanded per parent value, so each config holds exactly
        its active parameters. Order is deterministic (space order, grid-value order, first
        parameter varying slowest) and every config is valid.
        """
        configs: list[dict[str, Any]] = [{}]
        for param in self._params:
            points = param.grid_values()
            expanded: list[dict[str, Any]] = []
            for config in configs:
                if self.is_active(param.name, config):
                    expanded.extend({**config, param.name: v} for v in points)
                else:
                    expanded.append(config)
            configs = expanded
        return configs

    def grid_size(self) -> int:
        """Number of configs in :meth:`grid`, computed without building them."""
        parents = {p.condition.parent for p in self._params if p.condition is not None}
        # Track only the values of condition parents; other parameters just multiply counts.
        states: dict[tuple[tuple[str, Any], ...], int] = {(): 1}
        for param in self._params:
            points = param.grid_values()
            updated: dict[tuple[tuple[str, Any], ...], int] = {}
            for state, count in states.items():
                if not self.is_active(param.name, dict(state)):
                    updated[state] = updated.get(state, 0) + count
                elif param.name in parents:
                    for value in points:
                        key = (*state, (param.name, value))
                        updated[key] = updated.get(key, 0) + count
                else:
                    updated[state] = updated.get(state, 0) + count * len(points)
            states = updated
        return sum(states.values())

    def with_grid(self) -> SearchSpace:
        """A copy in which each Int and Float becomes a Categorical over its grid values.

        The default of a converted parameter is the grid value nearest its
        :meth:`default_value` (in log space for log parameters). Conditions are kept; condition
        values that are not grid values of a converted parent are dropped, and a parameter left
        with no reachable condition value (and its descendants) is removed: neither can be
        active anywhere in the grid. ``with_grid().grid() == grid()``. Replay mode uses this
        space, where only grid points have results.
        """

        def to_grid(param: Param, condition: Condition | None) -> Param:
            if isinstance(param, Categorical):
                return replace(param, condition=condition)
            points = param.grid_values()
            default = _nearest(points, param.default_value(), param.log)
            return Categorical(param.name, points, default=default, condition=condition)

        return self._rebuilt(to_grid)

    def with_fixed(self, keep: Collection[str]) -> SearchSpace:
        """A copy in which every parameter but ``keep`` is fixed at its default.

        A fixed parameter stays in the space as a one-choice :class:`Categorical` without
        a condition: every config carries it, so the problem's model builder finds it
        wherever it is needed, and it never adds distance between two configs (a
        condition would: the same value active in one config and inactive in another).
        Condition values a fixed parent can no longer take are dropped, and a parameter
        left with none (and its descendants) is removed: it can never be active. This is
        how a benchmark space of the few parameters that matter is made from a full one.

        Raises:
            ValueError: ``keep`` names a parameter the space does not have.
        """
        unknown = sorted(set(keep) - set(self.names))
        if unknown:
            raise ValueError(
                f"unknown parameters {', '.join(unknown)}; the space has {', '.join(self.names)}"
            )

        def to_fixed(param: Param, condition: Condition | None) -> Param:
            if param.name in keep:
                return replace(param, condition=condition)
            return Categorical(param.name, (param.default_value(),))

        return self._rebuilt(to_fixed)

    def _rebuilt(self, change: Callable[[Param, Condition | None], Param]) -> SearchSpace:
        """A copy with each parameter passed through ``change``, conditions pruned.

        ``change`` gets each parameter with its condition narrowed to the values its
        (converted) parent can still take. Those values that parent can no longer take are
        dropped, and a parameter left with none, or whose parent was removed, is removed:
        it can never be active.
        """
        rebuilt: list[Param] = []
        kept: dict[str, Param] = {}
        for param in self._params:
            condition = param.condition
            if condition is not None:
                parent = kept.get(condition.parent)
                if parent is None:
                    continue  # its parent was removed, so it can never be active
                reachable = tuple(v for v in condition.values if parent.contains(v))
                if not reachable:
                    continue
                condition = Condition(condition.parent, reachable)
            new = change(param, condition)
            rebuilt.append(new)
            kept[new.name] = new
        return SearchSpace(rebuilt, [n for n in self._continuable if n in kept])

    # -- identity -------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description of the space."""
        return {"params": [p.to_dict() for p in self._params]}

    def fingerprint(self) -> str:
        """SHA-256 hex digest of the canonical JSON of :meth:`to_dict`.

        Equal for equal spaces across processes and runs; any change to a name, bound, flag,
        default, grid, choice or condition changes it.
        """
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
