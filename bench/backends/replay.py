"""The replay mode: serve recorded learning curves instead of training.

:class:`ReplayTrainer` has the live trainer's interface (``open`` a session,
``fit`` it epoch by epoch, ``evaluate_test``, ``snapshot``, ``close``), so the
runner loop, the ledger and every strategy run unchanged. Each epoch's cost is
the recorded one, so the ledger and the run's clock advance by what the real
training took (a simulated clock). Which recorded repeat a config is served
from follows the run seed (the "replay" stream) and the config, so a resumed
trial continues the same curve.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunebench.backends.base import (
    CheckContext,
    Entry,
    EntryError,
    EntryPlan,
    PlanContext,
    TrialBackend,
    checked_table_meta,
    recorded_params,
    resolve_path,
)
from tunebench.backends.session import EpochOutcome, Snapshot
from tunebench.curves.nearest import (
    GAP_DRAWS,
    SERVING_RULE,
    SPARSE_DISTANCE,
    NearestConfig,
    median_gap,
)
from tunebench.curves.shipped import (
    SHIPPED_TABLES,
    default_table,
    recorded_path,
    shipped_table,
    table_backend,
)
from tunebench.curves.table import (
    Curve,
    LearningCurveTable,
    TableError,
    read_table_meta,
    table_space,
)
from tunebench.datasets import available_problems
from tunebench.datasets.problem_files import known_problems
from tunebench.objectives.run_points import run_objectives
from tunebench.seeding import seed_for

if TYPE_CHECKING:
    from tunebench.datasets import Problem
    from tunebench.objectives.run_points import ObjectiveVectors
    from tunebench.runspec import RunSpec

__all__ = [
    "ReplayBackend",
    "ReplayRetrainer",
    "ReplaySession",
    "ReplayTrainer",
    "entry_table",
    "problem_table",
    "replay_epochs",
]


class ReplaySession:
    """One trial served from a recorded curve."""

    def __init__(
        self,
        curve: Curve,
        config_key: str,
        start_epoch: int,
        served: tuple[str, float] | None = None,
    ) -> None:
        self.curve = curve
        self.config_key = config_key
        #: (recorded config key, distance) when a sampled table served a proposal from
        #: its nearest recorded config; None for a grid table (exact lookup).
        self.served = served
        self.start_epoch = start_epoch
        self.epochs = start_epoch
        self.setup_seconds = curve.setup_seconds

    def step(self) -> EpochOutcome:
        """Serve the next recorded epoch (runs with several trials in flight step sessions).

        Raises:
            TableError: The table holds no further epoch of this config.
        """
        c = self.curve
        i = self.epochs
        if i >= c.epochs:
            raise TableError(
                f"the table holds {c.epochs} epochs of {self.config_key}; {i + 1} were asked"
            )
        self.epochs += 1
        return EpochOutcome(
            epoch=i + 1,
            value=float(c.value[i]),
            loss=float(c.loss[i]),
            seconds=float(c.seconds[i]),
            flops=float(c.flops[i]),
            weights_finite=not c.failed[i],
        )

    def fit(self, target_epochs: int, on_epoch: Callable[[EpochOutcome], bool]) -> None:
        """Serve recorded epochs up to ``target_epochs`` while ``on_epoch`` says go on."""
        c = self.curve
        while self.epochs < target_epochs:
            if self.epochs >= c.epochs:
                raise TableError(
                    f"the table holds {c.epochs} epochs of {self.config_key}; "
                    f"{target_epochs} were asked"
                )
            if not on_epoch(self.step()):
                return

    def evaluate_test(self) -> float:
        """The recorded test metric at the current epoch."""
        return float(self.curve.test_value[self.epochs - 1])

    def full_length(self, max_epochs: int) -> tuple[float, float] | None:
        """The curve's validation and test value at ``max_epochs`` (``None`` if it failed)."""
        c = self.curve
        if max_epochs > c.epochs or any(c.failed[:max_epochs]):
            return None
        return float(c.value[max_epochs - 1]), float(c.test_value[max_epochs - 1])

    def snapshot(self) -> Snapshot:
        """Nothing to copy: a resume only needs the epoch count."""
        return Snapshot(self.config_key, self.epochs, [], [])

    def close(self) -> None:
        """Nothing to release."""


class ReplayTrainer:
    """Serves one run's trials from a learning-curve table.

    Args:
        table: The loaded table.
        run_seed: The run seed; it picks the repeat served for each config.
    """

    def __init__(
        self, table: LearningCurveTable, run_seed: int, nearest: NearestConfig | None = None
    ) -> None:
        self.table = table
        self.run_seed = run_seed
        self.nearest = nearest
        self._served: set[str] = set()  # recorded configs this run's fresh trials were served

    def repeat_for(self, config_key: str) -> int:
        """Which recorded repeat this run serves for a config."""
        tag = zlib.crc32(config_key.encode("utf-8"))
        return seed_for(self.run_seed, "replay", tag) % self.table.repeats

    def open(
        self,
        config: Mapping[str, Any],
        config_key: str,
        seed: int,
        resume: Snapshot | None = None,
    ) -> ReplaySession:
        """A session on the recorded curve of ``config`` (continuing ``resume``).

        With a sampled table (``nearest`` set), a fresh trial is served the nearest
        recorded config that this run was not served yet, so no fresh trial sees a curve
        the run has already seen (the strategy is told which config it got, see
        :meth:`~tunebench.strategies.base.Strategy.evaluated_as`); a trial that resumes
        with its own config continues its curve. Which repeat is served follows the
        served config.
        """
        served = None
        key = config_key
        if self.nearest is not None:
            if resume is not None and resume.config_key == config_key:
                key, distance = config_key, 0.0  # continuing the curve it was served
            else:
                key, distance = self.nearest.nearest(
                    config, exclude=self._served if resume is None else ()
                )
                if resume is None:
                    self._served.add(key)
            served = (key, distance)
        return self.session(key, 0 if resume is None else resume.epochs, served)

    def session(
        self, key: str, start: int, served: tuple[str, float] | None = None
    ) -> ReplaySession:
        """A session on recorded config ``key``'s curve (this run's repeat) from ``start``."""
        return ReplaySession(self.table.curve(key, self.repeat_for(key)), key, start, served)


class ReplayRetrainer:
    """Serves the retrains of a run's incumbent: the curve it was evaluated on.

    A retrain is no fresh trial: it must measure the config the run returns, so it is
    served that config's recorded curve (the same repeat as in the search, which the
    config picks), never the nearest config not served yet as a fresh trial would be.

    Args:
        trainer: The run's trainer (its table, nearest-config index and repeat choice).
    """

    def __init__(self, trainer: ReplayTrainer) -> None:
        self.trainer = trainer

    def open(
        self,
        config: Mapping[str, Any],
        config_key: str,
        seed: int,
        resume: Snapshot | None = None,
    ) -> ReplaySession:
        """A session on the recorded curve of ``config`` from its first epoch."""
        del seed, resume  # a recorded curve: its repeat follows the config
        key, served = config_key, None
        if self.trainer.nearest is not None:
            # the incumbent's config is a recorded one (it was served), at distance 0
            key, distance = self.trainer.nearest.nearest(config)
            served = (key, distance)
        return self.trainer.session(key, 0, served)


def entry_table(entry: Entry, base_dir: Path | None = None) -> Path:
    """The table a replay entry serves: its ``table``, else the one shipped for it.

    ``table = "grid"`` or ``"sampled"`` names the problem's shipped grid or sampled
    table. Another relative ``table`` is relative to ``base_dir`` (the matrix file's
    folder; default the working directory).
    """
    if entry.table in SHIPPED_TABLES:
        return shipped_table(entry.name, entry.table)
    return resolve_path(Path(entry.table) if entry.table else default_table(entry.name), base_dir)


def replay_epochs(
    entry: Entry, table: Path, problems: Mapping[str, type[Problem]] | None = None
) -> int:
    """A replay entry's epochs of a full evaluation: its ``max_epochs``, else the table's.

    An unreadable table falls back to the problem's default; the load-time checks
    (:mod:`tunebench.matrix.preflight`) refuse such a matrix before anything runs.
    """
    if entry.max_epochs is not None:
        return entry.max_epochs
    try:
        return int(read_table_meta(table)["epochs"])
    except (TableError, KeyError, ValueError):
        return int((problems or available_problems())[entry.name].max_epochs)


# Per process: tables, loaded once and kept for every run.
_TABLES: dict[tuple[str, str], tuple[Problem, LearningCurveTable]] = {}


def problem_table(
    spec: RunSpec, problems: Mapping[str, type[Problem]] | None = None
) -> tuple[Problem, LearningCurveTable]:
    """A replay run's problem and table, loaded once per process."""
    if spec.table is None:
        raise ValueError(f"replay run {spec.rel_dir} names no table")
    key = (spec.table, repr(sorted(spec.problem_params.items())))
    if key not in _TABLES:
        problem = known_problems(spec.problem_module, problems)[spec.problem](**spec.problem_params)
        path = recorded_path(spec.table)
        expected = table_space(problem, read_table_meta(path)).fingerprint()
        _TABLES[key] = (problem, LearningCurveTable(path, expected))
    return _TABLES[key]


_GAPS: dict[tuple[str, int, int, str], float] = {}


def table_gap(path: Path, space: Any) -> float:
    """A sampled table's median gap (:func:`~tunebench.curves.nearest.median_gap`), cached.

    Only the table's config keys are read.
    """
    import json

    import pandas as pd

    stat = path.stat()
    cache_key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, space.fingerprint())
    if cache_key not in _GAPS:
        keys = sorted(pd.read_parquet(path, columns=["config_key"])["config_key"].unique())
        nearest = NearestConfig(space, keys, [json.loads(k) for k in keys])
        _GAPS[cache_key] = median_gap(nearest, seed=0)
    return _GAPS[cache_key]


class ReplayBackend(TrialBackend):
    """Recorded curves on a simulated clock.

    A grid table serves its grid exactly; a sampled table serves any config of the full
    space from its nearest recorded config (:mod:`tunebench.curves.nearest`).
    """

    mode = "replay"
    simulated = True
    curves_are = "recorded"
    runs_are = "replayed"
    does = "replayed from the learning-curve table"
    as_subject = "replay"
    as_object = "the table"
    short_name = "table"
    curves_made = "the table was recorded"
    serves_table = True
    supports_objectives = True
    realism = 1

    @classmethod
    def build(
        cls, spec: RunSpec, problem: Problem, *, splits: Any = None, table: Any = None
    ) -> TrialBackend:
        """The run's backend on its loaded learning-curve ``table``.

        Raises:
            ValueError: No table was given.
            TableError: The table holds fewer epochs than the run asks for.
        """
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
        return cls(
            problem, replay, ReplayRetrainer(replay), space,
            {"mode": "replay", "data": data, "split_sizes": sizes},
        )  # fmt: skip

    def objective_source(self, spec: RunSpec) -> ObjectiveVectors:
        """The replayed table's vectors: measured metric and seconds, table means scored.

        Raises:
            ValueError: The run names no table.
        """
        if spec.table is None or spec.objectives is None:
            raise ValueError(f"run {spec.rel_dir}: a multi-objective replay run names a table")
        return run_objectives(recorded_path(spec.table), spec.objectives, spec.max_epochs)

    @classmethod
    def open(
        cls, spec: RunSpec, data_dir: str | None, problems: Mapping[str, type[Problem]]
    ) -> TrialBackend:
        """Load the run's table (once per process) and build its backend."""
        problem, table = problem_table(spec, problems)
        return cls.build(spec, problem, table=table)

    @classmethod
    def served_table(cls, entry: Entry, base_dir: Path | None) -> Path | None:
        """The entry's table (:func:`entry_table`)."""
        return entry_table(entry, base_dir)

    @classmethod
    def entry_plan(cls, entry: Entry, ctx: PlanContext) -> EntryPlan:
        """The entry's table, its epochs, and the backend that recorded it."""
        path = entry_table(entry, ctx.base_dir)
        return EntryPlan(
            max_epochs=replay_epochs(entry, path, ctx.problems),
            backend=table_backend(path),  # what recorded the curves it serves
            table=str(path),
        )

    @classmethod
    def check_entry(cls, entry: Entry, problem: Problem, ctx: CheckContext) -> None:
        """The table is readable and fits the entry; ``max_epochs`` is within it.

        It must exist, be a tunebench table, and have been recorded for this problem, its
        current space, and the entry's options and subsample.
        """
        path = entry_table(entry, ctx.base_dir)
        key: tuple[str, ...] = ("table",) if entry.table else ()
        shown = entry.table or str(path)
        meta = checked_table_meta(
            entry, problem, path, shown, key,
            lambda epochs: f"table {shown} holds; leave max_epochs out to replay all {epochs}",
        )  # fmt: skip
        recorded = recorded_params(problem, meta)
        mine = problem.get_params()
        for name in entry.params:  # only what the entry sets: the rest follows the table
            if mine.get(name) != recorded.get(name):
                raise EntryError(
                    ("params", name),
                    f"{mine.get(name)!r} differs from the {recorded.get(name)!r} table {shown} "
                    "was recorded with; replay serves that training, so record a table with "
                    "these params",
                )
        if entry.subsample is not None and entry.subsample != meta.get("subsample"):
            raise EntryError(
                ("subsample",),
                f"{entry.subsample} differs from the subsample table {shown} was recorded with "
                f"({meta.get('subsample')}); leave it out in replay",
            )
        if meta.get("kind") == "sampled":
            gap = table_gap(path, table_space(problem, meta))
            if gap > SPARSE_DISTANCE:
                ctx.warnings.append(
                    f"table {shown} is sparse for its space: a random config's nearest "
                    f"recorded config is {gap:.2f} away (median of {GAP_DRAWS} draws, above "
                    f"{SPARSE_DISTANCE}), so replay serves configs far from the proposals"
                )
