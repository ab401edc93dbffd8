"""``evolutionary-pruning`` and ``evolutionary-mutation``: train a population epoch by epoch.

Naive evolutionary pruning as practised in architecture search: sample a population of
random configs, train all of them one round, drop the worst fraction, continue the
survivors from their weights, repeat until few remain, then train those to the end.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tunebench.strategies._common import (
    RandomConfigs,
    check_bool,
    check_fraction,
    check_int,
    check_real,
    complete_config,
)
from tunebench.strategies.base import (
    BudgetView,
    Exhausted,
    Proposal,
    Strategy,
    TrialResult,
    TrialStatus,
    Wait,
)
from tunebench.strategies.space import Categorical, Float, Int

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tunebench.strategies.base import Direction, Fidelity
    from tunebench.strategies.space import SearchSpace

__all__ = ["EvolutionaryMutation", "EvolutionaryPruning"]


@dataclass
class _Member:
    """One config of the population and where its training stands."""

    index: int
    config: dict[str, Any]
    epochs: int = 0  # epochs its latest weights have seen
    last_trial: int | None = None  # trial whose kept weights hold those epochs
    value: float | None = None  # validation value after `epochs` epochs
    failed: bool = False
    alive: bool = True


class EvolutionaryPruning(Strategy):
    """Train a random population round by round, drop the worst 15% each round, keep 10.

    Round ``r`` trains every living member to ``r * round_epochs`` epochs. When all of a
    round's trials have been told, failed members are dropped, then the worst members
    (by last value, optionally penalised by size) until ``ceil(prune_fraction * alive)`` are
    gone, never going below ``survivors``. When at most ``survivors`` remain, or the next
    round would reach ``max_epochs``, the best ``survivors`` are trained to ``max_epochs``
    (the final round) and the strategy is :class:`Exhausted`; the harness picks the best of
    them as the incumbent. No mutation or crossover.

    With ``resume = True`` (default) a member continues from its own weights
    (``Proposal.resume_from``) and the ledger charges only the new epochs; with
    ``resume = False`` every round retrains the member from scratch to the round's target
    and is charged in full, so the two regimes can be compared honestly. When the budget
    cannot cover the plan, the run simply ends where the harness cuts it.

    Within a round members are proposed one by one; with trials in flight and nothing left
    to propose in the round, :meth:`ask` answers :class:`Wait`.

    Args:
        population: Random configs sampled at the start (distinct; fewer on a small finite
            space).
        survivors: Members trained to ``max_epochs`` at the end (``1 <= survivors <=
            population``).
        prune_fraction: Share of the living members dropped per round, in (0, 1), rounded up.
        round_epochs: Epochs added per round.
        resume: Continue members from their weights (True) or retrain them (False).
        size_penalty: Ranking penalty per unit of model size (0 = none). The size is a
            proxy computed from the config by :meth:`model_size`; it changes only which
            members are dropped, never the values the harness records.
    """

    name = "evolutionary-pruning"

    def __init__(
        self,
        population: int = 50,
        survivors: int = 10,
        prune_fraction: float = 0.15,
        round_epochs: int = 1,
        resume: bool = True,
        size_penalty: float = 0.0,
    ) -> None:
        self.population = population
        self.survivors = survivors
        self.prune_fraction = prune_fraction
        self.round_epochs = round_epochs
        self.resume = resume
        self.size_penalty = size_penalty

    def check_params(self) -> None:
        """Ranges of every parameter; ``population >= survivors``."""
        name = self.name
        check_int(name, "population", self.population, 1)
        check_int(name, "survivors", self.survivors, 1)
        if self.population < self.survivors:
            raise ValueError(
                f"{name}: population = {self.population} is smaller than survivors = "
                f"{self.survivors}; allowed: population >= survivors >= 1"
            )
        check_fraction(name, "prune_fraction", self.prune_fraction)
        check_int(name, "round_epochs", self.round_epochs, 1)
        check_bool(name, "resume", self.resume)
        check_real(name, "size_penalty", self.size_penalty, 0.0)

    # -- size proxy -------------------------------------------------------------------------

    def model_size(self, config: Mapping[str, Any]) -> float:
        """Proxy for the model's size: the sum of integer parameters named ``units*``/``filters*``.

        The strategy never builds a model, so it cannot count weights; for MLPs and CNNs
        whose width parameters follow this naming (as ``stocks-mlp``'s ``units_1..3``), the
        sum of widths orders networks roughly like their parameter counts. Override it in a
        subclass for a better proxy.
        """
        total = 0.0
        for key, value in config.items():
            if key.startswith(("units", "filters")) and isinstance(value, int):
                total += value
        return total

    # -- setup ------------------------------------------------------------------------------

    def setup(
        self, space: SearchSpace, fidelity: Fidelity, direction: Direction, seed: int
    ) -> None:
        """Sample the population and plan the first round."""
        super().setup(space, fidelity, direction, seed)
        self.check_params()
        self._rng = np.random.default_rng(seed)
        self._sampler = RandomConfigs(space, seed)
        self._seen: set[str] = set()
        self.members: list[_Member] = []
        for config in self._sampler.distinct(self.population, self._seen):
            self._add(config)
        self._round = 0
        self._target = 0
        self._final = False
        self._todo: deque[_Member] = deque()
        self._in_flight: dict[int, _Member] = {}
        self._member_of: dict[int, _Member] = {}
        self._exhausted: str | None = None
        # len(alive) after each round's pruning, for reports and tests
        self.alive_history: list[int] = []
        final = len(self.members) <= self.survivors or self.round_epochs >= fidelity.max_epochs
        self._start_round(final)

    def _add(self, config: dict[str, Any]) -> None:
        self.members.append(_Member(len(self.members), config))

    def _alive(self) -> list[_Member]:
        return [m for m in self.members if m.alive]

    def _start_round(self, final: bool) -> None:
        self._round += 1
        self._final = final
        max_epochs = self.fidelity.max_epochs
        self._target = max_epochs if final else min(self._round * self.round_epochs, max_epochs)
        self._todo = deque(m for m in self._alive() if m.epochs < self._target)
        if not self._todo:
            self._end_round()

    # -- ranking ----------------------------------------------------------------------------

    def _score(self, member: _Member) -> float:
        assert member.value is not None
        penalty = self.size_penalty * self.model_size(member.config)
        return member.value - penalty if self.direction == "maximize" else member.value + penalty

    def _ranked(self, members: list[_Member]) -> list[_Member]:
        """Best first; ties go to the member sampled first, so ranking is deterministic."""
        sign = -1.0 if self.direction == "maximize" else 1.0
        return sorted(members, key=lambda m: (sign * self._score(m), m.index))

    def _end_round(self) -> None:
        """Prune after a round; start the next round, the final round, or exhaust."""
        if self._final:
            self._exhausted = f"final round done: {len(self._alive())} survivors at max epochs"
            return
        alive = self._alive()
        healthy = [m for m in alive if not m.failed and m.value is not None]
        for m in alive:
            if m.failed or m.value is None:
                m.alive = False
        n_drop = math.ceil(self.prune_fraction * len(alive)) - (len(alive) - len(healthy))
        n_drop = max(0, min(n_drop, len(healthy) - self.survivors))
        ranked = self._ranked(healthy)
        for m in ranked[len(ranked) - n_drop :] if n_drop else []:
            m.alive = False
        keep = ranked[: len(ranked) - n_drop]
        self.alive_history.append(len(keep))
        if not keep:
            self._exhausted = "every member failed"
            return
        next_target = (self._round + 1) * self.round_epochs
        if len(keep) <= self.survivors or next_target >= self.fidelity.max_epochs:
            for m in keep[self.survivors :]:
                m.alive = False
            self._start_round(final=True)
            return
        self.refill(keep)
        self._start_round(final=False)

    def refill(self, survivors: list[_Member]) -> None:
        """Hook between rounds (``survivors`` best first); pure pruning adds nobody."""

    # -- the protocol -----------------------------------------------------------------------

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        """The next member of the round, Wait for the round's trials, or Exhausted."""
        if self._exhausted is not None:
            return Exhausted(self._exhausted)
        if not self._todo:
            # Rounds end in tell(), so the round's last trials are still running here.
            return Wait(f"round {self._round}: {len(self._in_flight)} trials in flight")
        member = self._todo.popleft()
        trial_id = self.new_trial_id()
        resume_from = None
        if self.resume and member.last_trial is not None and member.epochs > 0:
            resume_from = member.last_trial
        self._in_flight[trial_id] = member
        self._member_of[trial_id] = member
        return Proposal(trial_id, member.config, self._target, resume_from)

    def evaluated_as(self, trial_id: int, config: dict[str, Any]) -> None:
        """The member is the served config from now on (its later rounds resume it)."""
        member = self._member_of[trial_id]
        member.config = dict(config)
        self._seen.add(self.space.config_key(config))

    def keep_weights(self, trial_id: int) -> bool:
        """Keep weights of members that will train on (not after the final round)."""
        return self.resume and not self._final and trial_id in self._in_flight

    def tell(self, trial_id: int, result: TrialResult) -> None:
        """Record the member's new value; end the round when its last trial is told."""
        member = self._in_flight.pop(trial_id)
        if result.status is TrialStatus.FAILED:
            member.failed = True
        elif result.values:
            member.value = result.values[-1]
            member.epochs = result.epochs
            # Weights are kept (keep_weights) unless this was the final round or no resume.
            member.last_trial = trial_id if self.resume and not self._final else None
        if not self._todo and not self._in_flight:
            self._end_round()


def _numeric_choices(param: Categorical) -> bool:
    return all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in param.choices)


def _neighbour(param: Int | Float | Categorical, value: Any, rng: np.random.Generator) -> Any:
    """A neighbouring grid value of ``value``.

    Numeric parameters move one grid step up or down; so do categoricals with numeric
    choices (such as a batch size, or the grid-shaped space of replay mode), in value order.
    Other categoricals move to any other choice.
    """
    if isinstance(param, Categorical) and not _numeric_choices(param):
        others = [c for c in param.choices if c != value]
        return others[int(rng.integers(len(others)))] if others else value
    # A categorical's value is always one of its points, so its scale does not matter.
    points = sorted(param.choices) if isinstance(param, Categorical) else list(param.grid_values())
    if len(points) < 2:
        return value
    if not isinstance(param, Categorical) and param.log:
        nearest = min(range(len(points)), key=lambda i: abs(math.log(points[i] / value)))
    else:
        nearest = min(range(len(points)), key=lambda i: abs(points[i] - value))
    if points[nearest] != value:
        # Off-grid (a random draw): the neighbours are the grid points around it.
        lower = [p for p in points if p < value]
        upper = [p for p in points if p > value]
        options = ([lower[-1]] if lower else []) + ([upper[0]] if upper else [])
    else:
        options = [points[i] for i in (nearest - 1, nearest + 1) if 0 <= i < len(points)]
    return options[int(rng.integers(len(options)))]


class EvolutionaryMutation(EvolutionaryPruning):
    """Evolutionary pruning that refills the population each round with mutated survivors.

    Like ``evolutionary-pruning``, but after each round's pruning the population is refilled
    to ``population`` with mutants: a survivor chosen at random (seeded) with one or two of
    its active parameters moved to a neighbouring grid value (another choice for a
    categorical; new layers get their defaults). A mutant is a new config, so it starts from
    scratch and is trained (and charged in full) to the next round's target with the
    others. Rounds go on until the next round would reach ``max_epochs``; then the best
    ``survivors`` are trained to ``max_epochs``. Same parameters as
    ``evolutionary-pruning``.
    """

    name = "evolutionary-mutation"

    def mutate(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Move one or two active parameters of ``config`` to a neighbouring grid value."""
        names = self.space.active_names(config)
        k = min(len(names), int(self._rng.integers(1, 3)))
        child = dict(config)
        for i in self._rng.choice(len(names), size=k, replace=False):
            name = names[int(i)]
            if name in child:  # an earlier change may have deactivated it
                child[name] = _neighbour(self.space[name], child[name], self._rng)
                child = complete_config(self.space, child)
        return complete_config(self.space, child)

    def refill(self, survivors: list[_Member]) -> None:
        """Add mutants of random survivors until the population is full again."""
        for _ in range(self.population - len(survivors)):
            child: dict[str, Any] | None = None
            for _attempt in range(50):
                parent = survivors[int(self._rng.integers(len(survivors)))]
                candidate = self.mutate(parent.config)
                key = self.space.config_key(candidate)
                if key not in self._seen:
                    self._seen.add(key)
                    child = candidate
                    break
            if child is None:  # mutants keep repeating (small space): a fresh random config
                fresh = self._sampler.distinct(1, self._seen)
                if not fresh:
                    return  # the finite space is used up
                child = fresh[0]
            self._add(child)
