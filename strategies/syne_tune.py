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
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tunebench.strategies._common import (
    FINITE_REPEATS,
    UnseenConfigs,
    check_fraction,
    check_int,
    check_real,
    finite_size,
    library_seed,
    require_modules,
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

__all__ = ["ASHA", "BOHB", "PopulationBasedTraining", "RegularizedEvolution", "SyneTuneStrategy"]

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


class _Halving(SyneTuneStrategy):
    """ASHA-style schedulers: grace period, reduction factor, brackets."""

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


class ASHA(_Halving):
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


class BOHB(_Halving):
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


@dataclass
class _Member:
    """One member of PBT's population: a syne-tune trial, trained in segments."""

    trial: Any  # the syne-tune Trial
    config: dict[str, Any]  # its active config
    epochs: int = 0  # epochs its weights have at the end of its last segment
    kept: dict[int, int] = field(default_factory=dict)  # epochs -> segment with those weights
    running: int | None = None  # the segment (tunebench trial) in flight
    done: bool = False  # stopped by the scheduler, failed, cut, or at max_epochs


@dataclass
class _Clone:
    """A clone the scheduler decided on: a donor's weights at ``epochs``, a new config."""

    donor: int
    epochs: int
    flat: dict[str, Any]


class PopulationBasedTraining(SyneTuneStrategy):
    """syne-tune's population-based training: bottom members continue top members' weights.

    Each member trains in segments that end where syne-tune's PBT judges it
    (every ``perturbation_interval`` epochs; one tunebench trial per segment, whose
    weights are kept). A member in the bottom ``quantile_fraction`` stops; a new
    member continues the weights of one from the top (``resume_from``, so only new
    epochs are charged) with the config syne-tune's explore step mutated. Only the
    space's continuable parameters (training settings such as the learning rate)
    take the mutated values; the rest stay the donor's, as its weights need them.
    While fewer than ``population_size`` members are alive a new random member
    starts; otherwise the alive member with the fewest epochs trains its next
    segment, so with fewer trials in flight than members they take turns.

    Args:
        population_size: Members alive at once.
        perturbation_interval: Epochs between judgements; default ``max_epochs // 5``
            (at least 1).
        quantile_fraction: Share of the population at the bottom (replaced) and at the
            top (donors); in (0, 0.5].
        resample_probability: Chance that explore resamples a numeric parameter
            instead of multiplying it by 0.8 or 1.2 (categoricals are resampled).
    """

    name = "pbt"

    def __init__(
        self,
        population_size: int = 8,
        perturbation_interval: int | None = None,
        quantile_fraction: float = 0.25,
        resample_probability: float = 0.25,
    ) -> None:
        self.population_size = population_size
        self.perturbation_interval = perturbation_interval
        self.quantile_fraction = quantile_fraction
        self.resample_probability = resample_probability

    def check_params(self) -> None:
        """``population_size`` >= 2, interval >= 1 or unset, fractions in range."""
        check_int(self.name, "population_size", self.population_size, 2)
        if self.perturbation_interval is not None:
            check_int(self.name, "perturbation_interval", self.perturbation_interval, 1)
        check_fraction(self.name, "quantile_fraction", self.quantile_fraction)
        if self.quantile_fraction > 0.5:
            raise ValueError(
                f"{self.name}: quantile_fraction = {self.quantile_fraction!r} is not allowed; "
                "allowed: a number in (0, 0.5]"
            )
        check_real(self.name, "resample_probability", self.resample_probability)
        if self.resample_probability > 1:
            raise ValueError(
                f"{self.name}: resample_probability = {self.resample_probability!r} is not "
                "allowed; allowed: a number in [0, 1]"
            )
        super().check_params()

    def make_scheduler(self, config_space: dict[str, Any], do_minimize: bool, seed: int) -> Any:
        """syne-tune's ``PopulationBasedTraining`` on the epoch as its resource."""
        from syne_tune.optimizer.schedulers.pbt import PopulationBasedTraining as SyneTunePBT

        return SyneTunePBT(
            config_space, metric=METRIC, time_attr=RESOURCE, max_t=self.fidelity.max_epochs,
            do_minimize=do_minimize, random_seed=seed, population_size=self.population_size,
            perturbation_interval=self._interval(), quantile_fraction=self.quantile_fraction,
            resample_probability=self.resample_probability,
        )  # fmt: skip

    def _interval(self) -> int:
        return self.perturbation_interval or max(1, self.fidelity.max_epochs // 5)

    def setup(
        self, space: SearchSpace, fidelity: Fidelity, direction: Direction, seed: int
    ) -> None:
        """The scheduler, an empty population."""
        super().setup(space, fidelity, direction, seed)
        self._members: dict[int, _Member] = {}
        self._member_of: dict[int, int] = {}  # segment (tunebench trial) -> member
        self._clones: list[_Clone] = []

    # -- asking ---------------------------------------------------------------------------

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        """A ready clone, else a new member, else the next segment of the least-trained one."""
        with self._private_rng():
            proposal = self._clone() or self._new_member() or self._continuation()
        if proposal is not None:
            return proposal
        if any(m.running is not None for m in self._members.values()):
            return Wait("every alive member is training")
        return Exhausted(self._exhausted or "no member is alive and no new config is left")

    def _alive(self) -> int:
        return sum(not m.done for m in self._members.values()) + len(self._clones)

    def _target(self, member_id: int, start: int) -> int:
        """The epoch of the member's next judgement (or ``max_epochs``)."""
        state = self._scheduler.trial_state[member_id]
        due = state.last_perturbation_time + self._interval()
        return min(self.fidelity.max_epochs, max(start + 1, due))

    def _start(self, flat: dict[str, Any], start: int, resume_from: int | None) -> Proposal:
        member_id = len(self._members)
        trial = self._add_trial(member_id, flat)
        config = active_config(self.space, flat)
        member = _Member(trial, config, epochs=start)
        self._members[member_id] = member
        return self._segment(member_id, resume_from)

    def _segment(self, member_id: int, resume_from: int | None) -> Proposal:
        member = self._members[member_id]
        trial_id = self.new_trial_id()
        member.running = trial_id
        self._member_of[trial_id] = member_id
        target = self._target(member_id, member.epochs)
        return Proposal(trial_id, member.config, target, resume_from)

    def _clone(self) -> Proposal | None:
        for clone in list(self._clones):
            donor = self._members[clone.donor]
            segment = donor.kept.get(clone.epochs)
            if segment is None and donor.running is None:
                self._clones.remove(clone)  # its weights were never kept: a new member instead
                continue
            if segment is not None:
                self._clones.remove(clone)
                # the weights fix every parameter but the continuable ones
                flat = {
                    n: clone.flat[n] if n in self.space.continuable else donor.trial.config[n]
                    for n in self.space.names
                }
                return self._start(flat, clone.epochs, segment)
        return None

    def _new_member(self) -> Proposal | None:
        if self._exhausted or self._alive() >= self.population_size:
            return None
        flat = self._new_config()
        return None if flat is None else self._start(flat, 0, None)

    def _continuation(self) -> Proposal | None:
        waiting = [
            (m.epochs, i) for i, m in self._members.items() if not m.done and m.running is None
        ]
        if not waiting:
            return None
        member_id = min(waiting)[1]
        member = self._members[member_id]
        return self._segment(member_id, member.kept[member.epochs])

    # -- hearing back ---------------------------------------------------------------------

    def report(self, trial_id: int, epoch: int, value: float) -> Decision:
        """Forward the epoch; a judgement that replaces the member queues its clone."""
        from syne_tune.optimizer.scheduler import SchedulerDecision

        member_id = self._member_of[trial_id]
        member = self._members[member_id]
        stack = self._scheduler.trial_decisions_stack
        before = len(stack)
        with self._private_rng():
            decision = self._scheduler.on_trial_result(
                member.trial, {METRIC: float(value), RESOURCE: int(epoch)}
            )
            if len(stack) > before:  # exploit and explore: a clone of a top member
                suggestion = self._scheduler.suggest()
                donor = int(suggestion.checkpoint_trial_id)
                epochs = int(self._scheduler.trial_state[donor].last_train_time)
                flat = {n: suggestion.config[n] for n in self.space.names}
                self._clones.append(_Clone(donor, epochs, flat))
        if decision in (SchedulerDecision.STOP, SchedulerDecision.PAUSE):
            member.done = True
            return Decision.STOP
        return Decision.CONTINUE

    def evaluated_as(self, trial_id: int, config: dict[str, Any]) -> None:
        """The member is the served config from now on (its next segments continue it)."""
        member = self._members[self._member_of[trial_id]]
        member.config = dict(config)
        served = {**{p.name: p.default_value() for p in self.space}, **config}
        member.trial.config.clear()
        member.trial.config.update(served)

    def keep_weights(self, trial_id: int) -> bool:
        """Keep a segment's weights unless its member is done (nothing continues them)."""
        return not self._members[self._member_of[trial_id]].done

    def tell(self, trial_id: int, result: TrialResult) -> None:
        """A segment ended: its member waits for its next one, or is done."""
        member_id = self._member_of[trial_id]
        member = self._members[member_id]
        member.running = None
        whole = result.status is TrialStatus.COMPLETE and result.values
        if whole and not member.done:
            member.epochs = result.epochs
            member.kept[member.epochs] = trial_id
            if member.epochs >= self.fidelity.max_epochs:
                member.done = True
            return
        if not member.done or result.status is TrialStatus.FAILED:
            # failed or cut by the budget: its weights are gone, so it may not be a donor
            self._scheduler.trial_state[member_id].stopped = True
            member.done = True
            with self._private_rng():
                self._scheduler.on_trial_error(member.trial)
