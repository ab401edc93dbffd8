"""The problem under test: its loads and model builds, made once and shared by the checks.

A load is checked for shape and then reduced to digests and row hashes (what the
checks compare); a build is checked for a compiled model, its batch size and FLOPs.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tunebench.datasets.files import DatasetError
from tunebench.datasets.problem import Problem, Splits
from tunebench.datasets.testing.contract import (
    DEFAULT_SUBSAMPLE,
    LOAD_SEEDS,
    SPLITS,
    ProblemConformanceError,
    _exc,
)
from tunebench.errors import one_line
from tunebench.strategies.space import SearchSpace

if TYPE_CHECKING:
    import keras


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
        return ProblemConformanceError(one_line(f"{self.label}: {finding}"))

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
        # Fresh Keras state per build, without the forced garbage collection (slow, and it
        # would run on every build), as the harness's trainer does; the checks collect once
        # when they end.
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
