"""The benchmark matrix file: a TOML file naming problems x strategies x seeds, and a budget.

A matrix file looks like this::

    name = "smoke"
    mode = "live"
    seeds = 3                      # or a list of non-negative ints, e.g. [0, 1, 7]

    [budget]
    full_evaluations = 10          # or: seconds = 600   (exactly one of the two; > 0)

    [[problems]]
    name = "stocks-mlp"
    max_epochs = 5                 # optional, int >= 1
    subsample = 2000               # optional, int >= 1 (rows of the training split)
    params = {}                    # optional problem options

    [[strategies]]
    name = "random"
    params = {}                    # optional constructor keyword arguments

    [execution]                    # optional
    threads = 1                    # optional int >= 1 (default: the harness decides)
    backend = "tensorflow"         # "tensorflow" | "torch" | "jax"

:func:`load_matrix` / :func:`parse_matrix` turn such a file into a frozen :class:`Matrix`.
Every problem with the file is reported as one :class:`MatrixError` whose text is a single
line ``<file>:<line>: <key path>: <message>`` naming what is allowed.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import math
import os
import re
import sys
import types
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tunebench.errors import TunebenchError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

__all__ = [
    "BACKENDS",
    "MAX_SEEDS",
    "MODES",
    "Backend",
    "Budget",
    "Execution",
    "Final",
    "Matrix",
    "MatrixError",
    "Mode",
    "ProblemEntry",
    "StrategyEntry",
    "load_matrix",
    "locate",
    "parse_evaluation",
    "parse_matrix",
]

Mode = Literal["live", "replay"]
"""How runs are executed: ``"live"`` (really train) or ``"replay"`` (serve a table)."""

Backend = Literal["tensorflow", "torch", "jax"]
"""Keras backend the runs use."""

MODES: tuple[str, ...] = get_args(Mode)
"""All allowed values of ``Matrix.mode``."""

BACKENDS: tuple[str, ...] = get_args(Backend)
"""All allowed values of ``Execution.backend``."""

MAX_SEEDS = 10_000
"""Upper bound for ``seeds = N`` (guards against a typo allocating a huge list)."""

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")
_SEEDS_EXPECTED = "must be a positive integer or a list of non-negative integers"
_ERROR_TYPE = "tunebench"  # pydantic error type of the errors raised by our own validators
_MAX_SHOWN = 60  # longest rendering of an offending value inside a message

Loc = tuple[str | int, ...]


# --------------------------------------------------------------------------------------
# Error type
# --------------------------------------------------------------------------------------


class MatrixError(TunebenchError):
    """One-line, user-facing error: ``'<file>:<line>: <key path>: <message>'``.

    With ``line`` None the text is ``'<file>: <key path>: <message>'``; with an empty ``key``
    the key part is left out (used for file-level problems such as a missing file).

    Attributes:
        path: The file (or source label) the error is about.
        line: 1-based line number in that file, or None when no line applies.
        key: Dotted key path such as ``problems[1].max_epochs``; may be empty.
        message: What is wrong, including what is allowed.
    """

    def __init__(self, path: str, line: int | None, key: str, message: str) -> None:
        # Passing all four arguments to Exception keeps the error picklable.
        super().__init__(path, line, key, message)
        self.path = path
        self.line = line
        self.key = key
        self.message = message

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        parts = [where, self.key, self.message] if self.key else [where, self.message]
        # Guarantee a single line whatever the parts contain.
        return re.sub(r"\s*[\r\n]+\s*", " ", ": ".join(parts))


_KFOLD = re.compile(r"kfold:(\d+)")


def parse_evaluation(text: str) -> int | None:
    """Folds of an ``evaluation`` setting: ``None`` for ``"holdout"``, K for ``"kfold:K"``.

    Raises:
        ValueError: Anything else, or K < 2.
    """
    if text == "holdout":
        return None
    match = _KFOLD.fullmatch(text)
    if match is None:
        raise ValueError(f"evaluation {text!r}: allowed: 'holdout' or 'kfold:K' (K >= 2)")
    k = int(match.group(1))
    if k < 2:
        raise ValueError(f"evaluation {text!r}: K must be at least 2")
    return k


def _fail(message: str, *sub_loc: str | int) -> PydanticCustomError:
    """Build a validation error carrying a ready-made message.

    Args:
        message: The final, user-facing message (braces are not interpreted).
        *sub_loc: Path below the validated field that the error is really about, e.g. the
            index of a duplicated list element; appended to pydantic's ``loc``.

    Returns:
        The error, to be raised from a validator.
    """
    return PydanticCustomError(
        _ERROR_TYPE, "{message}", {"message": message, "sub_loc": tuple(sub_loc)}
    )


def _show(value: object) -> str:
    """Render an offending input value for a one-line message (TOML spelling for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _check_plain_value(value: object, *sub_loc: str | int) -> None:
    """Reject parameter values that have no canonical JSON form (dates, NaN, infinities).

    Args:
        value: A value from a ``params`` table.
        *sub_loc: Path of ``value`` below the ``params`` field, for the error location.

    Raises:
        PydanticCustomError: If ``value`` (or anything nested in it) is not a string,
            integer, finite float, boolean, list or table.
    """
    if isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _fail(f"must be a finite number, got {_show(value)}", *sub_loc)
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_plain_value(item, *sub_loc, index)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _check_plain_value(item, *sub_loc, key)
        return
    raise _fail(f"must be a string, number, boolean, list or table, got {_show(value)}", *sub_loc)


def _label_value(value: object) -> str:
    """Render one parameter value inside a strategy label."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _strategy_parameters(cls: Callable[..., object]) -> list[str] | None:
    """Keyword parameters a strategy constructor accepts, or None when it accepts any.

    Args:
        cls: The strategy class (or any constructor).

    Returns:
        Sorted parameter names that can be passed by keyword; None if the constructor takes
        ``**kwargs`` or its signature cannot be inspected.
    """
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return None
    names: list[str] = []
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            return None
        if parameter.kind in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.KEYWORD_ONLY,
        ):
            names.append(parameter.name)
    return sorted(names)


# --------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------

_MODEL_CONFIG = ConfigDict(extra="forbid", frozen=True, strict=True)


def _expand_seeds(value: object) -> object:
    """``seeds = N`` -> ``[0..N-1]``; a list must hold unique non-negative integers."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise _fail(f"{_SEEDS_EXPECTED}, got {value}")
        if value > MAX_SEEDS:
            raise _fail(f"must be at most {MAX_SEEDS}, got {value}")
        return list(range(value))
    if isinstance(value, list):
        if not value:
            raise _fail(f"{_SEEDS_EXPECTED}, got an empty list")
        first_index: dict[int, int] = {}
        for index, seed in enumerate(value):
            if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
                raise _fail(f"must be a non-negative integer, got {_show(seed)}", index)
            if seed in first_index:
                raise _fail(
                    f"duplicate seed {seed} (also seeds[{first_index[seed]}]); "
                    "seeds must be unique",
                    index,
                )
            first_index[seed] = index
        return value
    raise _fail(f"{_SEEDS_EXPECTED}, got {_show(value)}")


class Budget(BaseModel):
    """Per-run search budget: exactly one of a number of full evaluations or wall seconds.

    Attributes:
        full_evaluations: Number of full-fidelity model evaluations a run may spend.
        seconds: Wall-clock seconds a run may spend (int or float in the file).
        concurrency: Trials of a run in flight at once (replay: simulated workers on
            the simulated clock; live: trials training in threads). Part of the
            matrix's identity: it changes results.
    """

    model_config = _MODEL_CONFIG

    full_evaluations: int | None = Field(default=None, gt=0)
    seconds: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    concurrency: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> Budget:
        if (self.full_evaluations is None) == (self.seconds is None):
            got = "neither" if self.full_evaluations is None else "both"
            raise _fail(f"set exactly one of full_evaluations, seconds; got {got}")
        return self


class ProblemEntry(BaseModel):
    """One problem of the matrix.

    Attributes:
        name: Registered problem name.
        mode: Overrides the matrix's mode for this entry (e.g. a small live part in a
            replay matrix); the entry's runs then live under ``<name>@<mode>/``.
        seeds: Overrides the matrix's seeds for this entry.
        max_epochs: Epoch cap for a full evaluation; None means the problem's own default.
        subsample: Number of training-split rows to use; None means all of them.
        table: Replay mode: the learning-curve table (relative paths are relative to
            the matrix file); None means the table shipped for the problem.
        params: Problem options, passed through to the problem.
        evaluation: How a trial is scored in live mode: ``"holdout"`` (the problem's
            validation split) or ``"kfold:K"`` (K-fold cross-validation over the pooled
            training and validation rows; see :mod:`tunebench.crossval`).
        concurrency: Overrides ``[budget] concurrency`` for this entry.
    """

    model_config = _MODEL_CONFIG

    name: str
    mode: Mode | None = None
    seeds: list[int] | None = None
    max_epochs: int | None = Field(default=None, ge=1)
    subsample: int | None = Field(default=None, ge=1)
    table: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    evaluation: str = "holdout"
    concurrency: int | None = Field(default=None, ge=1)

    @field_validator("seeds", mode="before")
    @classmethod
    def _expand_seeds(cls, value: object) -> object:
        return None if value is None else _expand_seeds(value)

    @property
    def label(self) -> str:
        """Folder name: ``name``, plus ``@<mode>`` / ``@c<N>`` for its own mode / concurrency.

        For example ``stocks-mlp@live`` or ``stocks-mlp@c4``.
        """
        label = self.name if self.mode is None else f"{self.name}@{self.mode}"
        return label if self.concurrency is None else f"{label}@c{self.concurrency}"

    @field_validator("name")
    @classmethod
    def _known_problem(cls, value: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("problems")
        if known is not None and value not in known:
            allowed = ", ".join(sorted(known)) or "(none registered)"
            raise _fail(f"unknown problem {value!r}; allowed: {allowed}")
        return value

    @field_validator("params")
    @classmethod
    def _plain_params(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_plain_value(value)
        return value

    @field_validator("evaluation")
    @classmethod
    def _known_evaluation(cls, value: str) -> str:
        try:
            parse_evaluation(value)
        except ValueError:
            raise _fail(
                f"unknown evaluation {value!r}; allowed: 'holdout' or 'kfold:K' with K >= 2"
            ) from None
        return value


class StrategyEntry(BaseModel):
    """One strategy of the matrix.

    Attributes:
        name: Registered strategy name.
        params: Keyword arguments for the strategy's constructor.
    """

    model_config = _MODEL_CONFIG

    name: str
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _known_strategy(cls, value: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("strategies")
        if known is not None and value not in known:
            allowed = ", ".join(sorted(known)) or "(none registered)"
            raise _fail(f"unknown strategy {value!r}; allowed: {allowed}")
        return value

    @field_validator("params")
    @classmethod
    def _known_params(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        _check_plain_value(value)
        known = (info.context or {}).get("strategies")
        name = info.data.get("name")  # absent when the name itself failed validation
        if known is None or name not in known:
            return value
        allowed = _strategy_parameters(known[name])
        if allowed is None:
            return value
        for key in value:
            if key not in allowed:
                hint = f"allowed: {', '.join(allowed)}" if allowed else "it takes no parameters"
                raise _fail(f"unknown parameter {key!r} for strategy {name!r}; {hint}", key)
        return value

    @property
    def label(self) -> str:
        """Display name: ``name`` or, with params, ``name[k=v,...]`` with sorted keys."""
        if not self.params:
            return self.name
        inner = ",".join(f"{key}={_label_value(self.params[key])}" for key in sorted(self.params))
        return f"{self.name}[{inner}]"


class Execution(BaseModel):
    """How runs are executed; not part of the matrix fingerprint.

    Attributes:
        workers: Runs executed in parallel (worker processes); None lets the harness decide.
        threads: Threads per worker; None lets the harness decide.
        backend: Keras backend.
    """

    model_config = _MODEL_CONFIG

    workers: int | None = Field(default=None, ge=1)
    threads: int | None = Field(default=None, ge=1)
    backend: Backend = "tensorflow"


class Final(BaseModel):
    """Final evaluation of each run's incumbent.

    Attributes:
        retrain_repeats: The incumbent config is retrained this many times from scratch
            with fresh training seeds and scored on the test split, so every reported test
            score comes with its training noise. Not charged to the search budget.
    """

    model_config = _MODEL_CONFIG

    retrain_repeats: int = Field(default=0, ge=0, le=100)


class Matrix(BaseModel):
    """A validated benchmark matrix.

    Attributes:
        name: Matrix name; used as a folder name, so ``^[A-Za-z0-9][A-Za-z0-9_.-]*$``.
        mode: ``"live"`` (train) or ``"replay"`` (serve recorded learning curves).
        seeds: Seeds to run; ``seeds = N`` in the file means ``list(range(N))``.
        budget: Per-run budget.
        problems: Problems, at least one, with unique names.
        strategies: Strategies, at least one, with unique labels.
        final: Final evaluation of each run's incumbent.
        execution: Execution settings.
    """

    model_config = _MODEL_CONFIG

    name: str
    mode: Mode
    seeds: list[int]
    budget: Budget
    problems: list[ProblemEntry] = Field(min_length=1)
    strategies: list[StrategyEntry] = Field(min_length=1)
    final: Final = Field(default_factory=Final)
    execution: Execution = Field(default_factory=Execution)

    @field_validator("name")
    @classmethod
    def _folder_safe_name(cls, value: str) -> str:
        if not _NAME_RE.fullmatch(value):
            raise _fail(
                "must start with a letter or digit and contain only letters, digits, '_', '.'"
                f" and '-' (it becomes a folder name), got {_show(value)}"
            )
        return value

    @field_validator("seeds", mode="before")
    @classmethod
    def _expand_seeds(cls, value: object) -> object:
        return _expand_seeds(value)

    @field_validator("problems")
    @classmethod
    def _unique_problems(cls, value: list[ProblemEntry]) -> list[ProblemEntry]:
        first_index: dict[str, int] = {}
        for index, problem in enumerate(value):
            if problem.label in first_index:
                first = first_index[problem.label]
                raise _fail(
                    f"duplicate problem {problem.label!r} (also problems[{first}]); "
                    "the same problem may repeat only with another mode or concurrency",
                    index,
                    "name",
                )
            first_index[problem.label] = index
        return value

    @model_validator(mode="after")
    def _kfold_is_live(self) -> Matrix:
        for index, problem in enumerate(self.problems):
            if problem.evaluation != "holdout" and (problem.mode or self.mode) == "replay":
                raise _fail(
                    f"evaluation {problem.evaluation!r} needs live mode: replay tables "
                    "record holdout scores",
                    "problems",
                    index,
                    "evaluation",
                )
        return self

    @field_validator("strategies")
    @classmethod
    def _unique_labels(cls, value: list[StrategyEntry]) -> list[StrategyEntry]:
        first_index: dict[str, int] = {}
        for index, strategy in enumerate(value):
            label = strategy.label
            if label in first_index:
                raise _fail(
                    f"duplicate strategy {label!r} (also strategies[{first_index[label]}]); "
                    "a strategy may repeat only with different params",
                    index,
                )
            first_index[label] = index
        return value

    @property
    def n_runs(self) -> int:
        """Number of runs: per problem, strategies x its seeds."""
        return sum(len(p.seeds or self.seeds) for p in self.problems) * len(self.strategies)

    def to_dict(self) -> dict[str, Any]:
        """Return the matrix as JSON-able data (seeds expanded, defaults filled in).

        Returns:
            A dict that ``Matrix.model_validate`` accepts back.
        """
        return self.model_dump(mode="json")

    def fingerprint(self) -> str:
        """Identify what is measured, ignoring how it is executed.

        Returns:
            SHA-256 hex digest of the canonical JSON of everything except ``execution``, so
            that e.g. a different thread count does not make a different matrix.
        """
        data = self.model_dump(mode="json", exclude={"execution"})
        for problem in data["problems"]:
            # Holdout is the default since before the key existed: keep old fingerprints.
            if problem.get("evaluation") == "holdout":
                del problem["evaluation"]
            if problem.get("concurrency") is None:  # likewise for concurrency
                problem.pop("concurrency", None)
        if data["budget"].get("concurrency") == 1:
            del data["budget"]["concurrency"]
        canonical = json.dumps(
            data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------
# Line locator
# --------------------------------------------------------------------------------------


class _ScanError(Exception):
    """The locator met text it does not understand; it keeps what it found so far."""


class _LineLocator:
    """Map key paths such as ``("problems", 1, "max_epochs")`` to 1-based line numbers.

    ``tomllib`` reports no positions, so this scans the (already successfully parsed) TOML
    text once and records the line on which every key is defined:

    * ``[a.b]`` headers set the current table and record the header line for ``("a", "b")``.
    * ``[[a]]`` headers count the array-of-tables elements: the n-th ``[[problems]]`` header
      becomes table ``("problems", n)``; later headers such as ``[problems.params]`` resolve
      ``problems`` to that last element, as TOML does.
    * ``a.b = value`` records ``current table + ("a", "b")`` (and the prefix ``("a",)``).
    * Values are walked, not just skipped: array elements get ``path + (index,)`` and keys of
      inline tables get ``path + (key,)``, each at the line they start on. Strings (including
      multi-line ones) and comments are skipped so their contents never look like keys.

    The scan is best effort: if it meets something unexpected it stops, keeping what it has.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0
        self._line = 1
        self._lines: dict[Loc, int] = {}
        # Number of elements seen so far for each array of tables, by its concrete path.
        self._aot_counts: dict[Loc, int] = {}
        with contextlib.suppress(_ScanError, IndexError):  # best effort: keep what was found
            self._scan_document()

    def find(self, loc: Loc) -> int | None:
        """Return the line defining ``loc``, else of its nearest enclosing key/table, else None."""
        for end in range(len(loc), 0, -1):
            line = self._lines.get(loc[:end])
            if line is not None:
                return line
        return None

    # -- low-level cursor ---------------------------------------------------------------

    def _peek(self, offset: int = 0) -> str:
        index = self._pos + offset
        return self._text[index] if index < len(self._text) else ""

    def _advance(self, count: int = 1) -> None:
        self._line += self._text.count("\n", self._pos, self._pos + count)
        self._pos += count

    def _expect(self, literal: str) -> None:
        if not self._text.startswith(literal, self._pos):
            raise _ScanError(f"expected {literal!r} at offset {self._pos}")
        self._advance(len(literal))

    def _skip_blank(self, *, newlines: bool) -> None:
        """Skip spaces and tabs, plus comments; with ``newlines`` also line breaks."""
        while True:
            char = self._peek()
            if char in (" ", "\t") or (newlines and char in ("\n", "\r")):
                self._advance()
            elif char == "#":
                end = self._text.find("\n", self._pos)
                self._advance((len(self._text) if end < 0 else end) - self._pos)
            else:
                return

    def _record(self, loc: Loc, line: int, *, overwrite: bool = False) -> None:
        if overwrite or loc not in self._lines:
            self._lines[loc] = line

    # -- document structure -------------------------------------------------------------

    def _scan_document(self) -> None:
        table: Loc = ()
        while True:
            self._skip_blank(newlines=True)
            if self._pos >= len(self._text):
                return
            start = self._pos
            if self._text.startswith("[[", self._pos):
                table = self._scan_header(array=True)
            elif self._peek() == "[":
                table = self._scan_header(array=False)
            else:
                self._scan_key_value(table)
            if self._pos == start:  # no progress: do not loop forever
                raise _ScanError("stuck")

    def _concrete(self, keys: list[str]) -> Loc:
        """Resolve header keys to a concrete path, inserting array-of-tables indices."""
        path: Loc = ()
        for key in keys:
            path = (*path, key)
            count = self._aot_counts.get(path)
            if count:
                path = (*path, count - 1)
        return path

    def _scan_header(self, *, array: bool) -> Loc:
        line = self._line
        self._expect("[[" if array else "[")
        keys = self._scan_key()
        self._skip_blank(newlines=False)
        self._expect("]]" if array else "]")
        if array:
            # The element being opened is the next one of the array at this path.
            base = (*self._concrete(keys[:-1]), keys[-1])
            count = self._aot_counts.get(base, 0)
            self._aot_counts[base] = count + 1
            self._record(base, line)  # the array itself: its first header
            table: Loc = (*base, count)
        else:
            table = self._concrete(keys)
        for end in range(1, len(table)):
            self._record(table[:end], line)  # implicitly created parent tables
        self._record(table, line, overwrite=True)
        return table

    def _scan_key(self) -> list[str]:
        """Scan a possibly dotted, possibly quoted key; return its unquoted parts."""
        keys: list[str] = []
        while True:
            self._skip_blank(newlines=False)
            char = self._peek()
            if char in ('"', "'"):
                start = self._pos
                self._scan_string()
                keys.append(self._unquote(self._text[start : self._pos]))
            else:
                match = _BARE_KEY_RE.match(self._text, self._pos)
                if match is None:
                    raise _ScanError(f"expected a key at offset {self._pos}")
                keys.append(match.group())
                self._advance(match.end() - self._pos)
            self._skip_blank(newlines=False)
            if self._peek() != ".":
                return keys
            self._advance()

    @staticmethod
    def _unquote(raw: str) -> str:
        """Decode a quoted key exactly as TOML does (escapes included)."""
        try:
            value = tomllib.loads(f"k = {raw}")["k"]
        except tomllib.TOMLDecodeError:
            return raw.strip("\"'")
        return value if isinstance(value, str) else raw

    def _scan_key_value(self, table: Loc) -> None:
        line = self._line
        keys = self._scan_key()
        path: Loc = (*table, *keys)
        for end in range(len(table) + 1, len(path) + 1):
            self._record(path[:end], line)
        self._skip_blank(newlines=False)
        self._expect("=")
        self._skip_blank(newlines=False)
        self._scan_value(path)

    # -- values -------------------------------------------------------------------------

    def _scan_value(self, path: Loc) -> None:
        char = self._peek()
        if char in ('"', "'"):
            self._scan_string()
        elif char == "[":
            self._scan_array(path)
        elif char == "{":
            self._scan_inline_table(path)
        else:
            # Number, boolean or date-time: runs up to a delimiter (date-times may hold a space).
            start = self._pos
            while self._peek() not in ("", ",", "]", "}", "#", "\n", "\r"):
                self._advance()
            if self._pos == start:
                raise _ScanError(f"expected a value at offset {start}")

    def _scan_string(self) -> None:
        quote = self._peek()
        if self._text.startswith(quote * 3, self._pos):
            self._advance(3)
            while not self._text.startswith(quote * 3, self._pos):
                if self._pos >= len(self._text):
                    raise _ScanError("unterminated multi-line string")
                self._advance(2 if quote == '"' and self._peek() == "\\" else 1)
            self._advance(3)
            # Up to two more quotes right before the closing ones belong to the content.
            for _ in range(2):
                if self._peek() == quote:
                    self._advance()
            return
        self._advance()
        while self._peek() != quote:
            if self._peek() in ("", "\n"):
                raise _ScanError("unterminated string")
            self._advance(2 if quote == '"' and self._peek() == "\\" else 1)
        self._advance()

    def _scan_array(self, path: Loc) -> None:
        self._expect("[")
        index = 0
        while True:
            self._skip_blank(newlines=True)
            if self._peek() == "]":
                self._advance()
                return
            self._record((*path, index), self._line)
            self._scan_value((*path, index))
            index += 1
            self._skip_blank(newlines=True)
            if self._peek() == ",":
                self._advance()
            elif self._peek() != "]":
                raise _ScanError(f"expected ',' or ']' at offset {self._pos}")

    def _scan_inline_table(self, path: Loc) -> None:
        self._expect("{")
        while True:
            self._skip_blank(newlines=True)
            if self._peek() == "}":
                self._advance()
                return
            self._scan_key_value(path)
            self._skip_blank(newlines=True)
            if self._peek() == ",":
                self._advance()
            elif self._peek() != "}":
                raise _ScanError(f"expected ',' or '}}' at offset {self._pos}")


# --------------------------------------------------------------------------------------
# Error translation
# --------------------------------------------------------------------------------------

# What a value "must be" for pydantic's type errors.
_TYPE_NAMES: dict[str, str] = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "a string",
    "bool_type": "a boolean",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}


def _format_key(loc: Loc) -> str:
    """Render a key path as ``problems[1].params."odd key"``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            segment = part if _BARE_KEY_RE.fullmatch(part) else json.dumps(part)
            text += f".{segment}" if text else segment
    return text


def _strip_optional(annotation: Any) -> Any:
    """Turn ``X | None`` into ``X``; leave other annotations alone."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """Return the model class validating the table at ``loc`` (``()`` is the matrix)."""
    current: Any = Matrix
    for part in loc:
        current = _strip_optional(current)
        if isinstance(part, int):
            if get_origin(current) is not list:
                return None
            current = get_args(current)[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
        else:
            return None
    current = _strip_optional(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _describe(error: Mapping[str, Any], loc: Loc) -> str:
    """Turn one pydantic error into a one-line message saying what is allowed."""
    kind: str = error["type"]
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    got = _show(error.get("input"))
    if kind == _ERROR_TYPE:
        return str(ctx["message"])
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        if model is None:
            return "unknown key"
        return f"unknown key; allowed: {', '.join(model.model_fields)}"
    if kind == "missing":
        return f"missing required key {loc[-1]!r}" if loc else "missing required key"
    if kind in _TYPE_NAMES:
        return f"must be {_TYPE_NAMES[kind]}, got {got}"
    if kind == "literal_error":
        return f"must be one of: {ctx.get('expected', '?')}, got {got}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        operator = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<"}.get(
            kind, "<="
        )
        bound = next(iter(ctx.values()), "?")
        return f"must be {operator} {bound}, got {got}"
    if kind in ("too_short", "list_too_short"):
        return "must not be empty"
    if kind == "finite_number":
        return f"must be a finite number, got {got}"
    return f"{error.get('msg', 'invalid value')}, got {got}"


def _first_error(exc: ValidationError, source: str, locator: _LineLocator) -> MatrixError:
    """Pick the error that comes first in the file and turn it into a :class:`MatrixError`."""
    candidates: list[tuple[tuple[bool, int, int], MatrixError]] = []
    for index, error in enumerate(exc.errors(include_url=False)):
        ctx = error.get("ctx") or {}
        loc: Loc = tuple(error["loc"]) + tuple(ctx.get("sub_loc", ()))
        line = locator.find(loc)
        matrix_error = MatrixError(source, line, _format_key(loc), _describe(error, loc))
        candidates.append(((line is None, line or 0, index), matrix_error))
    return min(candidates, key=lambda item: item[0])[1]


_TOML_POSITION_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_END_RE = re.compile(r"\s*\(at end of document\)$")


def _toml_error(exc: tomllib.TOMLDecodeError, source: str, text: str) -> MatrixError:
    """Turn a TOML syntax error into a :class:`MatrixError` at the line tomllib names."""
    message = str(exc)
    line: int | None = None
    column: int | None = None
    match = _TOML_POSITION_RE.search(message)
    if match:
        line, column = int(match.group(1)), int(match.group(2))
        message = message[: match.start()]
    elif _TOML_END_RE.search(message):
        line = text.count("\n") + 1
        message = _TOML_END_RE.sub("", message) + " (at end of file)"
    else:  # newer Pythons may move the position into attributes only
        line = getattr(exc, "lineno", None)
        column = getattr(exc, "colno", None)
    if column is not None:
        message += f" (column {column})"
    return MatrixError(source, line, "", f"invalid TOML: {message}")


# --------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------


def locate(source: str, text: str, loc: Loc, message: str) -> MatrixError:
    """A :class:`MatrixError` about key ``loc`` of a matrix file, with the line defining it.

    Args:
        source: The file name, as messages show it.
        text: The file's TOML text (empty: no line number).
        loc: Key path such as ``("problems", 1, "max_epochs")``.
        message: What is wrong.
    """
    line = _LineLocator(text).find(loc) if text else None
    return MatrixError(source, line, _format_key(loc), message)


def parse_matrix(
    text: str,
    *,
    source: str,
    problems: Collection[str],
    strategies: Mapping[str, Callable[..., object]],
) -> Matrix:
    """Parse and validate the text of a matrix file.

    Args:
        text: TOML text.
        source: File name used in error messages.
        problems: Known problem names.
        strategies: Known strategy names mapped to their class; constructor signatures are
            used to check each strategy's ``params`` (skipped for ``**kwargs`` constructors).

    Returns:
        The validated matrix.

    Raises:
        MatrixError: On the first problem in file order, as one line naming file, line, key
            path and what is allowed.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(exc, source, text) from exc
    try:
        return Matrix.model_validate(data, context={"problems": problems, "strategies": strategies})
    except ValidationError as exc:
        raise _first_error(exc, source, _LineLocator(text)) from exc


def load_matrix(
    path: str | os.PathLike[str],
    *,
    problems: Collection[str],
    strategies: Mapping[str, Callable[..., object]],
) -> Matrix:
    """Read, parse and validate a matrix file.

    Args:
        path: The TOML file; error messages name it as given.
        problems: Known problem names.
        strategies: Known strategy names mapped to their class.

    Returns:
        The validated matrix.

    Raises:
        MatrixError: If the file cannot be read, is not UTF-8 TOML, or is not a valid matrix.
    """
    source = os.fspath(path)
    try:
        raw = Path(source).read_bytes()
    except FileNotFoundError:
        raise MatrixError(source, None, "", "file not found") from None
    except IsADirectoryError:
        raise MatrixError(source, None, "", "is a directory, not a file") from None
    except OSError as exc:
        raise MatrixError(source, None, "", f"cannot read file: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise MatrixError(source, line, "", "invalid TOML: not valid UTF-8 text") from exc
    return parse_matrix(text, source=source, problems=problems, strategies=strategies)
