"""The parameters of a search space: :class:`Int`, :class:`Float`, :class:`Categorical`.

Each parameter checks its own bounds, default and grid on construction, says whether a
value is allowed (type-strictly: ``True`` is not ``1`` and ``1`` is not ``1.0``), and has a
default value, default grid points and its Optuna distribution and suggestion. A
:class:`Condition` makes a parameter active only for some values of an earlier one; the
:class:`~tunebench.strategies.space.SearchSpace` puts parameters together.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from optuna.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

if TYPE_CHECKING:
    from optuna.trial import BaseTrial

__all__ = ["Categorical", "Condition", "Float", "Int", "Param"]

# Number of points in the default grid of a linear numeric parameter.
_LINEAR_GRID_POINTS = 5


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
        return IntDistribution(self.low, self.high, log=self.log, step=self.step)

    def suggest(self, trial: BaseTrial) -> int:
        """Ask an Optuna trial for a value of this parameter."""
        return int(trial.suggest_int(self.name, self.low, self.high, step=self.step, log=self.log))

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
        return FloatDistribution(self.low, self.high, log=self.log)

    def suggest(self, trial: BaseTrial) -> float:
        """Ask an Optuna trial for a value of this parameter."""
        return float(trial.suggest_float(self.name, self.low, self.high, log=self.log))

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
        return CategoricalDistribution(self.choices)

    def suggest(self, trial: BaseTrial) -> Any:
        """Ask an Optuna trial for a value of this parameter (the matching choice)."""
        return self._canonical(trial.suggest_categorical(self.name, self.choices))

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
