"""Strategies that are syne-tune schedulers, driven directly (no Tuner, no trial backend).

``asha``, ``bohb`` and ``regularized-evolution`` are syne-tune 0.16's own
``ASHA``, ``BOHB`` and ``REA``. The adapter plays syne-tune's ``Tuner`` (its
``_schedule_new_task`` and ``_update_running_trials``): every ask is a
``scheduler.suggest()`` plus ``on_trial_add``, every epoch an
``on_trial_result`` whose STOP prunes the trial, and a trial's end is
``on_trial_remove`` (the scheduler stopped it), ``on_trial_complete`` or
``on_trial_error`` (failed, or cut by the budget).

Fidelity stays out of the config: the resource is the epoch (``time_attr =
"epoch"``, ``max_t = max_epochs``). syne-tune 0.16's ASHA and BOHB are of the
stopping type (they answer CONTINUE or STOP, never PAUSE), so every proposal
targets ``max_epochs`` and nothing is resumed; its BOHB is ASHA's stopping with a
kernel density model of each trial's last value (not the per-budget model of the
BOHB paper). MOBSTER, Hyper-Tune and syne-tune's DEHB left the library after
0.14.2, which requires ``numpy<1.27`` (this suite's stack is on numpy 2.4).

syne-tune has no conditional parameters: its configs carry every parameter, and
a proposal holds the active ones. On a finite space (a replay grid) the rule of the
optuna adapters applies: a repeated suggestion is handed back to the scheduler as
a failed trial and it is asked again; after 3 repeats in a row an unseen config is
picked at random and given to the scheduler as its trial; when every config was
proposed, the strategy is exhausted. Several of its code paths draw from numpy's
global random generator; every scheduler call runs with a private copy of it,
seeded by the strategy seed, so the same seed gives the same proposals (and the
rest of the process is untouched).
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from tunebench.strategies._common import (
    FINITE_REPEATS,
    UnseenConfigs,
    check_int,
    check_kwargs,
    check_real,
    construct,
    finite_size,
    import_class,
    library_seed,
    probe_once,
    require_modules,
    takes_argument,
)
from tunebench.strategies.base import (
    BudgetView,
    Decision,
    Direction,
    Exhausted,
    Fidelity,
    Proposal,
    Strategy,
    TrialResult,
    TrialStatus,
    Wait,
)
from tunebench.strategies.space import Float, Int, SearchSpace
from tunebench.strategies.space.convert import active_config, to_syne_tune

__all__ = [
    "ASHA",
    "BOHB",
    "METRIC",
    "RESOURCE",
    "RegularizedEvolution",
    "SyneTuneSchedulerByName",
    "SyneTuneStrategy",
]

#: Names of the metric and the resource inside the scheduler.
METRIC = "val_score"
RESOURCE = "epoch"
#: ``Trial.creation_time`` is required, but no 0.16 scheduler reads it: a fixed one.
_CREATED = datetime.datetime(2000, 1, 1)


class SyneTuneStrategy(Strategy):
    """Base of the strategies that are a syne-tune scheduler.

    Subclasses implement :meth:`make_scheduler`.
    """

    def make_scheduler(
        self, config_space: dict[str, Any], do_minimize: bool, seed: int
    ) -> Any:  # pragma: no cover - every subclass overrides it
        """Build the scheduler for one run.

        Args:
            config_space: The space as syne-tune domains.
            do_minimize: Whether smaller values are better.
            seed: A seed below 2**31, derived from the strategy seed.
        """
        raise NotImplementedError

    def check_params(self) -> None:
        """Raise ImportError when syne-tune is missing."""
        require_modules(self.name, ("syne_tune",), "pip install 'syne-tune==0.16.0'")

    def setup(
        self, space: SearchSpace, fidelity: Fidelity, direction: Direction, seed: int
    ) -> None:
        """Build the scheduler with a private global-RNG state seeded from ``seed``."""
        self.check_params()
        super().setup(space, fidelity, direction, seed)
        st_seed = library_seed(seed)
        self._rng_state = np.random.RandomState(st_seed).get_state()
        self._trials: dict[int, Any] = {}
        self._last: dict[int, dict[str, Any]] = {}  # last result sent, per trial
        self._stopped: set[int] = set()  # trials the scheduler answered STOP for
        self._exhausted = ""
        self._finite_size = finite_size(space)
        self._unseen = UnseenConfigs(space)
        self._proposed: set[str] = set()  # config keys, on a finite space
        self._rng = np.random.default_rng(st_seed)
        self._repeats = 0  # negative trial ids for the repeats handed back
        # syne-tune warns on every failed trial and on every ASHA construction; the harness
        # records failures itself.
        logging.getLogger("syne_tune").setLevel(logging.ERROR)
        with self._private_rng():
            self._scheduler = self.make_scheduler(
                to_syne_tune(space), direction == "minimize", st_seed
            )

    @contextlib.contextmanager
    def _private_rng(self) -> Iterator[None]:
        """Run scheduler code on the private global-RNG state, its warnings held back.

        BOHB's density model (statsmodels, pandas) warns on every fit about numpy's
        future default generator and divides by zero for a one-level parameter.
        """
        saved = np.random.get_state()
        np.random.set_state(self._rng_state)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                warnings.simplefilter("ignore", RuntimeWarning)
                yield
        finally:
            self._rng_state = np.random.get_state()
            np.random.set_state(saved)

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        """The scheduler's next suggestion, trained to ``max_epochs`` (it prunes by STOP)."""
        with self._private_rng():
            flat = self._new_config()
            if flat is None:
                return Exhausted(self._exhausted)
            trial_id = self.new_trial_id()
            self._add_trial(trial_id, flat)
        return Proposal(trial_id, active_config(self.space, flat), self.fidelity.max_epochs)

    def _new_config(self) -> dict[str, Any] | None:
        """The scheduler's next config (every parameter), new on a finite space.

        ``None`` once the strategy is exhausted (the reason is in ``_exhausted``). Call it
        on the private random state.
        """
        size = self._finite_size
        if not self._exhausted and size is not None and len(self._proposed) >= size:
            self._exhausted = f"all {size} configs of the space were proposed"
        if self._exhausted:
            return None
        for _ in range(FINITE_REPEATS):
            flat = self._suggest()
            if flat is None:
                self._exhausted = "the scheduler has no more suggestions"
                return None
            if size is None:
                return flat
            if self.space.config_key(active_config(self.space, flat)) not in self._proposed:
                break
            self._hand_back(flat)  # a repeat: the scheduler sees it fail untrained
        else:
            flat = self._unseen_config()
        self._proposed.add(self.space.config_key(active_config(self.space, flat)))
        return flat

    def _suggest(self) -> dict[str, Any] | None:
        """The scheduler's next new config (every parameter), or ``None`` when it has none."""
        suggestion = self._scheduler.suggest()
        if suggestion is None:
            return None
        if not suggestion.spawn_new_trial_id or suggestion.checkpoint_trial_id is not None:
            # No scheduler of this module resumes or clones a trial in syne-tune 0.16.
            raise RuntimeError(
                f"strategy {self.name!r}: syne-tune asked to continue trial "
                f"{suggestion.checkpoint_trial_id}, which this adapter does not support"
            )
        return _into_range(self.space, {n: suggestion.config[n] for n in self.space.names})

    def _add_trial(self, trial_id: int, flat: dict[str, Any]) -> Any:
        from syne_tune.backend.trial_status import Trial

        trial = Trial(trial_id=trial_id, config=flat, creation_time=_CREATED)
        self._trials[trial_id] = trial
        self._scheduler.on_trial_add(trial)
        return trial

    def _hand_back(self, flat: dict[str, Any]) -> None:
        """Tell the scheduler a repeated suggestion failed, untrained (ids below 0)."""
        self._repeats += 1
        trial = self._add_trial(-self._repeats, flat)
        self._scheduler.on_trial_error(trial)

    def _unseen_config(self) -> dict[str, Any]:
        """A random config of the finite space not proposed yet, every parameter set."""
        picked = self._unseen.pick(self._rng, self._proposed)
        # inactive parameters at their defaults: syne-tune's configs carry every parameter
        return {**{p.name: p.default_value() for p in self.space}, **picked}

    def evaluated_as(self, trial_id: int, config: dict[str, Any]) -> None:
        """The trial's config becomes the served one, before the scheduler sees a result.

        syne-tune's schedulers and searchers take a trial's config from its ``Trial`` when
        results arrive, so the config is replaced in place (inactive parameters at their
        defaults, as in every config syne-tune handles).
        """
        trial = self._trials[trial_id]
        served = {**{p.name: p.default_value() for p in self.space}, **config}
        trial.config.clear()
        trial.config.update(served)
        if self._finite_size is not None:
            self._proposed.add(self.space.config_key(config))

    def report(self, trial_id: int, epoch: int, value: float) -> Decision:
        """Forward the epoch's value; the scheduler's STOP prunes the trial."""
        from syne_tune.optimizer.scheduler import SchedulerDecision

        result = {METRIC: float(value), RESOURCE: int(epoch)}
        self._last[trial_id] = result
        with self._private_rng():
            decision = self._scheduler.on_trial_result(self._trials[trial_id], result)
        if decision in (SchedulerDecision.STOP, SchedulerDecision.PAUSE):
            self._stopped.add(trial_id)
            return Decision.STOP
        return Decision.CONTINUE

    def tell(self, trial_id: int, result: TrialResult) -> None:
        """End the trial as syne-tune's Tuner would."""
        trial = self._trials[trial_id]
        with self._private_rng():
            if trial_id in self._stopped:
                # Also at max_epochs, where ASHA answers STOP; the Tuner then only removes
                # the trial (completing it afterwards raises KeyError in ASHA).
                self._scheduler.on_trial_remove(trial)
            elif result.status is TrialStatus.COMPLETE and trial_id in self._last:
                self._scheduler.on_trial_complete(trial, self._last[trial_id])
            else:  # failed, or cut short by the budget
                self._scheduler.on_trial_error(trial)


def _into_range(space: SearchSpace, flat: dict[str, Any]) -> dict[str, Any]:
    """Numeric values put back inside their parameter's range (and onto its step).

    syne-tune 0.16's KDE searcher (BOHB) decodes an integer from [0, 1] onto
    ``[1, upper]``, not ``[lower, upper]``, so it can suggest ``units = 3`` where the
    range starts at 4; such a value goes to the nearest allowed one. Correct
    suggestions pass unchanged.
    """
    out = dict(flat)
    for param in space:
        value = out.get(param.name)
        if isinstance(param, (Int, Float)) and isinstance(value, (int, float)):
            clipped = min(max(value, param.low), param.high)
            if isinstance(param, Int):
                clipped = param.low + round((clipped - param.low) / param.step) * param.step
                clipped = int(min(clipped, param.high))
            out[param.name] = clipped
    return out


class HalvingStrategy(SyneTuneStrategy):
    """ASHA-style schedulers: grace period, reduction factor, brackets.

    Args:
        grace_period: Epochs of the first rung; default the problem's ``min_epochs``.
        reduction_factor: ``eta``; at least 2.
        brackets: Stopping brackets; 1 for plain successive halving.
    """

    def __init__(
        self, grace_period: int | None = None, reduction_factor: float = 3, brackets: int = 1
    ) -> None:
        self.grace_period = grace_period
        self.reduction_factor = reduction_factor
        self.brackets = brackets

    def check_params(self) -> None:
        """``grace_period`` >= 1 or unset, ``reduction_factor`` >= 2, ``brackets`` >= 1."""
        if self.grace_period is not None:
            check_int(self.name, "grace_period", self.grace_period, 1)
        check_real(self.name, "reduction_factor", self.reduction_factor, 2.0)
        check_int(self.name, "brackets", self.brackets, 1)
        super().check_params()

    def _halving_args(self) -> dict[str, Any]:
        grace = self.grace_period or self.fidelity.min_epochs
        return {
            "time_attr": RESOURCE,
            "max_t": self.fidelity.max_epochs,
            "grace_period": min(grace, self.fidelity.max_epochs),
            # an integral factor keeps syne-tune's rung levels integral
            "reduction_factor": (
                int(self.reduction_factor)
                if float(self.reduction_factor).is_integer()
                else self.reduction_factor
            ),
            "brackets": self.brackets,
        }


class ASHA(HalvingStrategy):
    """syne-tune's asynchronous successive halving (stopping type), random configs.

    A trial reaching a rung (``grace_period * reduction_factor**k`` epochs) goes on
    only if it ranks in the top ``1 / reduction_factor`` of the values recorded at that
    rung so far; nothing waits for a rung to fill, so it runs asynchronously with
    trials in flight.

    Args:
        grace_period: Epochs of the first rung; default the problem's ``min_epochs``.
        reduction_factor: ``eta``; at least 2.
        brackets: 1 for ASHA; more for syne-tune's Hyperband-like stopping brackets.
    """

    name = "asha"

    def make_scheduler(self, config_space: dict[str, Any], do_minimize: bool, seed: int) -> Any:
        """syne-tune's ``ASHA`` baseline."""
        from syne_tune.optimizer.baselines import ASHA as SyneTuneASHA

        return SyneTuneASHA(
            config_space, metric=METRIC, do_minimize=do_minimize, random_seed=seed,
            **self._halving_args(),
        )  # fmt: skip


class BOHB(HalvingStrategy):
    """syne-tune's BOHB: ASHA's stopping, configs from a kernel density model.

    The model is syne-tune 0.16's: a TPE-like density fitted on every trial's last
    reported value, whatever its epoch.

    Args:
        grace_period: Epochs of the first rung; default the problem's ``min_epochs``.
        reduction_factor: ``eta``; at least 2.
        brackets: Stopping brackets.
    """

    name = "bohb"

    def make_scheduler(self, config_space: dict[str, Any], do_minimize: bool, seed: int) -> Any:
        """syne-tune's ``BOHB`` baseline."""
        from syne_tune.optimizer.baselines import BOHB as SyneTuneBOHB

        return SyneTuneBOHB(
            config_space, metric=METRIC, do_minimize=do_minimize, random_seed=seed,
            **self._halving_args(),
        )  # fmt: skip


class RegularizedEvolution(SyneTuneStrategy):
    """syne-tune's regularized evolution (REA; Real et al., 2019), full evaluations.

    The first ``population_size`` configs are random; then each is a mutation of the
    best of ``sample_size`` members drawn from the population, and the oldest member
    leaves. syne-tune's default population of 100 would never mutate within this
    suite's budgets of 20-50 full evaluations, hence 10.

    Args:
        population_size: Members kept (the oldest leaves).
        sample_size: Members drawn for each tournament; at most ``population_size``.
    """

    name = "regularized-evolution"

    def __init__(self, population_size: int = 10, sample_size: int = 3) -> None:
        self.population_size = population_size
        self.sample_size = sample_size

    def check_params(self) -> None:
        """``population_size`` >= 2, ``sample_size`` in 1..population_size."""
        check_int(self.name, "population_size", self.population_size, 2)
        high = self.population_size if isinstance(self.population_size, int) else None
        check_int(self.name, "sample_size", self.sample_size, 1, high)
        super().check_params()

    def make_scheduler(self, config_space: dict[str, Any], do_minimize: bool, seed: int) -> Any:
        """syne-tune's ``REA`` baseline."""
        from syne_tune.optimizer.baselines import REA

        return REA(
            config_space, metric=METRIC, do_minimize=do_minimize, random_seed=seed,
            population_size=self.population_size, sample_size=self.sample_size,
        )  # fmt: skip


class SyneTuneSchedulerByName(SyneTuneStrategy):
    """Any syne-tune scheduler, by its dotted path, driven like ``asha`` and ``bohb``.

    The scheduler is ``scheduler(config_space, **kwargs)`` plus what tunebench supplies
    when its constructor names it: ``metric`` (or ``metrics``, a list of one), ``do_minimize``
    from the problem's direction, ``random_seed`` from the run's strategy stream (so a
    ``random_seed`` in ``kwargs`` is refused: every seed of the matrix would propose the
    same), and the epoch as the resource (``time_attr = "epoch"``, ``max_t = max_epochs``,
    unless ``kwargs`` sets them). A STOP prunes a trial; a scheduler that asks to pause
    and resume a trial is refused when it does (no scheduler of syne-tune 0.16's baselines
    does).

    Checked when the matrix loads: the class imports and is a ``TrialScheduler``, takes its
    keyword arguments, and completes a few trials on a one-metric toy space (a scheduler
    that is multi-objective only is refused there: tunebench's problems have one objective).

    Args:
        scheduler: Dotted path of a ``syne_tune.optimizer.scheduler.TrialScheduler``.
        kwargs: Its keyword arguments.
    """

    name = "syne-tune-scheduler"

    def __init__(
        self,
        scheduler: str = "syne_tune.optimizer.baselines.ASHA",
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.kwargs = kwargs

    def _class(self) -> type:
        from syne_tune.optimizer.scheduler import TrialScheduler

        return import_class(
            self.name, "scheduler", self.scheduler, TrialScheduler, "a syne-tune scheduler"
        )

    def _build(self, config_space: dict[str, Any], do_minimize: bool, seed: int, max_t: int) -> Any:
        cls = self._class()
        kwargs = check_kwargs(self.name, "kwargs", self.kwargs)
        supplied: dict[str, Any] = {
            "metric": METRIC,
            "metrics": [METRIC],
            "do_minimize": do_minimize,
            "random_seed": seed,
            "time_attr": RESOURCE,
            "max_t": max_t,
        }
        added = {k: v for k, v in supplied.items() if k not in kwargs and takes_argument(cls, k)}
        return construct(
            self.name, "scheduler", self.scheduler, cls, kwargs,
            {"config_space": config_space, **added},
        )  # fmt: skip

    def check_params(self) -> None:
        """The class imports, takes its arguments and runs a few trials of one metric."""
        super().check_params()
        kwargs = check_kwargs(self.name, "kwargs", self.kwargs)
        if "random_seed" in kwargs:
            raise ValueError(
                f"{self.name}: kwargs sets random_seed, which each run takes from its own "
                "seed; leave it out"
            )
        if "config_space" in kwargs:
            raise ValueError(
                f"{self.name}: kwargs sets config_space; the problem's space is the one searched"
            )
        from syne_tune.config_space import choice, uniform

        def probe() -> None:
            # as in setup: syne-tune warns on constructions and failed trials
            logging.getLogger("syne_tune").setLevel(logging.ERROR)
            saved = np.random.get_state()  # some schedulers draw from numpy's global generator
            try:
                toy = {"x": uniform(0.0, 1.0), "c": choice(["a", "b"])}
                _probe_scheduler(self.name, self.scheduler, self._build(toy, True, 0, 4))
            finally:
                np.random.set_state(saved)

        probe_once(f"{self.name} {self.scheduler} {sorted(kwargs.items())!r}", probe)

    def make_scheduler(self, config_space: dict[str, Any], do_minimize: bool, seed: int) -> Any:
        """``scheduler(config_space, **kwargs)`` with what tunebench supplies."""
        return self._build(config_space, do_minimize, seed, self.fidelity.max_epochs)


def _probe_scheduler(strategy: str, path: str, scheduler: Any) -> None:
    """Run a few trials of one metric through the scheduler, or refuse it in one line."""
    from syne_tune.backend.trial_status import Trial

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for trial_id in range(4):
                suggestion = scheduler.suggest()
                if suggestion is None:
                    return
                trial = Trial(trial_id=trial_id, config=suggestion.config, creation_time=_CREATED)
                scheduler.on_trial_add(trial)
                result: dict[str, Any] = {}
                for epoch in (1, 2):
                    x = float(suggestion.config.get("x", 0.5))
                    result = {METRIC: (x - 0.3) ** 2 / epoch, RESOURCE: epoch}
                    scheduler.on_trial_result(trial, result)
                scheduler.on_trial_complete(trial, result)
    except Exception as exc:  # a user's scheduler may raise anything
        raise ValueError(
            f"{strategy}: scheduler = {path!r} fails on a single-objective search (tunebench's "
            f"problems have one objective): {type(exc).__name__}: {exc}"
        ) from None
