"""The run spec: everything that defines one run (its folder and results follow from it)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from tunebench.compat import RUN_SPEC_DEFAULTS, drop_defaults

__all__ = ["KERAS_BACKENDS", "PATH_FIELDS", "KerasBackend", "RunSpec", "parse_evaluation"]

KerasBackend = Literal["tensorflow", "torch", "jax"]
"""A Keras backend tunebench runs on (what a run spec's ``backend`` names)."""

KERAS_BACKENDS: tuple[KerasBackend, ...] = get_args(KerasBackend)
"""The Keras backends tunebench runs on, in the order messages list them."""

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


@dataclass(frozen=True)
class RunSpec:
    """Everything that defines one run; its folder and its results follow from it.

    Attributes:
        matrix: Name of the matrix the run belongs to.
        problem: Problem name.
        problem_params: Problem options.
        max_epochs: Epochs of one full evaluation.
        subsample: Training rows kept, or ``None`` for all.
        strategy: Strategy name.
        strategy_label: Folder name of the strategy entry (unique within a matrix).
        strategy_params: Strategy constructor arguments.
        seed: The run seed.
        full_evaluations: Budget cap in full evaluations, or ``None``.
        seconds: Budget cap in seconds, or ``None``.
        mode: ``"live"``, ``"replay"`` or ``"surrogate"``.
        table: Replay mode: path of the learning-curve table served; a multi-objective
            live or surrogate run: the table whose points fix its hypervolume frame.
        surrogate: Surrogate mode: path of the surrogate file.
        problem_label: Folder name of the problem entry (``name`` or ``name@mode``);
            empty means ``problem``.
        retrain_repeats: Retrains of the incumbent, from scratch with fresh seeds,
            scored on the test split after the search (not charged to the budget).
        evaluation: Live mode: ``"holdout"`` or ``"kfold:K"`` (how trials are scored;
            retrains always train on the training split and score the test split).
        concurrency: Trials in flight at once (replay: simulated workers; live: threads).
        problem_module: The file defining the problem (a matrix entry's ``module``,
            resolved), or ``None`` for a registered problem.
        backend: The Keras backend behind the run's curves: the one a live run trains
            on, the one a replay run's table was recorded with (``None``: unknown).
        objectives: A multi-objective run's objectives (issue 39), in the entry's order;
            ``None`` for a single-objective run on the problem's metric.
    """

    matrix: str
    problem: str
    max_epochs: int
    strategy: str
    strategy_label: str
    seed: int
    full_evaluations: int | None = None
    seconds: float | None = None
    subsample: int | None = None
    problem_params: Mapping[str, Any] = field(default_factory=dict)
    strategy_params: Mapping[str, Any] = field(default_factory=dict)
    mode: str = "live"
    retrain_repeats: int = 0
    table: str | None = None
    problem_label: str = ""
    evaluation: str = "holdout"
    concurrency: int = 1
    problem_module: str | None = None
    backend: str | None = None
    surrogate: str | None = None
    objectives: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.objectives is not None and not isinstance(self.objectives, tuple):
            # run.json stores a list; one type in memory keeps specs comparable
            object.__setattr__(self, "objectives", tuple(self.objectives))

    @property
    def rel_dir(self) -> Path:
        """``<problem label>/<strategy>/seed=<k>``, relative to the matrix folder."""
        return Path(self.problem_label or self.problem) / self.strategy_label / f"seed={self.seed}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form, recorded in ``run.json``."""
        data = asdict(self)
        data["problem_params"] = dict(self.problem_params)
        data["strategy_params"] = dict(self.strategy_params)
        if self.objectives is not None:
            data["objectives"] = list(self.objectives)
        drop_defaults(data, RUN_SPEC_DEFAULTS)  # keys added since: as before at defaults
        return data

    def same_run(self, other: RunSpec) -> bool:
        """Whether ``other`` is this run, wherever each machine kept its files.

        File fields (:data:`PATH_FIELDS`) compare by their last two path parts (the file
        and its folder: a grid and a sampled table share a file name): a run recorded on
        a machine whose checkout sat elsewhere, or recorded with a portable name
        (``tunebench.datasets:tables/sampled/x.parquet``), is still the same run.
        """
        return _identity(self) == _identity(other)


#: Spec fields that name a file; :meth:`RunSpec.same_run` compares only their last parts.
PATH_FIELDS = ("table", "surrogate", "problem_module")


def _identity(spec: RunSpec) -> str:
    data = spec.to_dict()
    for name in PATH_FIELDS:
        if data.get(name) is not None:
            # "tunebench.datasets:tables/x.parquet" and "/any/datasets/tables/x.parquet" agree
            parts = Path(str(data[name]).replace(":", "/")).parts
            data[name] = "/".join(parts[-2:])
    # JSON text: tuples and lists, and key order, compare as they are stored
    return json.dumps(data, sort_keys=True, default=str)
