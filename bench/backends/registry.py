"""Trial backends: how a run's trials get their epochs (live, k-fold, replay).

The run loop (:mod:`tunebench.run.loop`) only opens sessions on a trainer and
steps them; what stands behind the trainer is chosen here, from the run spec,
by :func:`backend_for`. It is the only place that reads a run's ``mode`` and
``evaluation``:

* ``live``, holdout: :class:`~tunebench.backends.live.LiveTrainer` trains Keras models.
* ``live``, ``kfold:K``: :class:`~tunebench.backends.kfold.KFoldTrainer` scores a config
  as the mean over K folds (retrains still train on the training split).
* ``replay``: :class:`~tunebench.backends.replay.ReplayTrainer` serves recorded curves, on
  a simulated clock. A grid table serves its grid exactly; a sampled table serves
  any config of the full space from its nearest recorded config.
* ``surrogate``: :class:`~tunebench.curves.surrogate.SurrogateTrainer` serves the curves a
  surrogate predicts for any config of the full space, on a simulated clock.

The synthetic backend of the strategies' conformance kit is
:class:`tunebench.strategies.testing.SyntheticTrainer`.

The problems' data and tables are loaded once per process and kept for later
runs (:func:`problem_data`, :func:`problem_table`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunebench.backends.kfold import KFoldTrainer
from tunebench.backends.live import LiveTrainer, Trainer
from tunebench.backends.replay import ReplayTrainer
from tunebench.curves.nearest import SERVING_RULE
from tunebench.curves.table import LearningCurveTable, TableError, read_table_meta, table_space
from tunebench.datasets import Problem, Splits, available_problems
from tunebench.datasets.problem_files import load_problem_file, problem_file_provenance
from tunebench.matrix.schema import parse_evaluation
from tunebench.runspec import RunSpec
from tunebench.strategies.space import SearchSpace

__all__ = [
    "TrialBackend",
    "backend_for",
    "needs_keras",
    "open_backend",
    "problem_data",
    "problem_table",
]


@dataclass
class TrialBackend:
    """What a run's trials are trained (or served) by.

    Attributes:
        kind: ``"live"``, ``"kfold"``, ``"replay"`` or ``"surrogate"``.
        problem: The problem, configured with the run's params.
        trainer: Opens the search's trials.
        final_trainer: Opens the incumbent's retrains (holdout even under k-fold).
        space: The space the strategy searches.
        simulated: Whether epochs take recorded seconds on a simulated clock
            (several trials in flight then run on simulated workers, else threads).
        provenance: Recorded in ``run.json``: ``mode``, ``data``, ``split_sizes``.
    """

    kind: str
    problem: Problem
    trainer: Trainer
    final_trainer: Trainer
    space: SearchSpace
    simulated: bool
    provenance: dict[str, Any] = field(default_factory=dict)


def needs_keras(spec: RunSpec) -> bool:
    """Whether the run trains models (so its worker needs a Keras backend)."""
    return spec.mode == "live"


def backend_for(
    spec: RunSpec,
    problem: Problem,
    splits: Splits | None = None,
    table: LearningCurveTable | None = None,
) -> TrialBackend:
    """The trial backend of one run (see :func:`_backend`), its problem file recorded."""
    backend = _backend(spec, problem, splits, table)
    if spec.problem_module is not None:
        backend.provenance["problem_module"] = problem_file_provenance(Path(spec.problem_module))
    return backend


def _backend(
    spec: RunSpec,
    problem: Problem,
    splits: Splits | None,
    table: LearningCurveTable | None,
) -> TrialBackend:
    """The trial backend of one run, from its spec and its loaded data or table.

    Args:
        spec: The run.
        problem: The problem, configured with the run's params.
        splits: Live runs: the problem's loaded data.
        table: Replay runs: the learning-curve table.

    Raises:
        ValueError: The data the mode needs was not given.
        TableError: The table holds fewer epochs than the run asks for.
    """
    if spec.mode == "surrogate":
        return _surrogate_backend(spec, problem)
    if spec.mode == "replay":
        if table is None:
            raise ValueError(f"replay run {spec.rel_dir} needs its learning-curve table")
        if spec.max_epochs > table.epochs:
            raise TableError(
                f"{table.path}: holds {table.epochs} epochs; max_epochs = {spec.max_epochs}"
            )
        space = problem.space() if table.sampled else problem.table_space().with_grid()
        nearest = table.nearest_configs(space) if table.sampled else None
        replay = ReplayTrainer(table, spec.seed, nearest)
        data: dict[str, Any] = {"table": str(table.path), **table.meta.get("data", {})}
        if table.sampled:  # grid tables' provenance stays as it was
            data["serving"] = SERVING_RULE
        sizes = table.meta.get("split_sizes", {})
        return TrialBackend(
            "replay", problem, replay, replay, space, simulated=True,
            provenance={"mode": "replay", "data": data, "split_sizes": sizes},
        )  # fmt: skip
    if spec.mode != "live":
        raise ValueError(f"unknown mode {spec.mode!r} of run {spec.rel_dir}")
    if splits is None:
        raise ValueError("live mode needs the problem's splits")
    live = LiveTrainer(problem, splits)
    folds = parse_evaluation(spec.evaluation)
    prov = {"mode": "live", "data": splits.source}
    if folds is None:
        return TrialBackend(
            "live", problem, live, live, problem.space(), simulated=False,
            provenance={**prov, "split_sizes": splits.sizes()},
        )  # fmt: skip
    kfold = KFoldTrainer(problem, splits, folds)
    return TrialBackend(
        "kfold", problem, kfold, live, problem.space(), simulated=False,
        provenance={**prov, "split_sizes": {**splits.sizes(), "folds": folds}},
    )  # fmt: skip


def _surrogate_backend(spec: RunSpec, problem: Problem) -> TrialBackend:
    """Surrogate mode: predicted curves, charged and clocked like a table's."""
    from tunebench.curves.surrogate import SurrogateTrainer

    surrogate = problem_surrogate(spec, problem)
    if spec.max_epochs > surrogate.epochs:
        raise ValueError(
            f"{spec.surrogate}: predicts {surrogate.epochs} epochs; max_epochs = {spec.max_epochs}"
        )
    space = problem.space()
    trainer = SurrogateTrainer(surrogate, space, spec.seed)
    meta = surrogate.meta
    data = {
        "surrogate": str(spec.surrogate),
        "table": meta["table"],
        "table_sha256": meta["table_sha256"],
        "versions": meta["versions"],
        "fidelity": meta["fidelity"],
    }
    return TrialBackend(
        "surrogate", problem, trainer, trainer, space, simulated=True,
        provenance={"mode": "surrogate", "data": data, "split_sizes": {}},
    )  # fmt: skip


_SURROGATES: dict[str, Any] = {}


def problem_surrogate(spec: RunSpec, problem: Problem) -> Any:
    """A surrogate-mode run's surrogate, loaded once per process (checked against the space)."""
    from tunebench.curves.surrogate import Surrogate

    if spec.surrogate is None:
        raise ValueError(f"surrogate run {spec.rel_dir} names no surrogate")
    if spec.surrogate not in _SURROGATES:
        path = Path(spec.surrogate)
        _SURROGATES[spec.surrogate] = Surrogate.load(path, problem.space().fingerprint())
    return _SURROGATES[spec.surrogate]


# Per process: problems' data and tables, loaded once and kept for every run.
_DATA: dict[tuple[str, str, int | None, str | None], tuple[Problem, Splits]] = {}
_TABLES: dict[tuple[str, str], tuple[Problem, LearningCurveTable]] = {}


def problem_data(
    name: str,
    params: Mapping[str, Any],
    subsample: int | None,
    data_dir: str | None,
    problems: Mapping[str, type[Problem]] | None = None,
    module: str | None = None,
) -> tuple[Problem, Splits]:
    """A problem and its loaded data, loaded once per process and kept for later runs.

    ``problems`` is the registry to look ``name`` up in (default: every known problem);
    ``module`` a problem file to load first (a worker process has not seen it yet).
    """
    if module is not None:
        load_problem_file(Path(module))
    key = (name, repr(sorted(params.items())), subsample, data_dir)
    if key not in _DATA:
        problem = (problems or available_problems())[name](**params)
        _DATA[key] = (
            problem,
            problem.load(None if data_dir is None else Path(data_dir), subsample),
        )
    return _DATA[key]


def problem_table(spec: RunSpec) -> tuple[Problem, LearningCurveTable]:
    """A replay run's problem and table, loaded once per process."""
    if spec.table is None:
        raise ValueError(f"replay run {spec.rel_dir} names no table")
    if spec.problem_module is not None:
        load_problem_file(Path(spec.problem_module))
    key = (spec.table, repr(sorted(spec.problem_params.items())))
    if key not in _TABLES:
        problem = available_problems()[spec.problem](**spec.problem_params)
        path = Path(spec.table)
        expected = table_space(problem, read_table_meta(path)).fingerprint()
        _TABLES[key] = (problem, LearningCurveTable(path, expected))
    return _TABLES[key]


def open_backend(spec: RunSpec, data_dir: str | None = None) -> TrialBackend:
    """Load what the run needs (data or table, cached per process) and pick its backend."""
    if needs_keras(spec):
        problem, splits = problem_data(
            spec.problem, spec.problem_params, spec.subsample, data_dir,
            module=spec.problem_module,
        )  # fmt: skip
        return backend_for(spec, problem, splits=splits)
    if spec.mode == "surrogate":
        if spec.problem_module is not None:
            load_problem_file(Path(spec.problem_module))
        return backend_for(spec, available_problems()[spec.problem](**spec.problem_params))
    problem, table = problem_table(spec)
    return backend_for(spec, problem, table=table)
