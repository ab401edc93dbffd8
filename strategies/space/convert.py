"""A :class:`~tunebench.strategies.space.SearchSpace` in the libraries' own terms.

* Optuna: a distribution per parameter (:func:`to_optuna`, for samplers that need the
  whole space up front) and define-by-run suggestions of the active parameters only
  (:func:`suggest_optuna`).
* keras-tuner: ``HyperParameters`` with nested conditional scopes
  (:func:`to_keras_tuner`) and back (:func:`from_keras_tuner`).
* syne-tune: a flat dict of domains (:func:`to_syne_tune`); it has no conditions, so its
  configs carry every parameter and :func:`active_config` keeps the active ones.
* ConfigSpace (DEHB, SMAC): a ``ConfigurationSpace`` with the conditions
  (:func:`to_configspace`).

The space's methods of the same names call these, so strategies may use either. This
module needs only the parameters: it reads a space through :class:`SpaceView` and never
imports :mod:`~tunebench.strategies.space.search_space` (which imports it). One
parameter's Optuna distribution and suggestion are the parameter's own methods
(``to_optuna``, ``suggest``); :func:`optuna_distribution` and :func:`suggest_value` call
them. keras-tuner (and with it TensorFlow) is imported only when it is used.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from tunebench.strategies.space.params import (
    Categorical,
    Condition,
    Float,
    Int,
    Param,
    _is_int,
)

if TYPE_CHECKING:
    import keras_tuner
    from optuna.distributions import BaseDistribution
    from optuna.trial import BaseTrial

__all__ = [
    "SpaceView",
    "active_config",
    "from_keras_tuner",
    "optuna_distribution",
    "suggest_optuna",
    "suggest_value",
    "to_configspace",
    "to_keras_tuner",
    "to_optuna",
    "to_syne_tune",
]


class SpaceView(Protocol):
    """What the converters read of a space; a :class:`~.search_space.SearchSpace` is one."""

    def __iter__(self) -> Iterator[Param]: ...

    def __getitem__(self, name: str) -> Param: ...

    def is_active(self, name: str, config: Mapping[str, Any]) -> bool:
        """Whether parameter ``name`` is active under ``config``."""
        ...

    def active_names(self, config: Mapping[str, Any]) -> list[str]:
        """Names of the parameters active under ``config``, in space order."""
        ...

    def canonical(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The validated ``config``, keys in space order and plain Python values."""
        ...


# -- Optuna -------------------------------------------------------------------------------------


def optuna_distribution(param: Param) -> BaseDistribution:
    """The Optuna distribution equivalent to one parameter (its ``to_optuna``)."""
    return param.to_optuna()


def suggest_value(param: Param, trial: BaseTrial) -> Any:
    """Ask an Optuna trial for a value of one parameter (its ``suggest``; canonical)."""
    return param.suggest(trial)


def suggest_optuna(space: SpaceView, trial: BaseTrial) -> dict[str, Any]:
    """Suggest a config on an Optuna trial, define-by-run.

    Only active parameters are suggested, in space order, so inactive ones never appear
    in ``trial.params``.
    """
    config: dict[str, Any] = {}
    for param in space:
        if space.is_active(param.name, config):
            config[param.name] = suggest_value(param, trial)
    return config


def to_optuna(space: SpaceView) -> dict[str, BaseDistribution]:
    """Optuna distributions of every parameter, conditional ones included."""
    return {p.name: optuna_distribution(p) for p in space}


# -- keras-tuner --------------------------------------------------------------------------------


def _ancestry(space: SpaceView, param: Param) -> list[Condition]:
    """Conditions from the root ancestor down to ``param``'s own condition."""
    chain: list[Condition] = []
    condition = param.condition
    while condition is not None:
        chain.append(condition)
        condition = space[condition.parent].condition
    return chain[::-1]


def to_keras_tuner(
    space: SpaceView, hp: keras_tuner.HyperParameters | None = None
) -> keras_tuner.HyperParameters:
    """Declare the space on keras-tuner ``HyperParameters``.

    Conditional parameters are declared inside nested ``hp.conditional_scope`` blocks, one
    per ancestor condition: keras-tuner only finds a conditional parent inside the scopes it
    was declared in, and nesting keeps a grandchild inactive when its grandparent
    deactivates the parent. Log-scale ints are declared with ``step=None`` because in
    keras-tuner a log ``step`` is a multiplier (and must be > 1); ``None`` keeps every
    integer of ``[low, high]`` reachable, exactly like the space. Bool choices come back
    from keras-tuner as 0/1; :func:`from_keras_tuner` maps them back.

    Args:
        space: The space.
        hp: Container to declare on; a new one when ``None``.

    Returns:
        The container, with every parameter declared at its default value.
    """
    import keras_tuner  # deferred: it imports TensorFlow

    if hp is None:
        hp = keras_tuner.HyperParameters()
    for param in space:
        with contextlib.ExitStack() as scopes:
            for condition in _ancestry(space, param):
                scopes.enter_context(hp.conditional_scope(condition.parent, list(condition.values)))
            if isinstance(param, Int):
                hp.Int(
                    param.name,
                    min_value=param.low,
                    max_value=param.high,
                    step=None if param.log else param.step,
                    sampling="log" if param.log else "linear",
                    default=param.default_value(),
                )
            elif isinstance(param, Float):
                hp.Float(
                    param.name,
                    min_value=param.low,
                    max_value=param.high,
                    sampling="log" if param.log else "linear",
                    default=param.default_value(),
                )
            else:
                hp.Choice(param.name, list(param.choices), default=param.default_value())
    return hp


def from_keras_tuner(space: SpaceView, values: Mapping[str, Any]) -> dict[str, Any]:
    """Turn keras-tuner values (``hp.values``) into a canonical config of the space.

    Keys that are not space parameters (such as ``tuner/epochs``) and values of inactive
    parameters are dropped.

    Raises:
        InvalidConfigError: If an active parameter is missing or has a bad value.
    """
    config: dict[str, Any] = {}
    for param in space:
        if param.name not in values or not space.is_active(param.name, config):
            continue
        value = values[param.name]
        # keras-tuner's Choice stores bool choices as the ints 0 and 1.
        if (
            isinstance(param, Categorical)
            and isinstance(param.choices[0], bool)
            and _is_int(value)
            and value in (0, 1)
        ):
            value = bool(value)
        config[param.name] = value
    return space.canonical(config)


# -- syne-tune ----------------------------------------------------------------------------------


def to_syne_tune(space: SpaceView) -> dict[str, Any]:
    """The space as syne-tune domains, one per parameter, conditions dropped.

    Log scales and steps are kept: ``loguniform``/``lograndint`` for log parameters,
    ``finrange`` for an Int with a step; both ends are included, as in the space.
    """
    from syne_tune.config_space import (
        choice,
        finrange,
        lograndint,
        loguniform,
        randint,
        uniform,
    )

    domains: dict[str, Any] = {}
    for param in space:
        if isinstance(param, Categorical):
            domains[param.name] = choice(list(param.choices))
        elif isinstance(param, Float):
            domains[param.name] = (loguniform if param.log else uniform)(param.low, param.high)
        elif param.step != 1:
            size = (param.high - param.low) // param.step + 1
            domains[param.name] = finrange(param.low, param.high, size, cast_int=True)
        else:
            domains[param.name] = (lograndint if param.log else randint)(param.low, param.high)
    return domains


def active_config(space: SpaceView, config: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of a flat ``config`` (every parameter set) active under it."""
    return {name: config[name] for name in space.active_names(config)}


# -- ConfigSpace --------------------------------------------------------------------------------


def to_configspace(space: SpaceView, seed: int) -> Any:
    """The space as a ConfigSpace ``ConfigurationSpace`` seeded with ``seed``.

    Log scales are kept; an Int with a step becomes an ordinal over its values (ConfigSpace
    1.x integers have no step); each condition becomes an ``InCondition`` (an
    ``EqualsCondition`` for one value) on its parent.
    """
    import ConfigSpace as cs

    out = cs.ConfigurationSpace(seed=seed)
    for param in space:
        hp: Any
        if isinstance(param, Categorical):
            hp = cs.Categorical(param.name, list(param.choices))
        elif isinstance(param, Float):
            hp = cs.Float(param.name, (float(param.low), float(param.high)), log=param.log)
        elif param.step != 1:
            values = list(range(param.low, param.high + 1, param.step))
            hp = cs.OrdinalHyperparameter(param.name, values)
        else:
            hp = cs.Integer(param.name, (param.low, param.high), log=param.log)
        out.add(hp)
    for param in space:
        condition = param.condition
        if condition is None:
            continue
        child, parent = out[param.name], out[condition.parent]
        if len(condition.values) == 1:
            out.add(cs.EqualsCondition(child, parent, condition.values[0]))
        else:
            out.add(cs.InCondition(child, parent, list(condition.values)))
    return out


def to_configuration(configspace: Any, config: Mapping[str, Any]) -> Any:
    """A config of the space as a ``Configuration`` of its ConfigSpace twin.

    Args:
        configspace: The space as built by :func:`to_configspace`.
        config: A canonical config (its active parameters).

    Returns:
        The ``ConfigSpace.Configuration`` with those values.
    """
    import ConfigSpace as cs

    return cs.Configuration(configspace, values=dict(config))
