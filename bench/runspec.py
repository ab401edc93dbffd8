"""The run spec: everything that defines one run (its folder and results follow from it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RunSpec"]


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
        table: Replay mode: path of the learning-curve table.
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

    @property
    def rel_dir(self) -> Path:
        """``<problem label>/<strategy>/seed=<k>``, relative to the matrix folder."""
        return Path(self.problem_label or self.problem) / self.strategy_label / f"seed={self.seed}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form, recorded in ``run.json``."""
        data = asdict(self)
        data["problem_params"] = dict(self.problem_params)
        data["strategy_params"] = dict(self.strategy_params)
        if self.concurrency == 1:  # runs of one trial at a time keep their old records
            del data["concurrency"]
        if self.problem_module is None:  # and runs of registered problems
            del data["problem_module"]
        if self.backend is None:
            del data["backend"]
        if self.surrogate is None:
            del data["surrogate"]
        return data
