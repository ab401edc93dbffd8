"""A tunebench problem as an optuna objective, for optuna's own ``study.optimize``.

People who tune with optuna can benchmark a sampler or pruner on a tunebench problem
without tunebench's loop::

    import optuna
    import tunebench

    objective = tunebench.as_optuna_objective("stocks-mlp", mode="surrogate", seed=0)
    study = optuna.create_study(
        direction=objective.direction,
        sampler=optuna.samplers.RandomSampler(seed=objective.sampler_seed),
        pruner=optuna.pruners.MedianPruner(),
    )
    study.optimize(objective, n_trials=50)

Each call suggests the problem's real space (define-by-run, so conditional parameters
work), serves the config's curve epoch by epoch from the same backend a ``tunebench run``
of that mode uses (:mod:`tunebench.backends`), reports every epoch (``trial.report``;
``trial.should_prune()`` raises :class:`optuna.TrialPruned`, so optuna's pruners work) and
returns the value at ``max_epochs``. What the trial cost (epochs, simulated seconds,
FLOPs, as tunebench's ledger charges them) goes into its user attributes.

One objective is one run: on a sampled table, replay serves each trial the nearest
recorded config this objective has not served yet, so use a fresh objective per study.
optuna fixes a trial's params when they are suggested, so on a sampled table the trial
keeps its proposal as params and the config it was evaluated as is in the user attribute
``served_config``; a model-based sampler then learns the proposal, not the served config
(the tunebench loop tells its strategies the served config). Surrogate mode evaluates the
proposal itself and has no such gap.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tunebench.backends.registry import open_backend
from tunebench.curves.shipped import default_table, shipped_surrogate, shipped_table
from tunebench.curves.surrogate import read_surrogate_meta
from tunebench.curves.table import read_table_meta
from tunebench.datasets import available_problems
from tunebench.errors import TunebenchError
from tunebench.runspec import RunSpec
from tunebench.seeding import seed_for

if TYPE_CHECKING:
    import optuna

    from tunebench.backends.base import TrialBackend
    from tunebench.backends.session import EpochOutcome
    from tunebench.strategies.space import SearchSpace

__all__ = ["ObjectiveError", "OptunaObjective", "as_optuna_objective"]

Mode = Literal["replay", "surrogate"]


class ObjectiveError(TunebenchError, ValueError):
    """An objective that cannot be built (unknown problem or mode, a missing file)."""


class OptunaObjective:
    """A callable ``objective(trial) -> float`` over one tunebench problem (see the module).

    Build it with :func:`as_optuna_objective`.

    Attributes:
        problem: The problem's name.
        mode: ``"replay"`` or ``"surrogate"``.
        seed: The run seed: it picks the recorded repeat (replay) or the noise draw
            (surrogate) of each config, as in a ``tunebench run`` with this seed.
        max_epochs: Epochs of a full evaluation; the value returned is the one after them.
        direction: ``"maximize"`` or ``"minimize"``, for ``optuna.create_study``.
        space: The search space suggested.
    """

    def __init__(self, spec: RunSpec, backend: TrialBackend) -> None:
        self._spec = spec
        self._backend = backend
        self.problem = spec.problem
        self.mode = spec.mode
        self.seed = spec.seed
        self.max_epochs = spec.max_epochs
        self.direction: str = backend.problem.direction
        self.space: SearchSpace = backend.space

    @property
    def sampler_seed(self) -> int:
        """The seed tunebench gives a strategy's sampler in a run with :attr:`seed`.

        A ``tunebench run`` of ``random`` at run seed ``s`` samples with
        ``optuna.samplers.RandomSampler(seed=<the strategy stream of s>)``; seeding optuna's
        sampler with this value proposes the same configs in the same order.
        """
        return seed_for(self.seed, "strategy")

    def __call__(self, trial: optuna.Trial) -> float:
        """Suggest a config, serve its epochs, report each; the value at ``max_epochs``.

        Raises:
            optuna.TrialPruned: The study's pruner stopped the trial.
        """
        import optuna

        space = self.space
        config = space.suggest_optuna(trial)
        key = space.config_key(config)
        session = self._backend.trainer.open(
            config, key, seed_for(self.seed, "training", trial.number)
        )
        cost = {"epochs": 0, "seconds": float(session.setup_seconds), "flops": 0.0}
        served = getattr(session, "served", None)
        if served is not None and served[0] != key:
            trial.set_user_attr("served_config", space.canonical(json.loads(served[0])))
            trial.set_user_attr("served_distance", float(served[1]))
        state: dict[str, Any] = {"value": math.nan, "pruned": 0, "failed": ""}

        def on_epoch(out: EpochOutcome) -> bool:
            cost["epochs"] += 1
            cost["seconds"] += float(out.seconds)
            cost["flops"] += float(out.flops)
            trial.set_user_attr("cost", dict(cost))
            if not out.finite:
                state["failed"] = out.why_not_finite()
                return False
            state["value"] = float(out.value)
            trial.report(float(out.value), out.epoch)
            if out.epoch < self.max_epochs and trial.should_prune():
                state["pruned"] = out.epoch
                return False
            return True

        try:
            session.fit(self.max_epochs, on_epoch)
            if state["failed"]:
                trial.set_user_attr("failed", state["failed"])
                return math.nan  # optuna records a NaN value as a failed trial
            if state["pruned"]:
                raise optuna.TrialPruned(f"pruned after epoch {state['pruned']}")
            return float(state["value"])
        finally:
            session.close()


def as_optuna_objective(
    problem: str,
    mode: Mode = "surrogate",
    seed: int = 0,
    *,
    max_epochs: int | None = None,
    table: str | Path | None = None,
    surrogate: str | Path | None = None,
    problem_params: Mapping[str, Any] | None = None,
) -> OptunaObjective:
    """An optuna objective over a tunebench problem, served as a ``tunebench run`` serves it.

    Args:
        problem: A problem's name (``tunebench list problems``).
        mode: ``"replay"`` (recorded learning curves) or ``"surrogate"`` (predicted ones).
        seed: The run seed (which recorded repeat or noise draw each config gets).
        max_epochs: Epochs of a full evaluation; default: all the table or surrogate has.
        table: Replay: ``"grid"``, ``"sampled"`` or a table file; default the problem's
            default table (the sampled one).
        surrogate: Surrogate mode: a surrogate file; default the one shipped.
        problem_params: The problem's parameters, as a matrix entry's ``params``.

    Returns:
        A callable for ``study.optimize``.

    Raises:
        ObjectiveError: An unknown problem or mode, or no table or surrogate for it.
    """
    problems = available_problems()
    if problem not in problems:
        raise ObjectiveError(f"unknown problem {problem!r}; known: {', '.join(sorted(problems))}")
    if mode not in ("replay", "surrogate"):
        raise ObjectiveError(f"mode {mode!r} is not allowed; allowed: 'replay', 'surrogate'")
    table_path: Path | None = None
    surrogate_path: Path | None = None
    if mode == "replay":
        if table in ("grid", "sampled"):
            table_path = shipped_table(problem, str(table))
        else:
            table_path = Path(table) if table is not None else default_table(problem)
        if not table_path.is_file():
            raise ObjectiveError(f"{problem!r} has no learning-curve table at {table_path}")
        epochs = int(read_table_meta(table_path)["epochs"])
    else:
        surrogate_path = Path(surrogate) if surrogate is not None else shipped_surrogate(problem)
        if not surrogate_path.is_file():
            raise ObjectiveError(f"{problem!r} has no surrogate at {surrogate_path}")
        epochs = int(read_surrogate_meta(surrogate_path)["epochs"])
    spec = RunSpec(
        matrix="optuna",
        problem=problem,
        max_epochs=max_epochs or epochs,
        strategy="optuna",
        strategy_label="optuna",
        seed=seed,
        problem_params=dict(problem_params or {}),
        mode=mode,
        table=None if table_path is None else str(table_path),
        surrogate=None if surrogate_path is None else str(surrogate_path),
    )
    try:
        backend = open_backend(spec)
    except ValueError as exc:  # more epochs than the table or surrogate holds, say
        raise ObjectiveError(str(exc)) from None
    return OptunaObjective(spec, backend)
