"""The live mode: trials trained as real Keras models (holdout, or k-fold).

:class:`LiveBackend` trains each trial on the problem's training split and scores it
on validation; with ``evaluation = "kfold:K"`` a config's score is the mean over K
folds (retrains still train on the training split). The
problems' data is loaded once per process and kept for later runs (:func:`problem_data`).

A multi-objective live run measures every objective itself: a trial's last validation
value, the seconds its epochs took, and its own model's trainable parameters and
forward FLOPs per example. Its points are scored in the frame of a table of the
problem recorded at the entry's data settings (the entry's ``table``, else the
problem's default table), the frame a replayed run of that table is scored in.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
    spec_frame,
)
from tunebench.backends.keras_training import LiveTrainer
from tunebench.backends.kfold import KFoldTrainer
from tunebench.backends.replay import entry_table
from tunebench.curves.shipped import DEFAULT_BACKEND, default_backend
from tunebench.datasets import Problem, Splits
from tunebench.datasets.problem_files import known_problems
from tunebench.errors import one_line
from tunebench.objectives.run_points import MeasuredObjectives, ObjectiveVectors
from tunebench.runspec import RunSpec, parse_evaluation

__all__ = ["BACKEND_INSTALL", "LiveBackend", "entry_module", "problem_data"]

#: How to install each Keras backend tunebench runs on (:data:`~tunebench.runspec.KERAS_BACKENDS`).
BACKEND_INSTALL: dict[str, str] = {
    "tensorflow": "pip install tensorflow-cpu",
    "torch": "pip install torch --index-url https://download.pytorch.org/whl/cpu",
    "jax": "pip install jax",
}

# Per process: problems' data, loaded once and kept for every run.
_DATA: dict[tuple[str, str, int | None, str | None], tuple[Problem, Splits]] = {}


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
    key = (name, repr(sorted(params.items())), subsample, data_dir)
    if key not in _DATA:
        problem = known_problems(module, problems)[name](**params)
        _DATA[key] = (
            problem,
            problem.load(None if data_dir is None else Path(data_dir), subsample),
        )
    return _DATA[key]


def entry_module(entry: Entry, base_dir: Path | None = None) -> str | None:
    """The resolved path of the file defining the entry's problem, if it names one."""
    if entry.module is None:
        return None
    return str(resolve_path(Path(entry.module), base_dir).resolve())


class LiveBackend(TrialBackend):
    """Live training on the holdout split (see the module docstring)."""

    mode = "live"
    simulated = False
    trains = True
    curves_are = "trained"
    runs_are = "live"
    does = "trained live"
    as_subject = "live training"
    as_object = "live"
    short_name = "live"
    curves_made = "the live runs trained"
    supports_kfold = True
    supports_objectives = True

    #: Config key -> ``params`` and ``flops`` of the run's models, filled as the
    #: trainer builds them (:attr:`LiveTrainer.costs`).
    model_costs: dict[str, dict[str, float]]

    @classmethod
    def build(
        cls, spec: RunSpec, problem: Problem, *, splits: Any = None, table: Any = None
    ) -> TrialBackend:
        """The run's backend on the problem's loaded ``splits`` (k-fold where it asks)."""
        if splits is None:
            raise ValueError("live mode needs the problem's splits")
        live = LiveTrainer(problem, splits)
        folds = parse_evaluation(spec.evaluation)
        prov = {"mode": "live", "data": splits.source}
        if folds is None:
            backend = cls(
                problem, live, live, problem.space(),
                {**prov, "split_sizes": splits.sizes()},
            )  # fmt: skip
            backend.model_costs = live.costs
            return backend
        kfold = KFoldTrainer(problem, splits, folds)
        backend = cls(
            problem, kfold, live, problem.space(),
            {**prov, "split_sizes": {**splits.sizes(), "folds": folds}},
        )  # fmt: skip
        backend.model_costs = kfold.costs
        return backend

    def objective_source(self, spec: RunSpec) -> ObjectiveVectors:
        """Vectors the trials measure (their own models' costs), scored as measured.

        The frame is that of ``spec.table``, the entry's frame table
        (:meth:`objective_table`).

        Raises:
            ValueError: The run names no frame table.
        """
        frame = spec_frame(spec, "live")
        return MeasuredObjectives(frame, self.model_costs.get)

    @classmethod
    def open(
        cls, spec: RunSpec, data_dir: str | None, problems: Mapping[str, type[Problem]]
    ) -> TrialBackend:
        """Load the problem's data (once per process) and build the run's backend."""
        problem, splits = problem_data(
            spec.problem, spec.problem_params, spec.subsample, data_dir, problems,
            module=spec.problem_module,
        )  # fmt: skip
        return cls.build(spec, problem, splits=splits)

    @classmethod
    def keras_backend(cls, entry: Entry, ctx: PlanContext) -> str:
        """The Keras backend a live entry trains on.

        In order: the matrix's ``[execution] backend``; else the backend of the table that
        a replay entry of the same problem (same options preferred) in this matrix serves,
        so the live runs that confirm a table train on the table's own backend; else the
        backend of the problem's shipped table (:func:`~tunebench.curves.shipped.default_backend`).
        """
        if ctx.execution_backend is not None:
            return ctx.execution_backend
        for backend in ctx.sibling_backends():
            return backend
        return DEFAULT_BACKEND if entry.module is not None else default_backend(entry.name)

    @classmethod
    def entry_plan(cls, entry: Entry, ctx: PlanContext) -> EntryPlan:
        """The entry's epochs (its own, else the problem's) and its Keras backend."""
        max_epochs = entry.max_epochs or ctx.problems[entry.name].max_epochs
        table = cls.objective_table(entry, ctx.base_dir)
        return EntryPlan(
            max_epochs=max_epochs,
            backend=cls.keras_backend(entry, ctx),
            table=None if table is None else str(table),
        )

    @classmethod
    def objective_table(cls, entry: Entry, base_dir: Path | None) -> Path | None:
        """A multi-objective entry's frame table: its ``table``, else the problem's default.

        ``None`` for a single-objective entry (a live run serves no table).
        """
        return None if entry.objectives is None else entry_table(entry, base_dir)

    @classmethod
    def check_objective_table(
        cls, entry: Entry, problem: Problem, table: Path, ctx: CheckContext
    ) -> None:
        """The frame table is this problem's, holds ``max_epochs``, at the entry's data settings.

        A frame from a table of other data (another subsample or problem options) would
        score the live points against another problem's front.
        """
        key: tuple[str, ...] = ("table",) if entry.table else ()
        shown = entry.table or str(table)
        if entry.table is None and not table.is_file():
            raise EntryError(
                (),
                f"problem {entry.name!r} ships no learning-curve table to fix the hypervolume "
                "frame of its objectives; name one recorded at this entry's data settings "
                'with table = "..." (tunebench tabulate records one)',
            )
        meta = checked_table_meta(
            entry, problem, table, shown, key, lambda epochs: f"frame table {shown} holds"
        )
        epochs = int(meta.get("epochs", 0))
        if ctx.plan.max_epochs > epochs:
            raise EntryError(
                key,
                f"the hypervolume frame is taken at max_epochs {ctx.plan.max_epochs}, but "
                f"table {shown} holds {epochs} epochs; set max_epochs to at most {epochs}",
            )
        _check_data_settings(entry, problem, meta, shown, key)

    @classmethod
    def check_entry(cls, entry: Entry, problem: Problem, ctx: CheckContext) -> None:
        """The Keras backend is installed, the data present and verified, a plug-in sound.

        A plug-in problem must pass the problem kit's run checks.
        """
        backend = ctx.plan.backend or DEFAULT_BACKEND
        if importlib.util.find_spec(backend) is None:
            raise EntryError(
                (),
                f"live entry {entry.label!r} trains with Keras on {backend!r}, which is not "
                f"installed; {BACKEND_INSTALL.get(backend, f'pip install {backend}')}",
                at=ctx.backend_at,
            )
        if ctx.load_data is None:
            return
        from tunebench.datasets.files import DatasetError

        data_dir = None if ctx.data_dir is None else str(ctx.data_dir)
        try:
            ctx.load_data(entry.name, dict(entry.params), entry.subsample, data_dir)
        except (DatasetError, OSError, ValueError) as exc:
            raise EntryError((), f"data: {one_line(exc)}") from None
        _check_plugin_problem(entry, ctx.data_dir, ctx.base_dir, backend)


def _check_data_settings(
    entry: Entry, problem: Problem, meta: Mapping[str, Any], shown: str, key: tuple[str, ...]
) -> None:
    """A live entry trains on the data its frame table was recorded on (options, subsample).

    Raises:
        EntryError: Naming the first setting that differs.
    """
    remedy = 'name a table recorded at this entry\'s data settings with table = "..."'
    recorded = recorded_params(problem, meta)
    for name, mine in problem.get_params().items():
        if mine != recorded.get(name):
            raise EntryError(
                ("params", name) if name in entry.params else key,
                f"the entry trains with {name} = {mine!r}, but its hypervolume frame's table "
                f"{shown} was recorded with {recorded.get(name)!r}; {remedy}",
            )
    if entry.subsample != meta.get("subsample"):
        raise EntryError(
            ("subsample",) if entry.subsample is not None else key,
            f"the entry trains with subsample {entry.subsample}, but its hypervolume frame's "
            f"table {shown} was recorded with subsample {meta.get('subsample')}; {remedy}",
        )


def _check_plugin_problem(
    entry: Entry, data_dir: Path | None, base_dir: Path, backend: str
) -> None:
    """A live entry's plug-in problem must pass the run-time checks of the problem kit.

    Plug-ins are problems of the ``tunebench.problems`` entry points and of ``module``
    files. The checks run in a process of their own, on the entry's ``backend``, so this
    one never imports Keras for them.
    """
    from tunebench.datasets.testing import RUN_CHECKS
    from tunebench.plugins import load_registry

    module = entry_module(entry, base_dir)
    if module is None and entry.name not in load_registry("tunebench.problems", {}, Problem):
        return  # a built-in: the test suite runs the whole kit on it
    cmd = [sys.executable, "-m", "tunebench.datasets.testing", entry.name,
           "--params", json.dumps(dict(entry.params))]  # fmt: skip
    if module is not None:
        cmd += ["--module", module]
    if data_dir is not None:
        cmd += ["--data-dir", str(data_dir)]
    env = {**os.environ, "KERAS_BACKEND": backend,
           "TF_CPP_MIN_LOG_LEVEL": "3"}  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        finding = one_line(lines[-1] if lines else f"exit status {done.returncode}")
        raise EntryError(
            (),
            f"problem {entry.name!r} fails the problem kit's run checks "
            f"({', '.join(RUN_CHECKS)}): {finding}",
        )
