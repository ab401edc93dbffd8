"""Conformance kit: the checks every benchmark problem, built-in or plug-in, must pass.

Like :mod:`tunebench.strategies.testing`, this ships with the package so that the author
of a problem can run the same suite on their own one::

    from tunebench.datasets.testing import check_problem
    from my_package import MyProblem

    def test_my_problem_conforms():
        check_problem(MyProblem, params={"window": 5}, subsample=200)

or one pytest case per check::

    import pytest
    from tunebench.datasets.testing import CHECKS, ProblemCase

    @pytest.mark.parametrize("check", list(CHECKS))
    def test_conformance(check):
        CHECKS[check](ProblemCase(MyProblem()))

What is checked is the contract with the harness (fixed splits, comparable scores,
models that build and report the metric the strategies optimise, provenance that a run
record can hold), not how good the model is. Every finding is a
:class:`ProblemConformanceError` with one line naming the check, the problem and what is
wrong. Data that cannot be found raises the loader's own ``DatasetError`` unchanged:
that is the machine's state, not the problem's.

The rules, in the order they are checked:

1. **Attributes** (``declares_attributes``): ``name`` and ``metric`` non-empty strings,
   ``direction`` ``"maximize"`` or ``"minimize"``, ``max_epochs`` an int >= 1,
   ``ordered`` a bool; :meth:`~tunebench.datasets.problem.Problem.space` and
   ``table_space`` return a :class:`~tunebench.strategies.space.SearchSpace` whose
   defaults are a valid config; ``get_params()`` returns the constructor's arguments
   unchanged.
2. **Well-formed splits** (on every load): a ``Splits`` whose six fields are numpy
   arrays, ``len(x) == len(y)`` per split, no split empty, the same input shape in all
   three.
3. **Fixed splits** (``splits_ignore_the_run_seed``): two loads after seeding Python's,
   numpy's and Keras' global generators differently give byte-identical arrays (shape,
   dtype and content) in every split.
4. **No overlap** (``splits_do_not_overlap``): ``Splits`` exposes no row ids, so rows
   are compared by a hash of their input bytes (labels left out: a copy of an input
   with another label leaks too). An input found in two splits is a leak unless it also
   occurs at least twice *within* one split: then the data itself carries copies of it
   (real tables can), and a fixed split cannot keep every copy on one side. Hence an
   input that occurs exactly twice in all the data, once in train and once in test, is
   reported; deduplicate such data or split it by group.
5. **Subsample** (``subsample_keeps_val_and_test_whole``): with ``subsample=n``,
   validation and test are byte-identical to the full load's, training has 1..n rows,
   and every one of them is a row of the full training split.
6. **Provenance** (``source_is_provenance``): ``splits.source`` is a dict with string
   keys that ``json.dumps`` accepts (non-finite floats pass: the run writer stores them
   as ``null``), holding :data:`REQUIRED_SOURCE_KEYS`, each a non-empty string:
   ``dataset`` (which data), ``origin`` (where it came from, with a version or path) and
   ``checksum`` (``"<scheme>:<digest>"``, e.g. ``sha256:...``), the set all four
   built-in problems record and ``run.json`` and ``tunebench datasets`` show. When
   present, ``variant`` is a non-empty string (results folders refuse mixed variants),
   ``split_sizes`` equals the full load's sizes and ``subsample`` the subsample asked
   for.
7. **Time order** (``time_ordered_splits``): when ``source`` holds ``train_dates``,
   ``val_dates`` and ``test_dates`` (each a list of ISO dates or numbers, e.g. the
   first and last target date, as ``stocks-mlp`` records), an ``ordered`` problem must
   have every training date before every validation date, and those before every test
   date; an unordered problem whose dates fall in such disjoint, consecutive ranges
   must declare ``ordered = True``. A problem whose ``source["split"]`` says the split is
   by time (``by time``, ``time-ordered``, ``chronological``, ``temporal``) or whose
   ``source["ordered"]`` is true must declare it too. Limitation: a time-ordered problem
   that records no dates and does not say so in ``source`` cannot be told from an iid
   one, and passes.
8. **Default config builds** (``default_config_builds``), then **metric**
   (``metric_is_reported``): the model of the space's defaults, trained one epoch on a
   slice of training rows with a slice of validation rows, reports ``val_<metric>`` (a
   finite number, which the harness reads), and ``evaluate(return_dict=True)`` on test
   rows reports ``<metric>``; a metric named in :data:`METRIC_DIRECTIONS` must have that
   direction (metrics not in it pass this sub-check).
9. **Edge configs build** (``edge_configs_build``): one config per edge value (see
   :func:`edge_configs`): every ``Int``/``Float`` at its low and at its high end, every
   ``Categorical`` choice, each with the rest at defaults and a conditional parameter
   activated through its parent (the parent's default when that activates it, else the
   first value that does). So the builds grow with the number of edge values, never
   with their product. ``keras.backend.clear_session()`` runs before each build.

Every model the kit builds must be a compiled ``keras.Model`` that accepts two training
rows, with ``batch_size(config)`` a positive int and ``flops_per_example(model)`` a
positive, finite number (the ledger's FLOP count).

The kit seeds the global generators (Python, numpy, Keras) while it runs; Python's and
numpy's states are restored afterwards.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tunebench.datasets.files import DatasetError
from tunebench.datasets.problem import Problem, Splits
from tunebench.strategies.base import Direction
from tunebench.strategies.space import (
    Categorical,
    Float,
    Int,
    InvalidConfigError,
    Param,
    SearchSpace,
)

if TYPE_CHECKING:
    import keras

__all__ = [
    "CHECKS",
    "DEFAULT_SUBSAMPLE",
    "LOAD_SEEDS",
    "METRIC_DIRECTIONS",
    "REQUIRED_SOURCE_KEYS",
    "ProblemCase",
    "ProblemConformanceError",
    "check_problem",
    "edge_configs",
]

DEFAULT_SUBSAMPLE = 300
"""Training rows the kit keeps (enough to build and train one tiny epoch)."""

LOAD_SEEDS = (11, 2024, 987_654)
"""Global seeds set before the first full load, the second full load and the subsampled one."""

REQUIRED_SOURCE_KEYS = ("dataset", "origin", "checksum")
"""Keys every ``splits.source`` must hold, each a non-empty string."""

#: Known Keras metric names -> the direction in which they improve (lower-case names).
METRIC_DIRECTIONS: dict[str, Direction] = {
    **dict.fromkeys(
        (
            "accuracy",
            "acc",
            "binary_accuracy",
            "categorical_accuracy",
            "sparse_categorical_accuracy",
            "top_k_categorical_accuracy",
            "sparse_top_k_categorical_accuracy",
            "auc",
            "precision",
            "recall",
            "f1_score",
            "fbeta_score",
            "r2_score",
            "mean_iou",
        ),
        "maximize",
    ),
    **dict.fromkeys(
        (
            "loss",
            "mae",
            "mse",
            "rmse",
            "mape",
            "msle",
            "mean_absolute_error",
            "mean_squared_error",
            "root_mean_squared_error",
            "mean_absolute_percentage_error",
            "mean_squared_logarithmic_error",
            "log_cosh",
            "logcosh",
            "binary_crossentropy",
            "categorical_crossentropy",
            "sparse_categorical_crossentropy",
            "hinge",
            "squared_hinge",
            "categorical_hinge",
            "kl_divergence",
            "poisson",
            "huber",
        ),
        "minimize",
    ),
}

SPLITS = ("train", "val", "test")
TRAIN_ROWS = 128  # rows of the one-epoch metric check: one or two batches
VAL_ROWS = 128
_TIME_WORDS = re.compile(r"\b(by time|time[- ]ordered|chronological(ly)?|temporal)\b", re.I)
_CHECKSUM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*:\S+$")


class ProblemConformanceError(AssertionError):
    """A problem broke the harness's contract; the message is one line."""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _exc(exc: BaseException) -> str:
    return _one_line(f"{type(exc).__name__}: {exc}")


# ---------------------------------------------------------------------------------------------
# Configs at the edges of the space
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Loaded splits, reduced to what the checks compare
# ---------------------------------------------------------------------------------------------


def _digest(a: np.ndarray) -> tuple[tuple[int, ...], str, str]:
    """Shape, dtype and sha256 of the bytes: exact comparison without keeping the array."""
    if a.dtype.hasobject:  # object arrays hold pointers, not values
        data = json.dumps(a.tolist(), default=repr).encode()
    else:
        data = np.ascontiguousarray(a).tobytes()
    return tuple(a.shape), a.dtype.str, hashlib.sha256(data).hexdigest()


def _row_hashes(x: np.ndarray) -> list[bytes]:
    rows = np.ascontiguousarray(x).reshape(len(x), -1)
    return [hashlib.blake2b(r.tobytes(), digest_size=16).digest() for r in rows]


@dataclass(frozen=True)
class _Load:
    """One load as the checks need it (the arrays themselves are not kept)."""

    seed: int
    subsample: int | None
    digests: dict[str, tuple[tuple[int, ...], str, str]]
    rows: dict[str, Counter[bytes]]  # per split: input-row hash -> occurrences
    sizes: dict[str, int]
    source: Any


def _summarise(splits: Splits, seed: int, subsample: int | None, rows: bool = True) -> _Load:
    arrays = {f.name: getattr(splits, f.name) for f in fields(Splits) if f.name != "source"}
    return _Load(
        seed=seed,
        subsample=subsample,
        digests={name: _digest(a) for name, a in arrays.items()},
        rows={s: Counter(_row_hashes(arrays[f"x_{s}"])) for s in SPLITS} if rows else {},
        sizes=splits.sizes(),
        source=splits.source,
    )


@contextmanager
def _kept_global_rngs() -> Iterator[None]:
    """Restore Python's and numpy's global generators after the kit seeded them."""
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


# ---------------------------------------------------------------------------------------------
# The problem under test
# ---------------------------------------------------------------------------------------------


class ProblemCase:
    """A problem under test: its loads and model builds, made once and shared by the checks.

    Args:
        problem: The problem instance.
        data_dir: Passed to :meth:`Problem.load`.
        subsample: Training rows of the subsampled load (used to build and train models).
        params: The constructor arguments ``problem`` was made with (``get_params`` must
            return them); ``None`` when unknown.
    """

    def __init__(
        self,
        problem: Problem,
        data_dir: Path | None = None,
        subsample: int = DEFAULT_SUBSAMPLE,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(subsample, int) or isinstance(subsample, bool) or subsample < 1:
            raise ValueError(f"subsample must be an int >= 1, got {subsample!r}")
        self.problem = problem
        self.data_dir = data_dir
        self.subsample = subsample
        self.params = dict(params) if params is not None else None
        name = getattr(problem, "name", "")
        self.label = f"problem {name!r} ({type(problem).__name__})"

    def fail(self, finding: str) -> ProblemConformanceError:
        """The error for ``finding``, naming the problem, on one line."""
        return ProblemConformanceError(_one_line(f"{self.label}: {finding}"))

    # -- data -------------------------------------------------------------------------------

    def load(self, seed: int, subsample: int | None) -> Splits:
        """Seed the global generators, load, and check the splits are well formed."""
        import keras

        keras.utils.set_random_seed(seed)  # Python, numpy and the backend at once
        try:
            splits = self.problem.load(self.data_dir, subsample=subsample)
        except DatasetError:
            raise
        except Exception as exc:
            raise self.fail(f"load(subsample={subsample}) raised {_exc(exc)}") from exc
        self._check_structure(splits, subsample)
        return splits

    def _check_structure(self, splits: Any, subsample: int | None) -> None:
        call = f"load(subsample={subsample})"
        if not isinstance(splits, Splits):
            raise self.fail(f"{call} returned {type(splits).__name__}, not Splits")
        shape: tuple[int, ...] | None = None
        for s in SPLITS:
            x, y = getattr(splits, f"x_{s}"), getattr(splits, f"y_{s}")
            for name, a in ((f"x_{s}", x), (f"y_{s}", y)):
                if not isinstance(a, np.ndarray) or a.ndim == 0:
                    raise self.fail(f"{call}: {name} is {type(a).__name__}, not a numpy array")
            if len(x) != len(y):
                raise self.fail(f"{call}: x_{s} has {len(x)} rows, y_{s} {len(y)}")
            if len(x) == 0:
                raise self.fail(f"{call}: the {s} split is empty")
            if shape is not None and x.shape[1:] != shape:
                raise self.fail(
                    f"{call}: x_{s} rows have shape {x.shape[1:]}, x_train rows {shape}"
                )
            shape = x.shape[1:]

    @cached_property
    def full(self) -> _Load:
        """The first full load (no subsample)."""
        return _summarise(self.load(LOAD_SEEDS[0], None), LOAD_SEEDS[0], None)

    @cached_property
    def full_again(self) -> _Load:
        """A second full load, after other seeds."""
        return _summarise(self.load(LOAD_SEEDS[1], None), LOAD_SEEDS[1], None, rows=False)

    @cached_property
    def small_splits(self) -> Splits:
        """The subsampled load, kept whole: models are built and trained on it."""
        return self.load(LOAD_SEEDS[2], self.subsample)

    @cached_property
    def small(self) -> _Load:
        """The subsampled load, summarised."""
        return _summarise(self.small_splits, LOAD_SEEDS[2], self.subsample)

    @cached_property
    def space(self) -> SearchSpace:
        """The problem's search space."""
        try:
            space = self.problem.space()
        except Exception as exc:
            raise self.fail(f"space() raised {_exc(exc)}") from exc
        if not isinstance(space, SearchSpace):
            raise self.fail(f"space() returned {type(space).__name__}, not a SearchSpace")
        return space

    # -- models -----------------------------------------------------------------------------

    def build(self, label: str, config: Mapping[str, Any]) -> keras.Model:
        """Build ``config`` in a fresh Keras session and check the model, batch size and FLOPs."""
        import keras

        what = "the default config" if label == "defaults" else f"config {label}"
        splits = self.small_splits
        # Fresh Keras state per build, without the garbage collection (0.2-0.7 s a build on
        # 2 cores), as the harness's trainer does; the checks collect once when they end.
        keras.backend.clear_session(free_memory=False)
        keras.utils.set_random_seed(0)
        try:
            model = self.problem.build_model(dict(config), splits)
        except Exception as exc:
            raise self.fail(f"build_model failed for {what}: {_exc(exc)}") from exc
        if not isinstance(model, keras.Model):
            raise self.fail(f"build_model returned {type(model).__name__} for {what}")
        if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
            raise self.fail(f"build_model returned an uncompiled model for {what}")
        try:
            model(splits.x_train[:2], training=False)
        except Exception as exc:
            raise self.fail(f"the model of {what} cannot take training rows: {_exc(exc)}") from exc
        try:
            batch = self.problem.batch_size(config)
        except Exception as exc:
            raise self.fail(f"batch_size failed for {what}: {_exc(exc)}") from exc
        if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
            raise self.fail(f"batch_size gave {batch!r} for {what}; expected an int >= 1")
        try:
            flops = self.problem.flops_per_example(model)
            value = float(flops)
        except Exception as exc:
            raise self.fail(f"flops_per_example failed for {what}: {_exc(exc)}") from exc
        if isinstance(flops, bool) or not math.isfinite(value) or value <= 0:
            raise self.fail(
                f"flops_per_example gave {flops!r} for {what}; expected a positive finite number"
            )
        return model


Check = Callable[[ProblemCase], None]


# ---------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------


def check_declares_attributes(case: ProblemCase) -> None:
    """Class attributes typed, spaces valid with valid defaults, ``get_params`` faithful."""
    p = case.problem
    for attr in ("name", "metric"):
        value = getattr(p, attr, None)
        if not isinstance(value, str) or not value:
            raise case.fail(f"`{attr}` must be a non-empty str, got {value!r}")
    if p.direction not in ("maximize", "minimize"):
        raise case.fail(f"`direction` must be 'maximize' or 'minimize', got {p.direction!r}")
    if not isinstance(p.max_epochs, int) or isinstance(p.max_epochs, bool) or p.max_epochs < 1:
        raise case.fail(f"`max_epochs` must be an int >= 1, got {p.max_epochs!r}")
    if not isinstance(p.ordered, bool):
        raise case.fail(f"`ordered` must be a bool, got {p.ordered!r}")
    try:
        case.space.canonical(case.space.defaults())
    except InvalidConfigError as exc:
        raise case.fail(f"the space's defaults are not a valid config: {exc}") from exc
    try:
        table = p.table_space()
    except Exception as exc:
        raise case.fail(f"table_space() raised {_exc(exc)}") from exc
    if not isinstance(table, SearchSpace):
        raise case.fail(f"table_space() returned {type(table).__name__}, not a SearchSpace")
    try:
        stored = p.get_params()
    except Exception as exc:
        raise case.fail(
            f"get_params() raised {_exc(exc)}; store each constructor argument as an "
            "attribute of the same name"
        ) from exc
    for key, value in (case.params or {}).items():
        if key not in stored or stored[key] != value:
            raise case.fail(
                f"constructor changed parameter {key!r}: got {value!r}, stored "
                f"{stored.get(key)!r}; constructors must store their arguments unchanged"
            )


def check_splits_ignore_the_run_seed(case: ProblemCase) -> None:
    """Two full loads after different global seeds give byte-identical arrays."""
    a, b = case.full, case.full_again
    for name, digest in a.digests.items():
        if b.digests[name] != digest:
            raise case.fail(
                f"splits depend on the run seed: {name} differs between loads after global "
                f"seeds {a.seed} and {b.seed}; split with a fixed seed of your own "
                "(e.g. np.random.default_rng(SPLIT_SEED)), never the global generators"
            )


def _tolerated(h: bytes, rows: Mapping[str, Counter[bytes]]) -> bool:
    # Repeated within one split: the data itself has copies of this input.
    return any(counts[h] > 1 for counts in rows.values())


def check_splits_do_not_overlap(case: ProblemCase) -> None:
    """No input shared between splits, unless the data repeats it (see module docs)."""
    rows = case.full.rows
    for i, first in enumerate(SPLITS):
        for second in SPLITS[i + 1 :]:
            shared = rows[first].keys() & rows[second].keys()
            leaks = [h for h in shared if not _tolerated(h, rows)]
            if leaks:
                n = sum(rows[second][h] for h in leaks)
                raise case.fail(
                    f"{n} of {case.full.sizes[second]} {second} rows also occur in {first} "
                    "(identical inputs); the splits overlap"
                )


def check_subsample_keeps_val_and_test_whole(case: ProblemCase) -> None:
    """Subsampling changes training only: fewer rows, all taken from the full training split."""
    full, small, n = case.full, case.small, case.subsample
    for name in ("x_val", "y_val", "x_test", "y_test"):
        if small.digests[name] != full.digests[name]:
            raise case.fail(
                f"load(subsample={n}) changes {name}; subsample must keep validation and "
                "test whole so scores stay comparable"
            )
    rows = small.sizes["train"]
    if rows > n:
        raise case.fail(f"load(subsample={n}) keeps {rows} training rows, more than {n}")
    outside = sum(c for h, c in small.rows["train"].items() if h not in full.rows["train"])
    if outside:
        raise case.fail(
            f"load(subsample={n}): {outside} of its {rows} training rows are not rows of the "
            "full training split"
        )


def _json_problem(source: Mapping[str, Any]) -> str | None:
    """Why ``source`` is not JSON-able (the first offending key), or ``None``."""

    def walk(value: Any, path: str) -> str | None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str):
                    return f"{path} has the non-string key {key!r}"
                found = walk(item, f"{path}[{key!r}]")
                if found:
                    return found
            return None
        if isinstance(value, (list, tuple)):
            for k, item in enumerate(value):
                found = walk(item, f"{path}[{k}]")
                if found:
                    return found
            return None
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            return f"{path} is {type(value).__name__} {value!r:.60}, not JSON"
        return None

    return walk(source, "source")


def check_source_is_provenance(case: ProblemCase) -> None:
    """``splits.source`` is JSON-able and names the data, its origin and its checksum."""
    for load in (case.full, case.small):
        call = f"load(subsample={load.subsample})"
        source = load.source
        if not isinstance(source, dict):
            raise case.fail(f"{call}: splits.source is {type(source).__name__}, not a dict")
        why = _json_problem(source)
        if why:
            raise case.fail(f"{call}: {why}; run records store the source as JSON")
        missing = [k for k in REQUIRED_SOURCE_KEYS if k not in source]
        if missing:
            raise case.fail(
                f"{call}: splits.source lacks {', '.join(missing)} (required: "
                f"{', '.join(REQUIRED_SOURCE_KEYS)})"
            )
        for key in REQUIRED_SOURCE_KEYS:
            if not isinstance(source[key], str) or not source[key].strip():
                raise case.fail(f"{call}: source[{key!r}] must be a non-empty str")
        if not _CHECKSUM.match(source["checksum"]):
            raise case.fail(
                f"{call}: source['checksum'] = {source['checksum']!r:.80} is not "
                "'<scheme>:<digest>' (e.g. 'sha256:...')"
            )
        variant = source.get("variant")
        if variant is not None and (not isinstance(variant, str) or not variant):
            raise case.fail(f"{call}: source['variant'] must be a non-empty str")
        if "subsample" in source and source["subsample"] != load.subsample:
            raise case.fail(
                f"{call}: source['subsample'] = {source['subsample']!r}, but {load.subsample!r} "
                "was asked for"
            )
    sizes = case.full.source.get("split_sizes")
    if sizes is not None and dict(sizes) != case.full.sizes:
        raise case.fail(
            f"source['split_sizes'] = {sizes} differ from the full load's sizes {case.full.sizes}"
        )


def _time(value: Any) -> Any:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, (str, np.datetime64)):
        return np.datetime64(value)
    raise ValueError(f"{value!r} is not an ISO date or a number")


def _ranges(case: ProblemCase, source: Mapping[str, Any]) -> dict[str, tuple[Any, Any]] | None:
    keys = [f"{s}_dates" for s in SPLITS]
    present = [k for k in keys if k in source]
    if not present:
        return None
    if len(present) < len(keys):
        missing = sorted(set(keys) - set(present))
        raise case.fail(f"splits.source has {', '.join(present)} but not {', '.join(missing)}")
    out: dict[str, tuple[Any, Any]] = {}
    kinds: set[type] = set()
    for s, key in zip(SPLITS, keys, strict=True):
        value = source[key]
        try:
            if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
                raise ValueError("expected a non-empty list of dates")
            times = [_time(v) for v in value]
            kinds.update(type(t) for t in times)
            if len(kinds) > 1:  # dates and numbers do not compare
                raise ValueError("mixes dates and numbers")
            out[s] = (min(times), max(times))
        except (ValueError, TypeError) as exc:
            raise case.fail(f"source[{key!r}] = {value!r:.80}: {_one_line(str(exc))}") from exc
    return out


def check_time_ordered_splits(case: ProblemCase) -> None:
    """Ordered problems split by time; problems whose source says so declare ``ordered``."""
    p, source = case.problem, case.full.source
    ranges = _ranges(case, source)
    in_order = ranges is not None and all(
        ranges[a][1] < ranges[b][0] for a, b in (("train", "val"), ("val", "test"))
    )
    if p.ordered and ranges is not None and not in_order:
        t, v, e = (f"{ranges[s][0]}..{ranges[s][1]}" for s in SPLITS)
        raise case.fail(
            f"ordered = True, but the splits are not in time order (train {t}, val {v}, "
            f"test {e}); split by time, never shuffled across a boundary"
        )
    if not p.ordered:
        split = source.get("split")
        says = isinstance(split, str) and _TIME_WORDS.search(split) is not None
        if says or source.get("ordered") is True or in_order:
            why = (
                f"source['split'] says {split!r}"
                if says
                else "source['ordered'] is true"
                if source.get("ordered") is True
                else "its splits fall in consecutive date ranges"
            )
            raise case.fail(
                f"the split is by time ({why}), but the problem does not declare "
                "ordered = True (K-fold evaluation would then mix future rows into training)"
            )


def check_default_config_builds(case: ProblemCase) -> None:
    """The space's default config builds a compiled model (see :meth:`ProblemCase.build`)."""
    import keras

    case.build("defaults", case.space.canonical(case.space.defaults()))
    keras.backend.clear_session()


def check_metric_is_reported(case: ProblemCase) -> None:
    """One epoch of the default model reports ``val_<metric>``; the direction fits the metric."""
    import keras

    p = case.problem
    known = METRIC_DIRECTIONS.get(p.metric.lower())
    if known is not None and known != p.direction:
        raise case.fail(f"metric {p.metric!r} is to {known}, but direction is {p.direction!r}")
    config = case.space.canonical(case.space.defaults())
    model = case.build("defaults", config)
    s = case.small_splits
    try:
        history = model.fit(
            s.x_train[:TRAIN_ROWS],
            s.y_train[:TRAIN_ROWS],
            batch_size=p.batch_size(config),
            epochs=1,
            validation_data=(s.x_val[:VAL_ROWS], s.y_val[:VAL_ROWS]),
            verbose=0,
        )
        scores = model.evaluate(
            s.x_test[:VAL_ROWS], s.y_test[:VAL_ROWS], verbose=0, return_dict=True
        )
    except Exception as exc:
        raise case.fail(f"one epoch of the default model failed: {_exc(exc)}") from exc
    finally:
        keras.backend.clear_session()
    key = f"val_{p.metric}"
    logs = history.history
    if key not in logs:
        raise case.fail(
            f"the compiled model does not report the declared metric {p.metric!r}: training "
            f"logs hold {sorted(logs)}, the harness reads {key!r}; compile with "
            f"metrics=[{p.metric!r}]"
        )
    value = float(logs[key][-1])
    if not math.isfinite(value):
        raise case.fail(f"{key} is {value} after one epoch of the default config")
    if p.metric not in scores:
        raise case.fail(
            f"evaluate() on test rows reports {sorted(scores)}, not {p.metric!r} (the test score)"
        )


def check_edge_configs_build(case: ProblemCase) -> None:
    """Every edge config (see :func:`edge_configs`) builds a compiled model."""
    try:
        configs = edge_configs(case.space)
    except InvalidConfigError as exc:
        raise case.fail(f"an edge config of the space is invalid: {exc}") from exc
    for label, config in configs[1:]:  # the defaults were built by their own check
        case.build(label, config)
    import keras

    keras.backend.clear_session()


#: Every check by name, in the order :func:`check_problem` runs them.
CHECKS: dict[str, Check] = {
    "declares_attributes": check_declares_attributes,
    "splits_ignore_the_run_seed": check_splits_ignore_the_run_seed,
    "splits_do_not_overlap": check_splits_do_not_overlap,
    "subsample_keeps_val_and_test_whole": check_subsample_keeps_val_and_test_whole,
    "source_is_provenance": check_source_is_provenance,
    "time_ordered_splits": check_time_ordered_splits,
    "default_config_builds": check_default_config_builds,
    "metric_is_reported": check_metric_is_reported,
    "edge_configs_build": check_edge_configs_build,
}


def check_problem(
    problem_cls_or_instance: type[Problem] | Problem,
    *,
    data_dir: Path | str | None = None,
    subsample: int = DEFAULT_SUBSAMPLE,
    params: Mapping[str, Any] | None = None,
) -> None:
    """Run every conformance check on a problem; raise on the first finding.

    Args:
        problem_cls_or_instance: The problem class (constructed with ``params``) or an
            instance (then ``params``, if given, are the arguments it was made with and
            ``get_params()`` must return them).
        data_dir: Folder with the data files, passed to ``load``.
        subsample: Training rows of the load that models are built and trained on; keep
            it small, the kit trains one tiny epoch only.
        params: Constructor arguments (a matrix's ``params``).

    Raises:
        ProblemConformanceError: The first finding: one line ``[check] problem 'name'
            (Class): what is wrong``.
        DatasetError: The data cannot be found or read (the loader's own error).
    """
    if isinstance(problem_cls_or_instance, type):
        cls = problem_cls_or_instance
        if not issubclass(cls, Problem):
            raise TypeError(f"{cls.__name__} is not a Problem subclass")
        try:
            problem = cls(**dict(params or {}))
        except Exception as exc:
            raise ProblemConformanceError(
                _one_line(f"[constructor] {cls.__name__}(**{params}) raised {_exc(exc)}")
            ) from exc
    elif isinstance(problem_cls_or_instance, Problem):
        problem = problem_cls_or_instance
    else:
        raise TypeError(f"expected a Problem class or instance, got {problem_cls_or_instance!r}")
    case = ProblemCase(problem, Path(data_dir) if data_dir is not None else None, subsample, params)
    with _kept_global_rngs():
        for name, check in CHECKS.items():
            try:
                check(case)
            except ProblemConformanceError as exc:
                raise ProblemConformanceError(_one_line(f"[{name}] {exc}")) from exc


#: The checks ``tunebench run`` applies to a plug-in problem of a live entry before
#: anything trains (cheap: one small load, one model, one tiny epoch).
RUN_CHECKS = ("declares_attributes", "default_config_builds", "metric_is_reported")


def check_problem_runs(
    problem: Problem, *, data_dir: Path | str | None = None, subsample: int = 200
) -> None:
    """The :data:`RUN_CHECKS` subset of the kit, on an already constructed problem.

    Raises:
        ProblemConformanceError: The first finding, ``[check] problem ...: what is wrong``.
    """
    case = ProblemCase(problem, Path(data_dir) if data_dir is not None else None, subsample)
    with _kept_global_rngs():
        for name in RUN_CHECKS:
            try:
                CHECKS[name](case)
            except ProblemConformanceError as exc:
                raise ProblemConformanceError(_one_line(f"[{name}] {exc}")) from exc


def main(argv: list[str] | None = None) -> int:
    """The run-time checks in a process of its own; exit 1 and one line on a finding.

    ``python -m tunebench.datasets.testing NAME [--params JSON] [--module FILE]
    [--data-dir DIR]``, so that the caller's process never imports Keras for them.
    """
    import argparse
    import json
    import sys

    ap = argparse.ArgumentParser(prog="python -m tunebench.datasets.testing")
    ap.add_argument("name")
    ap.add_argument("--params", default="{}")
    ap.add_argument("--module")
    ap.add_argument("--data-dir")
    args = ap.parse_args(argv)
    from tunebench.datasets import available_problems
    from tunebench.datasets.problem_files import load_problem_file

    if args.module:
        load_problem_file(Path(args.module))
    try:
        problem = available_problems()[args.name](**json.loads(args.params))
        check_problem_runs(problem, data_dir=args.data_dir)
    except ProblemConformanceError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
