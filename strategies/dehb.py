"""``dehb``: automl's DEHB (differential evolution with Hyperband), through its ask/tell API.

DEHB asks a job (a ConfigSpace configuration, a ``config_id`` and a float fidelity)
and must be told every job's fitness (minimised) and cost. The adapter keeps the
fidelity out of the config: ``target_epochs`` is the job's fidelity rounded into
``min_epochs..max_epochs`` (DEHB's rungs are ``max * eta**-k``: 1, 3, 9, 27 for 1..27
epochs, 1.85, 5.56, 16.7, 50 for 1..50). DEHB promotes a configuration by asking it
again under the same ``config_id`` at a higher fidelity; that trial continues the
earlier one's weights (``resume_from``), so only the new epochs are charged. It
promotes the same configuration only in its first round of brackets; later rungs
get new mutants, so only trials of that round below ``max_epochs`` keep weights.

On a finite space (a replay grid) DEHB's mutants soon repeat: a job whose config was
already proposed at the same target is told at once, untrained, with what that
config got there (infinite while it is still training), and after 20 such repeats
in a row (keras-tuner's limit for its oracles) the strategy is exhausted.

dehb 0.1.2 pins ``numpy<2``; it runs unchanged on numpy 2 (the same proposals,
measured), so it is installed without its dependencies (docs/getting-started/install.md).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from tunebench.strategies._common import (
    Promotions,
    check_bool,
    check_int,
    library_seed,
    require_modules,
    scratch_folder,
)
from tunebench.strategies.base import (
    BudgetView,
    Direction,
    Exhausted,
    Fidelity,
    Proposal,
    Strategy,
    TrialResult,
    TrialStatus,
    Wait,
)
from tunebench.strategies.space import SearchSpace
from tunebench.strategies.space.convert import active_config, to_configspace, to_configuration

__all__ = ["DEHB_INSTALL", "DEHBSearch"]

#: How to install dehb itself (without its ``numpy<2`` pin; tunebench brings what it needs).
DEHB_INSTALL = "pip install --no-deps dehb==0.1.2"
#: Repeated jobs in a row on a finite space before the strategy is exhausted.
MAX_REPEATS = 20


class DEHBSearch(Strategy):
    """automl's DEHB; its promotions continue from the promoted trial's weights.

    Args:
        eta: Hyperband's reduction factor.
        mutation_factor: DE's mutation factor F.
        crossover_prob: DE's crossover probability.
        resume: Promotions continue from weights (``True``) or retrain from scratch.
    """

    name = "dehb"

    def __init__(
        self,
        eta: int = 3,
        mutation_factor: float = 0.5,
        crossover_prob: float = 0.5,
        resume: bool = True,
    ) -> None:
        self.eta = eta
        self.mutation_factor = mutation_factor
        self.crossover_prob = crossover_prob
        self.resume = resume

    def check_params(self) -> None:
        """``eta`` >= 2, the DE rates in (0, 1], ``resume`` a bool; dehb installed."""
        check_int(self.name, "eta", self.eta, 2)
        for param in ("mutation_factor", "crossover_prob"):
            value = getattr(self, param)
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not (ok and 0 < value <= 1):
                raise ValueError(
                    f"{self.name}: {param} = {value!r} is not allowed; allowed: a number in (0, 1]"
                )
        check_bool(self.name, "resume", self.resume)
        require_modules(self.name, ("dehb", "ConfigSpace", "loguru"), DEHB_INSTALL)

    def setup(
        self, space: SearchSpace, fidelity: Fidelity, direction: Direction, seed: int
    ) -> None:
        """Build DEHB for one run, its files in the scratch folder."""
        self.check_params()
        super().setup(space, fidelity, direction, seed)
        from dehb import DEHB

        out = str(scratch_folder(self.scratch_dir, "tunebench-dehb-"))
        dehb_seed = library_seed(seed)
        with _quiet():
            self._dehb = DEHB(
                f=None,
                cs=to_configspace(space, dehb_seed),
                min_fidelity=fidelity.min_epochs,
                max_fidelity=fidelity.max_epochs,
                eta=self.eta,
                mutation_factor=self.mutation_factor,
                crossover_prob=self.crossover_prob,
                n_workers=1,  # more starts a Dask cluster of its own
                seed=dehb_seed,
                output_path=out,  # its log file (default: the working directory)
                save_freq="end",  # else it writes its state on every new best
                log_level="WARNING",
            )
        self._jobs: dict[int, dict[str, Any]] = {}
        self._promotions = Promotions(self.resume)  # keyed by DEHB's config_id
        self._fitness: dict[tuple[str, int], float] = {}  # (config key, target) -> told
        self._exhausted = ""

    def _target(self, fidelity: float) -> int:
        return min(max(round(fidelity), self.fidelity.min_epochs), self.fidelity.max_epochs)

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        """DEHB's next job as a proposal; a promotion resumes the promoted trial."""
        if self._exhausted:
            return Exhausted(self._exhausted)
        for _ in range(MAX_REPEATS):
            with _quiet():
                job = self._dehb.ask()
            config = active_config(self.space, dict(job["config"]))
            target = self._target(float(job["fidelity"]))
            pair = (self.space.config_key(config), target)
            if pair not in self._fitness:
                break
            # A repeat: tell DEHB what this config got at this target, without training.
            with _quiet():
                self._dehb.tell(job, {"fitness": self._fitness[pair], "cost": 0.0})
        else:
            self._exhausted = (
                f"DEHB proposed {MAX_REPEATS} configs in a row that were already trained at "
                "their fidelity"
            )
            return Exhausted(self._exhausted)
        self._fitness[pair] = math.inf  # until it is told
        trial_id = self.new_trial_id()
        # DEHB promotes the same config only in its first round of brackets
        promotable = (
            target < self.fidelity.max_epochs and int(job["bracket_id"]) < self._dehb.max_SH_iter
        )
        resume_from = self._promotions.propose(trial_id, int(job["config_id"]), target, promotable)
        self._jobs[trial_id] = job
        return Proposal(trial_id, config, target, resume_from)

    def evaluated_as(self, trial_id: int, config: dict[str, Any]) -> None:
        """Put the served config in DEHB's repository, where its population takes it from.

        DEHB's selection and promotions read a job's config from its config repository
        by ``config_id``, so the served config replaces the proposal there.
        """
        job = self._jobs[trial_id]
        target = self._target(float(job["fidelity"]))
        proposed = active_config(self.space, dict(job["config"]))
        self._fitness.pop((self.space.config_key(proposed), target), None)
        self._fitness[(self.space.config_key(config), target)] = math.inf  # until it is told
        with _quiet():
            served = to_configuration(self._dehb.cs, config)
            self._dehb.config_repository.configs[
                int(job["config_id"])
            ].config = self._dehb.configspace_to_vector(served)
        job["config"] = served

    def tell(self, trial_id: int, result: TrialResult) -> None:
        """Tell DEHB the job's fitness; a failed or cut trial is infinitely bad."""
        job = self._jobs.pop(trial_id)
        self._promotions.ended(trial_id, result.epochs, result.status is TrialStatus.FAILED)
        value = result.last_value
        fitness = math.inf  # keeps it out of promotions (DEHB promotes finite ones only)
        if result.status is TrialStatus.COMPLETE and value is not None and math.isfinite(value):
            fitness = -value if self.direction == "maximize" else value
        config = active_config(self.space, dict(job["config"]))
        self._fitness[(self.space.config_key(config), self._target(float(job["fidelity"])))] = (
            fitness
        )
        with _quiet():
            self._dehb.tell(job, {"fitness": fitness, "cost": float(len(result.values))})

    def keep_weights(self, trial_id: int) -> bool:
        """Trials DEHB may promote: its first round of brackets, below ``max_epochs``."""
        return self._promotions.keeps(trial_id)


class _quiet(warnings.catch_warnings):
    """DEHB calls ConfigSpace methods that 1.x marks deprecated on every ask and tell."""

    def __enter__(self) -> None:
        super().__enter__()
        warnings.simplefilter("ignore", DeprecationWarning)
