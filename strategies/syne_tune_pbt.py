"""``pbt``: syne-tune's population-based training, member by member in weight-sharing segments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tunebench.strategies._common import check_fraction, check_int, check_real
from tunebench.strategies.base import (
    BudgetView,
    Decision,
    Direction,
    Exhausted,
    Fidelity,
    Proposal,
    TrialResult,
    TrialStatus,
    Wait,
)
from tunebench.strategies.space import SearchSpace
from tunebench.strategies.space.convert import active_config
from tunebench.strategies.syne_tune import METRIC, RESOURCE, SyneTuneStrategy

__all__ = ["PopulationBasedTraining"]


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
