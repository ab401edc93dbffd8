"""Export a results folder to an optuna storage, one study per run (for optuna-dashboard).

``tunebench export optuna RESULTS --storage sqlite:///study.db`` writes every run of a
matrix's results folder as a study named ``<matrix>/<problem>/<strategy>/seed=<k>`` (the
results folder's own labels) with the run's direction, and every trial of its log as an
optuna trial (``optuna.trial.create_trial``, ``Study.add_trials``):

* params: the config the trial was evaluated as (on a sampled table the served one; the
  proposal is then in the user attribute ``proposed_config``), with the distributions of
  the problem's search space (``SearchSpace.to_optuna``, as the optuna strategies use);
* intermediate values: the validation value after each epoch the trial trained;
* state: ``COMPLETE`` with the value after ``max_epochs`` when the trial trained that far;
  ``PRUNED`` when it ended short of it (stopped by the strategy, cut by the budget, or a
  lower fidelity it was asked for: a rung, a screening), so that a study's best trial is a
  full-length one, as a run's best is; ``FAIL`` when it failed (the user attribute
  ``status`` keeps tunebench's own: complete, stopped, failed);
* start and end times: the run's clock (seconds since its start, simulated in replay and
  surrogate) from :data:`CLOCK_ORIGIN`;
* user attributes: ``cost`` (epochs, seconds, FLOPs charged, setup included),
  ``target_epochs``, ``resume_from`` and ``start_epoch`` (multi-fidelity strategies),
  ``status``, ``reason``, ``served_config``/``proposed_config``, ``test_value``, and
  ``full_value`` where a trial stopped early was looked up at full length.

Re-exporting is idempotent: a study that already holds exactly these trials is left as
it is. A study of the same name with other trials is refused (nothing is written for any
run) unless ``overwrite`` is set, which replaces it.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from tunebench.datasets.problem_files import known_problems
from tunebench.errors import TunebenchError
from tunebench.records.layout import run_folders, run_key
from tunebench.records.run_record import FailedRun, RunRecord, read_run_record
from tunebench.records.storage import read_trials

if TYPE_CHECKING:
    import optuna
    from optuna.distributions import BaseDistribution

    from tunebench.runspec import RunSpec
    from tunebench.strategies.base import Direction
    from tunebench.strategies.space import SearchSpace

__all__ = [
    "CLOCK_ORIGIN",
    "ExportError",
    "ExportSummary",
    "StudyExport",
    "export_optuna",
    "read_run_studies",
]


#: Where a run's clock starts in the exported trials' start and end times (runs record
#: seconds since their start, not dates).
CLOCK_ORIGIN = datetime(2000, 1, 1)


class ExportError(TunebenchError, ValueError):
    """An export that cannot be written; nothing was written."""


@dataclass
class StudyExport:
    """One run, as the study it becomes.

    Attributes:
        name: ``<matrix>/<problem>/<strategy>/seed=<k>``.
        direction: ``"maximize"`` or ``"minimize"``.
        trials: The run's trials, as optuna trials (not yet stored).
        attrs: The study's user attributes (the run's mode, strategy, seed, status).
        metric: The objective's name as optuna-dashboard shows it (``val_accuracy``);
            ``None`` when the run recorded no metric.
    """

    name: str
    direction: Direction
    trials: list[optuna.trial.FrozenTrial]
    attrs: dict[str, Any] = field(default_factory=dict)
    metric: str | None = None


@dataclass
class ExportSummary:
    """What an export did.

    Attributes:
        written: Studies created (or replaced with ``overwrite``).
        unchanged: Studies that already held these trials.
        skipped: Run folders without a ``run.json`` (still running, or killed).
        trials: Trials written.
    """

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    trials: int = 0


def _space(spec: RunSpec) -> tuple[list[SearchSpace], Direction]:
    """The problem's search spaces (full, then the table's) and its direction."""
    problems = known_problems(spec.problem_module)
    if spec.problem not in problems:
        raise ExportError(f"run {spec.rel_dir}: unknown problem {spec.problem!r}")
    problem = problems[spec.problem](**spec.problem_params)
    return [problem.space(), problem.table_space()], problem.direction


def _distributions(
    spaces: list[SearchSpace], config: Mapping[str, Any], where: str
) -> dict[str, BaseDistribution]:
    """A distribution per parameter of ``config``, from the first space that holds its value."""
    out: dict[str, BaseDistribution] = {}
    for name, value in config.items():
        for space in spaces:
            if name not in space.names:
                continue
            dist = space[name].to_optuna()
            try:
                if dist._contains(dist.to_internal_repr(value)):
                    out[name] = dist
                    break
            except (ValueError, TypeError):
                continue
        else:
            raise ExportError(f"{where}: {name} = {value!r} is outside the problem's search space")
    return out


@dataclass
class _Trial:
    """One trial of a run's log, gathered from its events."""

    config: dict[str, Any]
    target_epochs: int
    resume_from: int | None
    start_epoch: int
    served: dict[str, Any] | None = None
    served_distance: float | None = None
    values: dict[int, float] = field(default_factory=dict)
    cost: dict[str, float] = field(
        default_factory=lambda: {"epochs": 0, "seconds": 0.0, "flops": 0.0}
    )
    end: dict[str, Any] | None = None
    started: float = 0.0


def _gather(events: list[dict[str, Any]], space: SearchSpace) -> dict[int, _Trial]:
    trials: dict[int, _Trial] = {}
    for e in events:
        kind, trial = e.get("event"), e.get("trial")
        if not isinstance(trial, int):
            continue  # not a trial's event
        if kind == "trial_start":
            trials[trial] = _Trial(
                dict(e["config"]), int(e["target_epochs"]), e.get("resume_from"),
                int(e.get("start_epoch", 0)), started=float(e.get("t", 0.0)),
            )  # fmt: skip
            continue
        t = trials.get(trial)
        if t is None:
            continue  # a final retrain's events, or no start: not a search trial
        if kind == "served":
            served = space.canonical(json.loads(e["config_key"]))
            if served != t.config:
                t.served, t.served_distance = served, float(e["distance"])
        elif kind in ("epoch", "charge"):
            for k in ("epochs", "seconds", "flops"):
                t.cost[k] += e["cost"][k]
            value = e.get("value")
            if kind == "epoch" and value is not None and math.isfinite(value):
                t.values[int(e["epoch"])] = float(value)
        elif kind == "trial_end":
            t.end = e
    return trials


def _frozen(
    trial_id: int, t: _Trial, spaces: list[SearchSpace], max_epochs: int, where: str
) -> optuna.trial.FrozenTrial:
    import optuna

    state = optuna.trial.TrialState
    config = t.served if t.served is not None else t.config
    attrs: dict[str, Any] = {
        "tunebench_trial": trial_id,
        "cost": {"epochs": int(t.cost["epochs"]), "seconds": t.cost["seconds"],
                 "flops": t.cost["flops"]},
        "target_epochs": t.target_epochs,
        "resume_from": t.resume_from,
        "start_epoch": t.start_epoch,
    }  # fmt: skip
    if t.served is not None:
        attrs["served_config"] = t.served
        attrs["proposed_config"] = t.config
        attrs["served_distance"] = t.served_distance
    status = None if t.end is None else t.end.get("status")
    attrs["status"] = status or "unfinished"
    attrs["reason"] = "the run ended before this trial did" if t.end is None else t.end["reason"]
    for key in ("test_value", "full_value", "full_test_value"):
        if t.end is not None and t.end.get(key) is not None:
            attrs[key] = t.end[key]
    last = t.values[max(t.values)] if t.values else None
    if status == "complete" and last is not None and max(t.values) >= max_epochs:
        kwargs: dict[str, Any] = {"state": state.COMPLETE, "value": last}
    elif status in ("complete", "stopped") and t.values:
        # Short of max_epochs (a rung, a screening, a stop): optuna's PRUNED, so a study's
        # best trial is a full-length one, as a run's best is.
        kwargs = {"state": state.PRUNED}
    else:
        kwargs = {"state": state.FAIL}
    frozen = optuna.trial.create_trial(
        params=config,
        distributions=_distributions(spaces, config, f"{where} trial {trial_id}"),
        intermediate_values=dict(t.values),
        user_attrs=attrs,
        **kwargs,
    )
    # The run's own clock (simulated in replay and surrogate), from a fixed origin: the
    # dashboard's timeline then shows the run, and an export does not depend on its date.
    frozen.datetime_start = CLOCK_ORIGIN + timedelta(seconds=t.started)
    if t.end is not None:
        frozen.datetime_complete = CLOCK_ORIGIN + timedelta(seconds=float(t.end.get("t", 0.0)))
    return frozen


def read_run_studies(
    results: Path, matrix: str | None = None
) -> tuple[list[StudyExport], list[Path]]:
    """Every run of a matrix's results folder as a study, and the run folders skipped.

    Args:
        results: ``results/<matrix>``.
        matrix: The matrix name in study names; default the folder's name.

    Raises:
        ExportError: A damaged run record or trial log, or a config outside the space.
    """
    name = matrix or results.name
    studies, skipped = [], []
    for run_dir in run_folders(results):
        try:
            record = read_run_record(run_dir)
        except (ValueError, OSError) as exc:
            raise ExportError(f"{run_dir}: {exc}") from None
        if record is None:
            skipped.append(run_dir)
            continue
        spec = record.spec
        spaces, direction = _space(spec)
        if isinstance(record, RunRecord) and record.metric.direction in ("maximize", "minimize"):
            direction = cast("Direction", record.metric.direction)
        try:
            events = read_trials(run_dir) if (run_dir / "trials.jsonl").is_file() else []
        except (ValueError, OSError) as exc:
            raise ExportError(f"{run_dir}: its trial log cannot be read: {exc}") from None
        problem, strategy, seed = run_key(run_dir)
        where = f"{name}/{problem}/{strategy}/seed={seed}"
        gathered = _gather(events, spaces[0])
        trials = [
            _frozen(i, t, spaces, spec.max_epochs, where) for i, t in sorted(gathered.items())
        ]
        attrs = {
            "tunebench_mode": spec.mode,
            "tunebench_strategy": spec.strategy,
            "tunebench_strategy_params": dict(spec.strategy_params),
            "tunebench_seed": spec.seed,
            "tunebench_max_epochs": spec.max_epochs,
            "tunebench_status": "failed" if isinstance(record, FailedRun) else record.status,
        }
        metric = f"val_{record.metric.name}" if isinstance(record, RunRecord) else None
        studies.append(StudyExport(where, direction, trials, attrs, metric))
    return studies, skipped


def _same_trials(
    stored: list[optuna.trial.FrozenTrial], new: list[optuna.trial.FrozenTrial]
) -> bool:
    """Whether a stored study already holds exactly these trials (times aside)."""

    def key(t: optuna.trial.FrozenTrial) -> tuple[Any, ...]:
        return (
            t.state, t.value, json.dumps(t.params, sort_keys=True, default=str),
            sorted(t.intermediate_values.items()),
            json.dumps(t.user_attrs, sort_keys=True, default=str),
        )  # fmt: skip

    return len(stored) == len(new) and all(
        key(a) == key(b) for a, b in zip(stored, new, strict=True)
    )


def export_optuna(
    results: Path, storage: str, *, overwrite: bool = False, matrix: str | None = None
) -> ExportSummary:
    """Write every run of ``results`` as an optuna study in ``storage`` (see the module).

    Args:
        results: A matrix's results folder.
        storage: An optuna storage URL (``sqlite:///study.db``).
        overwrite: Replace studies of the same name that hold other trials.
        matrix: The matrix name in study names; default the folder's name.

    Returns:
        What was written.

    Raises:
        ExportError: No run to export, an unusable storage, or a study of the same name
            with other trials (without ``overwrite``); nothing was written then.
    """
    import optuna

    studies, skipped = read_run_studies(results, matrix)
    if not studies:
        raise ExportError(f"{results} holds no run with a run.json to export")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        store = optuna.storages.get_storage(storage)
    except Exception as exc:  # optuna raises many kinds for a bad URL
        raise ExportError(f"storage {storage!r} cannot be opened: {exc}") from None
    existing = {s.study_name: s for s in optuna.get_all_study_summaries(store)}
    replace, unchanged = [], []
    for study in studies:  # every check before anything is written
        if study.name not in existing:
            continue
        stored = optuna.load_study(study_name=study.name, storage=store).trials
        if _same_trials(stored, study.trials):
            unchanged.append(study.name)
        elif overwrite:
            replace.append(study.name)
        else:
            raise ExportError(
                f"storage {storage} already holds study {study.name!r} with other trials "
                f"({len(stored)} stored, {len(study.trials)} to export); --overwrite replaces it"
            )
    summary = ExportSummary(unchanged=unchanged, skipped=skipped)
    for study in studies:
        if study.name in unchanged:
            continue
        if study.name in replace:
            optuna.delete_study(study_name=study.name, storage=store)
        created = optuna.create_study(
            study_name=study.name, storage=store, direction=study.direction
        )
        for key, value in study.attrs.items():
            created.set_user_attr(key, value)
        if study.metric is not None:
            with warnings.catch_warnings():  # optuna marks metric names experimental
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                created.set_metric_names([study.metric])
        created.add_trials(study.trials)
        summary.written.append(study.name)
        summary.trials += len(study.trials)
    return summary
