"""A typed hyperparameter search space shared by every strategy.

A :class:`SearchSpace` is an ordered tuple of parameters (:class:`Int`, :class:`Float`,
:class:`Categorical`). A parameter may carry a :class:`Condition` on a parameter defined
earlier; it is *active* only when that parent is active and takes one of the listed values.
A config holds exactly the active parameters.

The same space is translated for each backend: Optuna distributions and define-by-run
suggestions, keras-tuner ``HyperParameters`` (with conditional scopes), and a finite grid
(used by grid search and by replay mode, see :meth:`SearchSpace.with_grid`).

The translations live in :mod:`tunebench.strategies.convert`; the space's methods of the
same names call them. Importing this module does not import TensorFlow or Keras;
keras-tuner is imported only inside :func:`~tunebench.strategies.convert.to_keras_tuner`.

Example:
    An MLP whose layer widths depend on its depth:

    >>> space = SearchSpace(
    ...     [
    ...         Int("n_layers", 1, 3),
    ...         Int("units_1", 4, 128, log=True),
    ...         Int("units_2", 4, 128, log=True, condition=Condition("n_layers", (2, 3))),
    ...         Int("units_3", 4, 128, log=True, condition=Condition("n_layers", (3,))),
    ...         Categorical("optimizer", ("adam", "rmsprop", "sgd")),
    ...         Float("learning_rate", 1e-4, 1e-1, log=True),
    ...         Categorical("batch_size", (32, 64, 128, 256)),
    ...     ]
    ... )
    >>> space.defaults()["units_1"], space.active_names({"n_layers": 2})[:3]
    (23, ['n_layers', 'units_1', 'units_2'])
    >>> space["units_1"].grid_values()
    (4, 8, 16, 32, 64, 128)
    >>> space.grid_size()  # (6 + 6**2 + 6**3) widths x 3 optimizers x 4 rates x 4 sizes
    12384
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from tunebench.errors import TunebenchError

if TYPE_CHECKING:
    import keras_tuner
    from optuna.trial import BaseTrial

__all__ = [
    "Categorical",
    "Condition",
    "Float",
    "Int",
    "InvalidConfigError",
    "Param",
    "SearchSpace",
]

# Number of points in the default grid of a linear numeric parameter.
_LINEAR_GRID_POINTS = 5


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


# ---------------------------------------------------------------------------------------------
# Value helpers
# ---------------------------------------------------------------------------------------------


def _to_python(value: Any) -> Any:
    """Convert a numpy scalar to the matching Python scalar; leave anything else alone."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _is_int(value: Any) -> bool:
    """Whether ``value`` is an integer (Python or numpy), bools excluded."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value: Any) -> bool:
    """Whether ``value`` is a real number (int or float, Python or numpy), bools excluded."""
    return _is_int(value) or isinstance(value, (float, np.floating))


def _kind(value: Any) -> str | None:
    """Scalar kind used for type-strict comparisons (so ``True != 1`` and ``1 != 1.0``)."""
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if _is_int(value):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "float"
    if isinstance(value, str):
        return "str"
    return None


def _strict_index(value: Any, options: Sequence[Any]) -> int | None:
    """Index of the option equal to ``value`` with the same kind, or ``None``."""
    kind = _kind(value)
    if kind is None:
        return None
    plain = _to_python(value)
    for i, option in enumerate(options):
        # Equality first: it is cheap and rules out almost every option (hot in replay).
        if option == plain and _kind(option) == kind:
            return i
    return None


def _describe(value: Any) -> str:
    """Repr of a value with its type, for error messages."""
    return f"{value!r} ({type(value).__name__})"


def _round_half_up(x: float) -> int:
    """Round to the nearest integer, halves up (deterministic, unlike banker's rounding)."""
    return math.floor(x + 0.5)


def _check_name(kind: str, name: Any) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError(f"{kind} parameter name must be a non-empty string, got {name!r}")


def _check_condition(kind: str, name: str, condition: Any) -> None:
    if condition is not None and not isinstance(condition, Condition):
        raise ValueError(
            f"{kind} {name!r}: condition must be a Condition or None, got {condition!r}"
        )


def _check_grid(param: Int | Float, grid: tuple[Any, ...]) -> None:
    kind = type(param).__name__
    if not grid:
        raise ValueError(f"{kind} {param.name!r}: grid must not be empty")
    for value in grid:
        if not param.contains(value):
            raise ValueError(
                f"{kind} {param.name!r}: grid value {value!r} is outside the parameter, "
                f"which allows {param._allowed()}"
            )
    if len(set(grid)) != len(grid):
        raise ValueError(f"{kind} {param.name!r}: grid values must be unique, got {grid!r}")


def _nearest(values: Sequence[int | float], target: float, log: bool) -> int | float:
    """The value closest to ``target`` (in log space for log parameters); ties go to the first."""
    if log:
        return min(values, key=lambda v: abs(math.log(v) - math.log(target)))
    return min(values, key=lambda v: abs(v - target))


# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """Activation condition of a parameter on an earlier parameter.

    Attributes:
        parent: Name of a :class:`Categorical` or :class:`Int` parameter defined earlier in the
            space.
        values: The child is active only when ``config[parent]`` is one of these (compared
            type-strictly, so ``True`` does not match ``1``).
    """

    parent: str
    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.parent, str) or not self.parent:
            raise ValueError(f"Condition parent must be a non-empty string, got {self.parent!r}")
        if isinstance(self.values, (str, bytes)) or not isinstance(self.values, Sequence):
            raise ValueError(
                f"Condition on {self.parent!r}: values must be a tuple of values, "
                f"got {self.values!r}"
            )
        values = tuple(_to_python(v) for v in self.values)
        if not values:
            raise ValueError(f"Condition on {self.parent!r}: values must not be empty")
        for i, value in enumerate(values):
            if _kind(value) is None:
                raise ValueError(
                    f"Condition on {self.parent!r}: value {value!r} is not a str, int, "
                    "float or bool"
                )
            if _strict_index(value, values[:i]) is not None:
                raise ValueError(
                    f"Condition on {self.parent!r}: values must be unique, got {values!r}"
                )
        object.__setattr__(self, "values", values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description of the condition."""
        return {"parent": self.parent, "values": list(self.values)}


@dataclass(frozen=True)
class Int:
    """Integer parameter on ``low, low + step, ..., high`` (both ends included).

    Attributes:
        name: Parameter name, unique in the space.
        low: Smallest value.
        high: Largest value; ``high - low`` must be a multiple of ``step``.
        log: Sample on a log scale (needs ``low > 0`` and ``step == 1``, as in Optuna).
        step: Spacing between allowed values.
        default: Explicit default; otherwise see :meth:`default_value`.
        grid: Explicit grid points; otherwise see :meth:`grid_values`.
        condition: Activation condition, or ``None`` for an always-active parameter.
    """

    name: str
    low: int
    high: int
    log: bool = False
    step: int = 1
    default: int | None = None
    grid: tuple[int, ...] | None = None
    condition: Condition | None = None

    def __post_init__(self) -> None:
        _check_name("Int", self.name)
        for field in ("low", "high", "step"):
            value = getattr(self, field)
            if not _is_int(value):
                raise ValueError(f"Int {self.name!r}: {field} must be an int, got {value!r}")
            object.__setattr__(self, field, int(value))
        if self.low > self.high:
            raise ValueError(f"Int {self.name!r}: low ({self.low}) must be <= high ({self.high})")
        if self.step < 1:
            raise ValueError(f"Int {self.name!r}: step must be >= 1, got {self.step}")
        if self.log:
            if self.low <= 0:
                raise ValueError(f"Int {self.name!r}: log=True needs low > 0, got low={self.low}")
            # Optuna's IntDistribution rejects log with step != 1.
            if self.step != 1:
                raise ValueError(
                    f"Int {self.name!r}: log=True needs step == 1, got step={self.step}"
                )
        if (self.high - self.low) % self.step:
            raise ValueError(
                f"Int {self.name!r}: high - low ({self.high - self.low}) must be a multiple of "
                f"step ({self.step}) so that high is reachable"
            )
        if self.default is not None:
            if not self.contains(self.default):
                raise ValueError(
                    f"Int {self.name!r}: default {self.default!r} is not {self._allowed()}"
                )
            object.__setattr__(self, "default", int(self.default))
        if self.grid is not None:
            grid = tuple(self.grid)
            _check_grid(self, grid)
            object.__setattr__(self, "grid", tuple(int(v) for v in grid))
        _check_condition("Int", self.name, self.condition)

    def _allowed(self) -> str:
        on_step = f" on step {self.step} from {self.low}" if self.step != 1 else ""
        return f"an int in [{self.low}, {self.high}]{on_step}"

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is an int (numpy ints too, bools not) in range and on the step."""
        if not _is_int(value):
            return False
        return self.low <= value <= self.high and (value - self.low) % self.step == 0

    def _canonical(self, value: Any) -> int:
        return int(value)

    def _snap(self, x: float) -> int:
        """The allowed value nearest to ``x`` (halves rounded up)."""
        index = _round_half_up((x - self.low) / self.step)
        n_steps = (self.high - self.low) // self.step
        return self.low + min(max(index, 0), n_steps) * self.step

    def grid_values(self) -> tuple[int, ...]:
        """Grid points: explicit ``grid``, else a default grid.

        Log scale: the powers of two in ``[low, high]`` plus both ends. Linear: up to five
        evenly spaced values on the step, both ends included.
        """
        if self.grid is not None:
            return self.grid
        if self.log:
            points = {self.low, self.high}
            power = 1
            while power <= self.high:
                if power >= self.low:
                    points.add(power)
                power *= 2
            return tuple(sorted(points))
        n_steps = (self.high - self.low) // self.step
        if n_steps < _LINEAR_GRID_POINTS:
            indices: list[int] = list(range(n_steps + 1))
        else:
            last = _LINEAR_GRID_POINTS - 1
            # Integer round-half-up of i * n_steps / last keeps the grid exact.
            indices = [(2 * i * n_steps + last) // (2 * last) for i in range(last + 1)]
        return tuple(sorted({self.low + i * self.step for i in indices}))

    def default_value(self) -> int:
        """Explicit default, else the geometric (log) or arithmetic middle, on the step."""
        if self.default is not None:
            return self.default
        if self.log:
            return self._snap(math.sqrt(self.low * self.high))
        return self._snap((self.low + self.high) / 2)

    def to_optuna(self) -> IntDistribution:
        """The equivalent Optuna distribution."""
        from tunebench.strategies.convert import optuna_distribution

        return optuna_distribution(self)  # type: ignore[return-value]

    def suggest(self, trial: BaseTrial) -> int:
        """Ask an Optuna trial for a value of this parameter."""
        from tunebench.strategies.convert import suggest_value

        return int(suggest_value(self, trial))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description of the parameter."""
        return {
            "type": "int",
            "name": self.name,
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "step": self.step,
            "default": self.default,
            "grid": None if self.grid is None else list(self.grid),
            "condition": None if self.condition is None else self.condition.to_dict(),
        }


@dataclass(frozen=True)
class Float:
    """Real-valued parameter on the closed interval ``[low, high]``.

    Attributes:
        name: Parameter name, unique in the space.
        low: Lower bound (finite).
        high: Upper bound (finite, greater than ``low``).
        log: Sample on a log scale (needs ``low > 0``).
        default: Explicit default; otherwise see :meth:`default_value`.
        grid: Explicit grid points; otherwise see :meth:`grid_values`.
        condition: Activation condition, or ``None`` for an always-active parameter.
    """

    name: str
    low: float
    high: float
    log: bool = False
    default: float | None = None
    grid: tuple[float, ...] | None = None
    condition: Condition | None = None

    def __post_init__(self) -> None:
        _check_name("Float", self.name)
        for field in ("low", "high"):
            value = getattr(self, field)
            if not _is_real(value) or not math.isfinite(value):
                raise ValueError(
                    f"Float {self.name!r}: {field} must be a finite real number, got {value!r}"
                )
            # Normalise so Float(0, 1) and Float(0.0, 1.0) describe (and fingerprint) alike.
            object.__setattr__(self, field, float(value))
        if not self.low < self.high:
            raise ValueError(f"Float {self.name!r}: low ({self.low}) must be < high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError(f"Float {self.name!r}: log=True needs low > 0, got low={self.low}")
        if self.default is not None:
            if not self.contains(self.default):
                raise ValueError(
                    f"Float {self.name!r}: default {self.default!r} is not {self._allowed()}"
                )
            object.__setattr__(self, "default", float(self.default))
        if self.grid is not None:
            grid = tuple(float(v) if _is_real(v) else v for v in self.grid)
            _check_grid(self, grid)
            object.__setattr__(self, "grid", grid)
        _check_condition("Float", self.name, self.condition)

    def _allowed(self) -> str:
        return f"a real number in [{self.low!r}, {self.high!r}]"

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is a real number (ints accepted, bools not) within the bounds."""
        return _is_real(value) and self.low <= value <= self.high

    def _canonical(self, value: Any) -> float:
        return float(value)

    def grid_values(self) -> tuple[float, ...]:
        """Grid points: explicit ``grid``, else a default grid.

        Log scale: the powers of ten in ``[low, high]`` plus both ends. Linear: five evenly
        spaced values, both ends included.
        """
        if self.grid is not None:
            return self.grid
        if self.log:
            points = {self.low, self.high}
            first = math.floor(math.log10(self.low)) - 1
            last = math.ceil(math.log10(self.high)) + 1
            for exponent in range(first, last + 1):
                # Parsing "1e-4" gives the same float as the literal a user would write.
                power = float(f"1e{exponent}")
                if self.low <= power <= self.high:
                    points.add(power)
            return tuple(sorted(points))
        last_index = _LINEAR_GRID_POINTS - 1
        width = self.high - self.low
        inner = [min(self.low + width * i / last_index, self.high) for i in range(last_index)]
        return tuple(sorted({*inner, self.high}))

    def default_value(self) -> float:
        """Explicit default, else the geometric (log) or arithmetic middle of the range."""
        if self.default is not None:
            return self.default
        if self.log:
            middle = math.exp((math.log(self.low) + math.log(self.high)) / 2)
            return min(max(middle, self.low), self.high)
        return (self.low + self.high) / 2

    def to_optuna(self) -> FloatDistribution:
        """The equivalent Optuna distribution."""
        from tunebench.strategies.convert import optuna_distribution

        return optuna_distribution(self)  # type: ignore[return-value]

    def suggest(self, trial: BaseTrial) -> float:
        """Ask an Optuna trial for a value of this parameter."""
        from tunebench.strategies.convert import suggest_value

        return float(suggest_value(self, trial))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description of the parameter."""
        return {
            "type": "float",
            "name": self.name,
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "default": self.default,
            "grid": None if self.grid is None else list(self.grid),
            "condition": None if self.condition is None else self.condition.to_dict(),
        }


@dataclass(frozen=True)
class Categorical:
    """Parameter taking one of a finite set of scalar choices.

    Choices must all be of one kind (str, int, float or bool), as keras-tuner's ``Choice``
    requires; values are compared type-strictly, so ``True`` is not the choice ``1``.

    Attributes:
        name: Parameter name, unique in the space.
        choices: The allowed values, non-empty and unique.
        default: Explicit default (one of the choices); ``None`` means the first choice.
        condition: Activation condition, or ``None`` for an always-active parameter.
    """

    name: str
    choices: tuple[Any, ...]
    default: Any = None
    condition: Condition | None = None

    def __post_init__(self) -> None:
        _check_name("Categorical", self.name)
        if isinstance(self.choices, (str, bytes)) or not isinstance(self.choices, Sequence):
            raise ValueError(
                f"Categorical {self.name!r}: choices must be a tuple, got {self.choices!r}"
            )
        choices = tuple(_to_python(c) for c in self.choices)
        if not choices:
            raise ValueError(f"Categorical {self.name!r}: choices must not be empty")
        kinds = {_kind(c) for c in choices}
        if None in kinds:
            bad = next(c for c in choices if _kind(c) is None)
            raise ValueError(
                f"Categorical {self.name!r}: choice {bad!r} is not a str, int, float or bool"
            )
        if len(kinds) > 1:
            raise ValueError(
                f"Categorical {self.name!r}: choices must all be of one type "
                f"(str, int, float or bool), got {choices!r}"
            )
        if any(isinstance(c, float) and not math.isfinite(c) for c in choices):
            raise ValueError(f"Categorical {self.name!r}: choices must be finite, got {choices!r}")
        if len(set(choices)) != len(choices):
            raise ValueError(f"Categorical {self.name!r}: choices must be unique, got {choices!r}")
        object.__setattr__(self, "choices", choices)
        if self.default is not None:
            index = _strict_index(self.default, choices)
            if index is None:
                raise ValueError(
                    f"Categorical {self.name!r}: default {self.default!r} is not {self._allowed()}"
                )
            object.__setattr__(self, "default", choices[index])
        _check_condition("Categorical", self.name, self.condition)

    def _allowed(self) -> str:
        return f"one of {list(self.choices)!r}"

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is one of the choices (type-strict; numpy scalars accepted)."""
        return _strict_index(value, self.choices) is not None

    def _canonical(self, value: Any) -> Any:
        index = _strict_index(value, self.choices)
        if index is None:  # pragma: no cover - callers validate first
            raise ValueError(f"{value!r} is not {self._allowed()}")
        return self.choices[index]

    def grid_values(self) -> tuple[Any, ...]:
        """Grid points: all choices, in order."""
        return self.choices

    def default_value(self) -> Any:
        """Explicit default, else the first choice."""
        return self.choices[0] if self.default is None else self.default

    def to_optuna(self) -> CategoricalDistribution:
        """The equivalent Optuna distribution."""
        from tunebench.strategies.convert import optuna_distribution

        return optuna_distribution(self)  # type: ignore[return-value]

    def suggest(self, trial: BaseTrial) -> Any:
        """Ask an Optuna trial for a value of this parameter."""
        from tunebench.strategies.convert import suggest_value

        return suggest_value(self, trial)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description of the parameter."""
        return {
            "type": "categorical",
            "name": self.name,
            "choices": list(self.choices),
            "default": self.default,
            "condition": None if self.condition is None else self.condition.to_dict(),
        }


Param: TypeAlias = Int | Float | Categorical
"""Any search-space parameter."""


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

    # -- library converters (tunebench.strategies.convert) ---------------------------------------

    def suggest_optuna(self, trial: BaseTrial) -> dict[str, Any]:
        """Suggest a config on an Optuna trial (see :func:`~.convert.suggest_optuna`)."""
        from tunebench.strategies.convert import suggest_optuna

        return suggest_optuna(self, trial)

    def to_optuna(self) -> dict[str, BaseDistribution]:
        """Optuna distributions of every parameter (see :func:`~.convert.to_optuna`)."""
        from tunebench.strategies.convert import to_optuna

        return to_optuna(self)

    def to_keras_tuner(
        self, hp: keras_tuner.HyperParameters | None = None
    ) -> keras_tuner.HyperParameters:
        """Declare the space on keras-tuner (see :func:`~.convert.to_keras_tuner`)."""
        from tunebench.strategies.convert import to_keras_tuner

        return to_keras_tuner(self, hp)

    def from_keras_tuner(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """A canonical config from keras-tuner values (see :func:`~.convert.from_keras_tuner`)."""
        from tunebench.strategies.convert import from_keras_tuner

        return from_keras_tuner(self, values)

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
        converted: list[Param] = []
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
            new: Param
            if isinstance(param, Categorical):
                new = replace(param, condition=condition)
            else:
                points = param.grid_values()
                default = _nearest(points, param.default_value(), param.log)
                new = Categorical(param.name, points, default=default, condition=condition)
            converted.append(new)
            kept[new.name] = new
        return SearchSpace(converted, [n for n in self._continuable if n in kept])

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
