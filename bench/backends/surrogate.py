"""The surrogate mode: predicted curves for any config, served like a table's."""

from __future__ import annotations

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
)
from tunebench.backends.replay import ReplaySession
from tunebench.curves.shipped import recorded_path, shipped_surrogate
from tunebench.curves.surrogate import Surrogate, SurrogateError, read_surrogate_meta
from tunebench.curves.table import Curve
from tunebench.datasets.problem_files import known_problems
from tunebench.seeding import seed_for
from tunebench.strategies.space import SearchSpace

if TYPE_CHECKING:
    from tunebench.datasets import Problem
    from tunebench.runspec import RunSpec

__all__ = ["SurrogateBackend", "SurrogateTrainer", "entry_surrogate", "problem_surrogate"]


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
    realism = 2

    @classmethod
    def build(
        cls, spec: RunSpec, problem: Problem, *, splits: Any = None, table: Any = None
    ) -> TrialBackend:
        """The run's backend on its surrogate (loaded once per process).

        Raises:
            ValueError: The surrogate predicts fewer epochs than the run asks for.
        """
        surrogate = problem_surrogate(spec, problem)
        if spec.max_epochs > surrogate.epochs:
            raise ValueError(
                f"{spec.surrogate}: predicts {surrogate.epochs} epochs; "
                f"max_epochs = {spec.max_epochs}"
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
        return cls(
            problem, trainer, trainer, space,
            {"mode": "surrogate", "data": data, "split_sizes": {}},
        )  # fmt: skip

    @classmethod
    def open(
        cls, spec: RunSpec, data_dir: str | None, problems: Mapping[str, type[Problem]]
    ) -> TrialBackend:
        """Configure the problem and build the run's backend."""
        known = known_problems(spec.problem_module, problems)
        return cls.build(spec, known[spec.problem](**spec.problem_params))

    @classmethod
    def entry_plan(cls, entry: Entry, ctx: PlanContext) -> EntryPlan:
        """The entry's surrogate, its epochs, and the backend that recorded its table."""
        path = entry_surrogate(entry, ctx.base_dir)
        meta = _surrogate_meta(path)  # unreadable: the load-time checks refuse the matrix
        default = ctx.problems[entry.name].max_epochs
        return EntryPlan(
            max_epochs=entry.max_epochs or int(meta.get("epochs", default)),
            backend=meta.get("table_backend"),  # what recorded the curves it learned
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
