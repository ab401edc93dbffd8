"""The surrogate mode: predicted curves for any config, served like a table's.

A multi-objective surrogate run tells the strategy what each trial was served (its
predicted metric at the last epoch, with the run's noise draw, and its predicted
seconds) with the config's ``params`` and ``flops``, computed by building the config's
model on the data settings of the table the surrogate was fitted on, without training
it. A trial is scored on the surrogate's noise-free prediction for its config (the
metric at ``max_epochs`` with no draw, the predicted seconds) and the same computed
costs, in the frame of the table the surrogate was fitted on: the frame a replayed run
of that table is scored in.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import random
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tunebench.backends.base import (
    CheckContext,
    Entry,
    EntryError,
    EntryPlan,
    PlanContext,
    TrialBackend,
    check_recorded_for,
    resolve_path,
    spec_frame,
)
from tunebench.backends.keras_training import private_python_rng
from tunebench.backends.live import BACKEND_INSTALL, problem_data
from tunebench.backends.replay import ReplaySession, entry_table
from tunebench.curves.shipped import (
    DEFAULT_BACKEND,
    recorded_path,
    shipped_surrogate,
    shipped_table,
)
from tunebench.curves.surrogate import (
    Surrogate,
    SurrogateError,
    file_sha256,
    holds_curves_of,
    read_surrogate_meta,
)
from tunebench.curves.table import Curve, read_table_meta
from tunebench.datasets.problem_files import known_problems
from tunebench.errors import one_line
from tunebench.objectives.catalog import OBJECTIVES
from tunebench.objectives.model_costs import model_costs
from tunebench.objectives.run_points import MeasuredObjectives, ObjectiveVectors
from tunebench.seeding import seed_for
from tunebench.strategies.space import SearchSpace

if TYPE_CHECKING:
    from tunebench.datasets import Problem, Splits
    from tunebench.runspec import RunSpec

__all__ = [
    "BuiltCosts",
    "SurrogateBackend",
    "SurrogateTrainer",
    "entry_surrogate",
    "fitted_table",
    "problem_surrogate",
]


class SurrogateTrainer:
    """Serves one run's trials from a surrogate: a predicted curve per config.

    Each config's curve is predicted whole when it is first opened, with one noise
    draw that follows the run seed and the config (the "surrogate" stream), so a run
    sees the same curve for a config every time (a resumed trial continues it), and
    the same seed gives the same trial log. Epochs are served and charged like a
    table's (:class:`~tunebench.backends.replay.ReplaySession`, a simulated clock).

    Args:
        surrogate: The loaded surrogate.
        space: The problem's full space.
        run_seed: The run seed.
    """

    def __init__(self, surrogate: Surrogate, space: SearchSpace, run_seed: int) -> None:
        self.surrogate = surrogate
        self.space = space
        self.run_seed = run_seed
        self._curves: dict[str, Any] = {}

    def draw(self, config_key: str) -> float:
        """The standard normal draw that shifts a config's curve in this run."""
        tag = zlib.crc32(config_key.encode("utf-8"))
        return float(np.random.default_rng(seed_for(self.run_seed, "surrogate", tag)).normal())

    def curve(self, config: Mapping[str, Any], config_key: str) -> Any:
        """The run's curve of a config, as a table's :class:`~tunebench.curves.table.Curve`."""
        if config_key not in self._curves:
            pred = self.surrogate.predict(self.space, [config], np.array([self.draw(config_key)]))
            epochs = self.surrogate.epochs
            self._curves[config_key] = Curve(
                value=pred.value[0], test_value=pred.test_value[0], loss=pred.loss[0],
                seconds=pred.seconds[0], flops=pred.flops[0], failed=("",) * epochs,
                setup_seconds=float(self.surrogate.meta["setup_seconds"]),
            )  # fmt: skip
        return self._curves[config_key]

    def open(
        self,
        config: Mapping[str, Any],
        config_key: str,
        seed: int,
        resume: Any = None,
    ) -> Any:
        """A session on the config's predicted curve (continuing ``resume``)."""
        start = 0 if resume is None else resume.epochs
        return ReplaySession(self.curve(config, config_key), config_key, start)

    def expected(self, config_key: str, max_epochs: int) -> dict[str, float]:
        """The noise-free prediction for a config: its ``metric`` and ``train_seconds``.

        The metric at ``max_epochs`` with no noise draw; the seconds of epochs
        ``1..max_epochs`` (the surrogate draws no noise on seconds, so they are the
        seconds a trial is served).
        """
        pred = self.surrogate.predict(self.space, [json.loads(config_key)], np.zeros(1))
        return {
            "metric": float(pred.value[0][max_epochs - 1]),
            "train_seconds": float(np.sum(pred.seconds[0][:max_epochs])),
        }


class BuiltCosts:
    """Configs' deterministic objectives, computed by building each model once, untrained.

    Args:
        problem: The problem whose ``build_model`` builds them.
        splits: The data settings to build on (input shapes, classes).
    """

    def __init__(self, problem: Problem, splits: Splits) -> None:
        self.problem = problem
        self.splits = splits
        self._costs: dict[str, dict[str, float]] = {}

    def __call__(self, config_key: str) -> dict[str, float]:
        """The config's ``params`` and ``flops`` (:func:`~tunebench.objectives.model_costs`)."""
        if config_key not in self._costs:
            import keras

            # Keras draws initialiser seeds from Python's global generator; a private
            # one leaves the run's other randomness as it was.
            with private_python_rng(random.Random(0)):
                model = self.problem.build_model(json.loads(config_key), self.splits)
            self._costs[config_key] = model_costs(model, self.problem.flops_per_example(model))
            del model
            # the surrogate process trains nothing: Keras' global state holds only these
            keras.backend.clear_session(free_memory=False)
        return self._costs[config_key]


def computes_costs(spec: RunSpec) -> bool:
    """Whether a surrogate run computes deterministic objectives (builds Keras models)."""
    return any(OBJECTIVES[name].deterministic for name in spec.objectives or ())


@functools.lru_cache(maxsize=32)
def _sha256(path: Path, stamp: tuple[int, int]) -> str:
    del stamp  # in the key, so a rewritten file is hashed anew
    return file_sha256(path)


def _matches(path: Path, sha256: object) -> bool:
    """Whether the file at ``path`` exists and holds the curves of checksum ``sha256``."""
    try:
        stat = path.stat()
    except OSError:
        return False
    if not path.is_file():
        return False
    actual = _sha256(path.resolve(), (stat.st_mtime_ns, stat.st_size))
    return holds_curves_of(path, sha256, actual)


def fitted_table(surrogate: Path, problem: str, named: Path | None = None) -> Path | None:
    """The table a surrogate was fitted on: a file with the checksum its metadata records.

    A surrogate records its table's file name and checksum only, so the table is looked
    for where it would be: ``named`` (an entry's ``table``) alone when given, else the
    file of that name beside the surrogate, then the problem's shipped sampled and grid
    tables.

    Returns:
        The first candidate whose checksum matches; else ``named``, else the file beside
        the surrogate (which the load-time checks then refuse), or ``None`` when the
        surrogate cannot be read.
    """
    meta = _surrogate_meta(surrogate)
    if not meta:
        return named
    beside = surrogate.parent / str(meta.get("table"))
    candidates = (
        [named] if named is not None
        else [beside, shipped_table(problem, "sampled"), shipped_table(problem, "grid")]
    )  # fmt: skip
    for candidate in candidates:
        if _matches(candidate, meta.get("table_sha256")):
            return candidate
    return candidates[0]


def entry_surrogate(entry: Entry, base_dir: Path | None = None) -> Path:
    """The surrogate a surrogate-mode entry serves: its ``surrogate``, else the shipped one."""
    if entry.surrogate is None:
        return shipped_surrogate(entry.name)
    return resolve_path(Path(entry.surrogate), base_dir)


def _surrogate_meta(path: Path) -> dict[str, Any]:
    """A surrogate's metadata, or nothing when it cannot be read."""
    try:
        return read_surrogate_meta(path)
    except SurrogateError:
        return {}


# Per process: surrogates, loaded once and kept for every run.
_SURROGATES: dict[str, Any] = {}


def problem_surrogate(spec: RunSpec, problem: Problem) -> Any:
    """A surrogate-mode run's surrogate, loaded once per process (checked against the space)."""
    if spec.surrogate is None:
        raise ValueError(f"surrogate run {spec.rel_dir} names no surrogate")
    if spec.surrogate not in _SURROGATES:
        path = recorded_path(spec.surrogate)
        _SURROGATES[spec.surrogate] = Surrogate.load(path, problem.space().fingerprint())
    return _SURROGATES[spec.surrogate]


class SurrogateBackend(TrialBackend):
    """Predicted curves, charged and clocked like a table's."""

    mode = "surrogate"
    simulated = True
    curves_are = "predicted"
    runs_are = "surrogate"
    does = "served by the surrogate"
    as_subject = "the surrogate"
    as_object = "the surrogate"
    short_name = "surrogate"
    curves_made = "the surrogate's table was recorded"
    serves_surrogate = True
    supports_objectives = True
    realism = 2

    #: Builds configs' models for their ``params`` and ``flops`` (a run whose objectives
    #: include one); ``None`` otherwise.
    costs: BuiltCosts | None = None

    @classmethod
    def build(
        cls, spec: RunSpec, problem: Problem, *, splits: Any = None, table: Any = None
    ) -> TrialBackend:
        """The run's backend on its surrogate (loaded once per process).

        ``splits``, where given, is the data a multi-objective run's models are built on
        for their costs (its frame table's data settings); left out, it is loaded.

        Raises:
            ValueError: The surrogate predicts fewer epochs than the run asks for.
        """
        surrogate = problem_surrogate(spec, problem)
        if spec.max_epochs > surrogate.epochs:
            raise ValueError(
                f"{spec.surrogate}: predicts {surrogate.epochs} epochs; "
                f"max_epochs = {spec.max_epochs}"
            )
        costs = None
        if computes_costs(spec):
            if splits is None:
                cost_problem, splits = _cost_data(spec, None)
            else:
                cost_problem = _cost_problem(spec)
            costs = BuiltCosts(cost_problem, splits)
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
        backend = cls(
            problem, trainer, trainer, space,
            {"mode": "surrogate", "data": data, "split_sizes": {}},
        )  # fmt: skip
        backend.costs = costs
        return backend

    def objective_source(self, spec: RunSpec) -> ObjectiveVectors:
        """Served metric and seconds with computed costs; scored on the noise-free prediction.

        The frame is that of ``spec.table``, the table the surrogate was fitted on
        (:func:`fitted_table`).

        Raises:
            ValueError: The run names no frame table.
        """
        frame = spec_frame(spec, "surrogate")
        trainer = self.trainer
        assert isinstance(trainer, SurrogateTrainer)
        costs = self.costs

        def known_costs(config_key: str) -> dict[str, float] | None:
            return None if costs is None else costs(config_key)

        return MeasuredObjectives(
            frame, known_costs, functools.partial(_expected, trainer, spec.max_epochs)
        )

    @classmethod
    def needs_keras(cls, spec: RunSpec) -> bool:
        """A run with ``params`` or ``flops`` among its objectives builds Keras models."""
        return computes_costs(spec)

    @classmethod
    def open(
        cls, spec: RunSpec, data_dir: str | None, problems: Mapping[str, type[Problem]]
    ) -> TrialBackend:
        """Configure the problem (and load its data where costs are computed); build the backend."""
        known = known_problems(spec.problem_module, problems)
        problem = known[spec.problem](**spec.problem_params)
        splits = _cost_data(spec, data_dir, problems)[1] if computes_costs(spec) else None
        return cls.build(spec, problem, splits=splits)

    @classmethod
    def objective_table(cls, entry: Entry, base_dir: Path | None) -> Path | None:
        """The table the entry's surrogate was fitted on (:func:`fitted_table`)."""
        named = None if entry.table is None else entry_table(entry, base_dir)
        return fitted_table(entry_surrogate(entry, base_dir), entry.name, named)

    @classmethod
    def entry_plan(cls, entry: Entry, ctx: PlanContext) -> EntryPlan:
        """The entry's surrogate, its epochs, and the backend that recorded its table."""
        path = entry_surrogate(entry, ctx.base_dir)
        meta = _surrogate_meta(path)  # unreadable: the load-time checks refuse the matrix
        default = ctx.problems[entry.name].max_epochs
        table = None if entry.objectives is None else cls.objective_table(entry, ctx.base_dir)
        return EntryPlan(
            max_epochs=entry.max_epochs or int(meta.get("epochs", default)),
            backend=meta.get("table_backend"),  # what recorded the curves it learned
            table=None if table is None else str(table),
            surrogate=str(path),
        )

    @classmethod
    def check_entry(cls, entry: Entry, problem: Problem, ctx: CheckContext) -> None:
        """The surrogate file is present, readable, for this problem and space, long enough."""
        path = entry_surrogate(entry, ctx.base_dir)
        key: tuple[str, ...] = ("surrogate",) if entry.surrogate else ()
        shown = entry.surrogate or str(path)
        fit = f"tunebench surrogate fit {entry.name}"
        try:
            meta = read_surrogate_meta(path)
        except SurrogateError as exc:
            reason = str(exc).removeprefix(f"{path}: ")
            if not path.is_file():
                reason = (
                    f"{entry.name!r} has no surrogate here; fit one with {fit} "
                    f'(it writes {entry.name}.json.gz; name it as the entry\'s surrogate = "...")'
                )
            raise EntryError(key, f"surrogate {shown}: {reason}") from None
        check_recorded_for(
            entry, key, meta, problem.space().fingerprint(), f"surrogate {shown}", "fitted",
            f"refit it with {fit}", lambda epochs: f"surrogate {shown} predicts",
        )  # fmt: skip

    @classmethod
    def check_objective_table(
        cls, entry: Entry, problem: Problem, table: Path, ctx: CheckContext
    ) -> None:
        """The frame table is the one the surrogate was fitted on; costs' data is present.

        Computing ``params`` or ``flops`` builds models on the table's data settings, so
        the data must load, as for a live entry.
        """
        path = entry_surrogate(entry, ctx.base_dir)
        meta = read_surrogate_meta(path)  # check_entry has read it already
        shown = entry.surrogate or str(path)
        if not _matches(table, meta.get("table_sha256")):
            where = (
                f"table {entry.table} is another file"
                if entry.table
                else "no such file is beside it or shipped"
            )
            raise EntryError(
                ("table",) if entry.table else ("surrogate",) if entry.surrogate else (),
                f"surrogate {shown} was fitted on {meta.get('table')} (sha256 "
                f"{str(meta.get('table_sha256'))[:12]}), whose points fix the hypervolume "
                f'frame of its objectives, and {where}; name that table with table = "..."',
            )
        if not any(OBJECTIVES[n].deterministic for n in entry.objectives or ()):
            return
        backend = ctx.plan.backend or DEFAULT_BACKEND
        if importlib.util.find_spec(backend) is None:
            raise EntryError(
                ("objectives",),
                f"computing params or flops builds the surrogate's models with Keras on "
                f"{backend!r} (its table's backend), which is not installed; "
                f"{BACKEND_INSTALL.get(backend, f'pip install {backend}')}",
            )
        if ctx.load_data is None:
            return
        from tunebench.datasets.files import DatasetError

        recorded = read_table_meta(table)
        data_dir = None if ctx.data_dir is None else str(ctx.data_dir)
        try:
            ctx.load_data(
                entry.name, dict(recorded.get("problem_params") or {}),
                recorded.get("subsample"), data_dir,
            )  # fmt: skip
        except (DatasetError, OSError, ValueError) as exc:
            # where and what a live entry's missing data says
            raise EntryError(("name",), f"data: {one_line(exc)}") from None


def _expected(trainer: SurrogateTrainer, max_epochs: int, config_key: str) -> dict[str, float]:
    return trainer.expected(config_key, max_epochs)


def _frame_meta(spec: RunSpec) -> dict[str, Any]:
    """The metadata of a multi-objective run's frame table.

    Raises:
        ValueError: The run names no frame table.
    """
    if spec.table is None:
        raise ValueError(f"run {spec.rel_dir}: a multi-objective surrogate run names a table")
    return read_table_meta(recorded_path(spec.table))


def _cost_problem(spec: RunSpec) -> Problem:
    """The problem a run's models are built by: with its frame table's options."""
    meta = _frame_meta(spec)
    known = known_problems(spec.problem_module)
    return known[spec.problem](**dict(meta.get("problem_params") or {}))


def _cost_data(
    spec: RunSpec, data_dir: str | None, problems: Mapping[str, type[Problem]] | None = None
) -> tuple[Problem, Splits]:
    """The problem and data a run's models are built on: its frame table's data settings.

    The table the surrogate was fitted on, as :mod:`tunebench.objectives.add_params`
    builds a table's models (its problem options and subsample), so the computed costs
    are the table's ``params`` and ``flops``.

    Raises:
        ValueError: The run names no frame table.
    """
    meta = _frame_meta(spec)
    return problem_data(
        spec.problem, dict(meta.get("problem_params") or {}), meta.get("subsample"),
        data_dir, problems, module=spec.problem_module,
    )  # fmt: skip
