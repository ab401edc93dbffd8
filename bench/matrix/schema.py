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
    # objectives = ["metric", "train_seconds"]  # optional, multi-objective

    [[strategies]]
    name = "random"
    params = {}                    # optional constructor keyword arguments

    [execution]                    # optional
    threads = 1                    # optional int >= 1 (default: the harness decides)
    backend = "torch"              # optional: "tensorflow" | "torch" | "jax" for every live
                                   # run (default: each problem's table's backend)

:func:`~tunebench.matrix.load.load_matrix` and :func:`~tunebench.matrix.load.parse_matrix`
turn such a file into a frozen :class:`Matrix`.
Every problem with the file is reported as one :class:`MatrixError` whose text is a single
line ``<file>:<line>: <key path>: <message>`` naming what is allowed: the messages are
made in :mod:`tunebench.matrix.messages`, the line numbers found by
:mod:`tunebench.matrix.toml_lines`. This module holds the schema.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import re
from collections.abc import Callable
from typing import Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from tunebench.compat import (
    BUDGET_DEFAULTS,
    PROBLEM_ENTRY_DEFAULTS,
    PROBLEM_ENTRY_RECORD_DEFAULTS,
    drop_defaults,
)
from tunebench.matrix.messages import MatrixError, fail, locate, show
from tunebench.matrix.toml_lines import Loc
from tunebench.objectives import ObjectiveError, check_objectives
from tunebench.runspec import KerasBackend, parse_evaluation

__all__ = [
    "MAX_SEEDS",
    "MODES",
    "Budget",
    "Execution",
    "Final",
    "Loc",
    "Matrix",
    "MatrixError",
    "Mode",
    "ProblemEntry",
    "StrategyEntry",
    "locate",
    "parse_evaluation",
]

Mode = Literal["live", "replay", "surrogate"]
"""How runs are executed: ``"live"`` (really train), ``"replay"`` (serve a table) or
``"surrogate"`` (serve a surrogate's predicted curves, :mod:`tunebench.curves.surrogate`)."""

MODES: tuple[str, ...] = get_args(Mode)
"""All allowed values of ``Matrix.mode`` (one per trial-backend class; a test checks)."""

MAX_SEEDS = 10_000
"""Upper bound for ``seeds = N`` (guards against a typo allocating a huge list)."""

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_SEEDS_EXPECTED = "must be a positive integer or a list of non-negative integers"


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
            raise fail(f"must be a finite number, got {show(value)}", *sub_loc)
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_plain_value(item, *sub_loc, index)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _check_plain_value(item, *sub_loc, key)
        return
    raise fail(f"must be a string, number, boolean, list or table, got {show(value)}", *sub_loc)


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
            raise fail(f"{_SEEDS_EXPECTED}, got {value}")
        if value > MAX_SEEDS:
            raise fail(f"must be at most {MAX_SEEDS}, got {value}")
        return list(range(value))
    if isinstance(value, list):
        if not value:
            raise fail(f"{_SEEDS_EXPECTED}, got an empty list")
        first_index: dict[int, int] = {}
        for index, seed in enumerate(value):
            if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
                raise fail(f"must be a non-negative integer, got {show(seed)}", index)
            if seed in first_index:
                raise fail(
                    f"duplicate seed {seed} (also seeds[{first_index[seed]}]); "
                    "seeds must be unique",
                    index,
                )
            first_index[seed] = index
        return value
    raise fail(f"{_SEEDS_EXPECTED}, got {show(value)}")


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
            raise fail(f"set exactly one of full_evaluations, seconds; got {got}")
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
            the matrix file); ``"grid"`` or ``"sampled"`` names the problem's shipped
            grid or sampled table; None means its default shipped table. A
            multi-objective live entry: the table whose points fix its hypervolume frame,
            recorded at its data settings (None: the problem's default table); a
            multi-objective surrogate entry: the table the surrogate was fitted on (None:
            found by its checksum).
        surrogate: Surrogate mode: the surrogate file (relative to the matrix file);
            None means the problem's shipped surrogate.
        params: Problem options, passed through to the problem.
        evaluation: How a trial is scored in live mode: ``"holdout"`` (the problem's
            validation split) or ``"kfold:K"`` (K-fold cross-validation over the pooled
            training and validation rows; see :mod:`tunebench.backends.kfold`).
        concurrency: Overrides ``[budget] concurrency`` for this entry.
        module: A Python file (relative to the matrix file) defining the problem ``name``
            (:mod:`tunebench.datasets.problem_files`); None for a registered problem.
        objectives: Multi-objective entries (issue 39): the objectives to score, from
            :data:`tunebench.objectives.OBJECTIVES`; None (the default) is a
            single-objective entry on the problem's metric, as before the key existed.
            Runs in replay, live and surrogate mode, with multi-objective strategies only
            (the load-time checks, :mod:`tunebench.matrix.preflight`, refuse the rest),
            scored in the frame of a table of the problem (``table``).
    """

    model_config = _MODEL_CONFIG

    name: str
    mode: Mode | None = None
    seeds: list[int] | None = None
    max_epochs: int | None = Field(default=None, ge=1)
    subsample: int | None = Field(default=None, ge=1)
    table: str | None = None
    surrogate: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    evaluation: str = "holdout"
    concurrency: int | None = Field(default=None, ge=1)
    module: str | None = None
    objectives: list[str] | None = None

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
            raise fail(f"unknown problem {value!r}; allowed: {allowed}")
        return value

    @field_validator("params")
    @classmethod
    def _plain_params(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_plain_value(value)
        return value

    @field_validator("objectives", mode="before")
    @classmethod
    def _multi_objective(cls, value: object) -> object:
        if value is None:
            return None
        if not isinstance(value, list):
            raise fail(f"must be a list of objective names, got {show(value)}")
        try:
            check_objectives(value)
        except ObjectiveError as exc:
            raise fail(str(exc)) from None
        return value

    @field_validator("evaluation")
    @classmethod
    def _known_evaluation(cls, value: str) -> str:
        try:
            parse_evaluation(value)
        except ValueError:
            raise fail(
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
            raise fail(f"unknown strategy {value!r}; allowed: {allowed}")
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
                raise fail(f"unknown parameter {key!r} for strategy {name!r}; {hint}", key)
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
        backend: Keras backend of every live run; ``None`` (the default) lets each live
            entry train on the backend its problem's learning-curve table was recorded
            with, so that live runs confirm a table on the table's own backend (see
            :func:`tunebench.matrix.plan.entry_backend`).
    """

    model_config = _MODEL_CONFIG

    workers: int | None = Field(default=None, ge=1)
    threads: int | None = Field(default=None, ge=1)
    backend: KerasBackend | None = None


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
        mode: ``"live"`` (train), ``"replay"`` (serve recorded learning curves) or
            ``"surrogate"`` (serve a surrogate's predicted curves).
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
            raise fail(
                "must start with a letter or digit and contain only letters, digits, '_', '.'"
                f" and '-' (it becomes a folder name), got {show(value)}"
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
                raise fail(
                    f"duplicate problem {problem.label!r} (also problems[{first}]); "
                    "the same problem may repeat only with another mode or concurrency",
                    index,
                    "name",
                )
            first_index[problem.label] = index
        return value

    @model_validator(mode="after")
    def _kfold_is_live(self) -> Matrix:
        from tunebench.backends.registry import backend_class

        for index, problem in enumerate(self.problems):
            mode = problem.mode or self.mode
            if problem.evaluation != "holdout" and not backend_class(mode).supports_kfold:
                raise fail(
                    f"evaluation {problem.evaluation!r} needs live mode: {mode} serves "
                    "recorded holdout scores",
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
                raise fail(
                    f"duplicate strategy {label!r} (also strategies[{first_index[label]}]); "
                    "a strategy may repeat only with different params",
                    index,
                )
            first_index[label] = index
        return value

    def to_dict(self) -> dict[str, Any]:
        """Return the matrix as JSON-able data (seeds expanded, defaults filled in).

        Returns:
            A dict that ``Matrix.model_validate`` accepts back.
        """
        data = self.model_dump(mode="json")
        for problem in data["problems"]:
            drop_defaults(problem, PROBLEM_ENTRY_RECORD_DEFAULTS)
        return data

    def fingerprint(self) -> str:
        """Identify what is measured, ignoring how it is executed.

        Returns:
            SHA-256 hex digest of the canonical JSON of everything except ``execution``, so
            that e.g. a different thread count does not make a different matrix.
        """
        data = self.model_dump(mode="json", exclude={"execution"})
        for problem in data["problems"]:  # keys added since: as before at their defaults
            drop_defaults(problem, PROBLEM_ENTRY_DEFAULTS)
        drop_defaults(data["budget"], BUDGET_DEFAULTS)
        canonical = json.dumps(
            data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
