"""Adapters: keras-tuner's oracles behind the strategy protocol.

``kt-random``, ``kt-bayesian`` and ``kt-hyperband`` drive keras-tuner's
``RandomSearchOracle``, ``BayesianOptimizationOracle`` and ``HyperbandOracle``
the way a keras-tuner ``Tuner`` does, except that the harness trains:

* ``ask``: ``oracle.create_trial(tuner_id)``. ``RUNNING`` becomes a
  :class:`Proposal`, ``IDLE`` (the oracle waits for trials in flight) becomes
  :class:`Wait`, ``STOPPED`` (the oracle has finished) becomes :class:`Exhausted`.
  Each ask uses its own ``tuner_id``, because an oracle hands a tuner that
  still has a trial open the same trial again.
* ``report``: ``oracle.update_trial(kt_id, {objective: value}, step=epoch)``.
  The stock oracles never stop a trial early, so the answer is CONTINUE unless
  the oracle marked the trial ``STOPPED``.
* ``tell``: ``oracle.end_trial(trial)`` with status ``COMPLETED`` when at least
  one epoch gave a value (keras-tuner scores a trial by its best epoch, as its
  own ``Tuner`` does), ``FAILED`` otherwise (failed trials are never retried,
  never promoted, never fed to the Gaussian process, and never end the search).

keras-tuner smuggles Hyperband's fidelity into the hyperparameters
(``tuner/epochs``, ``tuner/initial_epoch``, ``tuner/trial_id``, ...). Here those
become :attr:`Proposal.target_epochs` and :attr:`Proposal.resume_from` and are
stripped from the config. The oracle's own files (``oracle.json``,
``trial_*/trial.json``) go to :attr:`Strategy.scratch_dir`, which the harness
points inside the run's folder (a temporary folder when it is unset).

keras-tuner (and so TensorFlow) is imported in :meth:`KerasTunerStrategy.setup`,
never when this module is imported, so listing strategies stays fast.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import sys
import tempfile
import warnings
import weakref
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunebench.strategies._common import require_modules
from tunebench.strategies.base import (
    BudgetView,
    Decision,
    Exhausted,
    Proposal,
    Strategy,
    TrialResult,
    TrialStatus,
    Wait,
)
from tunebench.strategies.space import Float, Int

if TYPE_CHECKING:
    from tunebench.strategies.base import Direction, Fidelity
    from tunebench.strategies.space import SearchSpace

__all__ = [
    "KerasTunerBayesian",
    "KerasTunerHyperband",
    "KerasTunerRandom",
    "KerasTunerStrategy",
]

#: Name of the objective inside the oracle (it only has to match what ``report`` sends).
OBJECTIVE = "val_score"
#: Folder inside the scratch folder that holds the oracle's files.
PROJECT_NAME = "keras_tuner"
_TUNER_KEYS = "tuner/"


def _require(strategy: str, *modules: str) -> None:
    """Raise ImportError naming the first missing module, without importing anything."""
    require_modules(strategy, modules, "pip install 'keras-tuner[bayesian]'")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the warnings keras-tuner's oracles raise on every call, and skip a redundant check.

    Its ``@synchronized`` decorator calls the deprecated ``threading.currentThread``, and the
    Gaussian process of the Bayesian oracle warns when its kernel fit does not converge.
    scikit-learn's finiteness check is switched off (``assume_finite``) while the oracle
    runs: the Bayesian oracle replaces NaN and infinities by 0 before it fits and predicts
    only at points inside the parameter bounds, and the check on each of the many
    ``predict`` calls of an acquisition optimisation was a noticeable share of a replayed
    kt-bayesian run.
    """
    sklearn = sys.modules.get("sklearn")  # imported by the Bayesian oracle only
    finite = sklearn.config_context(assume_finite=True) if sklearn else contextlib.nullcontext()
    with warnings.catch_warnings(), finite:
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module=r"sklearn\.")
        yield


class KerasTunerStrategy(Strategy):
    """Base of the strategies that are a keras-tuner oracle.

    Subclasses implement :meth:`make_oracle`; multi-fidelity ones also override
    :meth:`fidelity_of` (target epochs and the trial to resume) and :meth:`keep_weights`.
    """

    _oracle: Any
    _tmp: weakref.finalize | None = None  # removes the temporary folder, if one is used

    def make_oracle(self, objective: Any, hyperparameters: Any, seed: int) -> Any:
        """Build the keras-tuner oracle for one run.

        Args:
            objective: The ``keras_tuner.Objective`` to optimise.
            hyperparameters: The space as ``keras_tuner.HyperParameters``.
            seed: A positive seed derived from the strategy seed.
        """
        raise NotImplementedError

    def required_modules(self) -> tuple[str, ...]:
        """Importable modules this strategy needs (checked by :meth:`check_params`)."""
        return ("keras_tuner",)

    def check_params(self) -> None:
        """Raise ImportError when keras-tuner (or what the oracle needs) is missing."""
        _require(self.name, *self.required_modules())

    def setup(
        self, space: SearchSpace, fidelity: Fidelity, direction: Direction, seed: int
    ) -> None:
        """Create the oracle, with its files in the scratch folder."""
        self.check_params()
        super().setup(space, fidelity, direction, seed)
        clash = [name for name in space.names if name.startswith(_TUNER_KEYS)]
        if clash:
            raise ValueError(
                f"strategy {self.name!r}: parameter {clash[0]!r} clashes with keras-tuner's "
                f"reserved '{_TUNER_KEYS}' names; rename it"
            )
        import keras_tuner  # deferred: it imports TensorFlow

        objective = keras_tuner.Objective(OBJECTIVE, "max" if direction == "maximize" else "min")
        # keras-tuner replaces a falsy seed by a random one, and numpy needs it below 2**32.
        kt_seed = seed % (2**31 - 1) + 1
        with _quiet():
            self._oracle = self.make_oracle(objective, space.to_keras_tuner(), kt_seed)
        self._oracle.verbose = 0  # its Display prints every trial to stdout otherwise
        self._oracle._set_project_dir(str(self._project_parent()), PROJECT_NAME)
        self._in_flight: dict[int, Any] = {}  # our trial id -> open keras-tuner Trial
        self._reported: dict[int, set[int]] = {}  # our trial id -> epochs sent to the oracle
        self._ours: dict[str, int] = {}  # keras-tuner trial id -> our trial id
        self._asks = 0
        self._done: str | None = None

    def _project_parent(self) -> Path:
        """The folder that holds the oracle's project folder, emptied of a previous run's."""
        if self._tmp is not None:
            self._tmp()  # the previous run's temporary folder
            self._tmp = None
        if self.scratch_dir is None:
            tmp = tempfile.mkdtemp(prefix="tunebench-kt-")
            # Removed with the strategy (or at exit), quietly, unlike TemporaryDirectory.
            self._tmp = weakref.finalize(self, shutil.rmtree, tmp, ignore_errors=True)
            return Path(tmp)
        parent = Path(self.scratch_dir)
        # A rerun of a run starts clean; the oracle never reloads these files.
        shutil.rmtree(parent / PROJECT_NAME, ignore_errors=True)
        parent.mkdir(parents=True, exist_ok=True)
        return parent

    @property
    def project_dir(self) -> Path:
        """The folder the oracle writes its files to (valid after :meth:`setup`)."""
        return Path(self._oracle._directory) / PROJECT_NAME

    def fidelity_of(self, trial_id: int, values: Mapping[str, Any]) -> tuple[int, int | None]:
        """``(target_epochs, resume_from)`` of oracle trial ``values`` proposed as ``trial_id``.

        Full evaluations by default.
        """
        return self.fidelity.max_epochs, None

    def ask(self, budget: BudgetView) -> Proposal | Wait | Exhausted:
        """Create an oracle trial and propose it."""
        if self._done is not None:
            return Exhausted(self._done)
        if budget.remaining_epochs == 0:
            self._done = "budget spent"
            return Exhausted(self._done)
        tuner_id = f"tunebench-{self._asks}"
        self._asks += 1
        with _quiet():
            trial = self._oracle.create_trial(tuner_id)
        if trial.status == "IDLE" and self._in_flight:
            return Wait("keras-tuner oracle waits for trials in flight")
        if trial.status != "RUNNING":
            # STOPPED, or IDLE with nothing in flight (nothing could ever wake it up).
            self._done = f"keras-tuner oracle has no more trials (status {trial.status})"
            return Exhausted(self._done)
        values = trial.hyperparameters.values
        self._repair(values)
        config = self.space.from_keras_tuner(values)
        trial_id = self.new_trial_id()
        target, resume_from = self.fidelity_of(trial_id, values)
        self._in_flight[trial_id] = trial
        self._reported[trial_id] = set()
        self._ours[trial.trial_id] = trial_id
        return Proposal(trial_id, config, target, resume_from)

    def evaluated_as(self, trial_id: int, config: dict[str, Any]) -> None:
        """Write the served config into the oracle trial's hyperparameters.

        The oracles learn from their trials' ``hyperparameters`` (the Bayesian oracle's
        Gaussian process, Hyperband's promotions), so the served values replace the
        proposal's there; parameters the served config leaves inactive keep their values,
        which keras-tuner ignores as inactive.
        """
        values = self._in_flight[trial_id].hyperparameters.values
        for name, value in config.items():
            values[name] = value

    def _repair(self, values: dict[str, Any]) -> None:
        """Clamp numbers keras-tuner maps just past a bound back into the space, in place.

        The Bayesian oracle optimises on ``[0, 1]`` and can land exactly on 1.0, which
        keras-tuner turns into ``max + 1`` for a step-less (log) Int, and a Float can round
        one ulp past its bound. The repaired value is what the oracle records, too.
        """
        for name, value in values.items():
            if name not in self.space or not _is_real(value):
                continue
            param = self.space[name]
            if isinstance(param, Int):
                steps = round((min(max(value, param.low), param.high) - param.low) / param.step)
                values[name] = param.low + param.step * int(steps)
            elif isinstance(param, Float):
                values[name] = min(max(float(value), param.low), param.high)

    def report(self, trial_id: int, epoch: int, value: float) -> Decision:
        """Send the value to the oracle (as keras-tuner's metrics at step ``epoch``)."""
        trial = self._in_flight[trial_id]
        if not math.isfinite(value):
            return Decision.CONTINUE
        with _quiet():
            self._oracle.update_trial(trial.trial_id, {OBJECTIVE: float(value)}, step=epoch)
        self._reported[trial_id].add(epoch)
        return Decision.STOP if trial.status == "STOPPED" else Decision.CONTINUE

    def tell(self, trial_id: int, result: TrialResult) -> None:
        """End the oracle trial: COMPLETED with its values, or FAILED."""
        trial = self._in_flight.pop(trial_id)
        reported = self._reported.pop(trial_id)
        finite = False
        with _quiet():
            for i, value in enumerate(result.values):
                epoch = result.start_epoch + i + 1
                if not math.isfinite(value):
                    continue
                finite = True
                if epoch not in reported:
                    self._oracle.update_trial(trial.trial_id, {OBJECTIVE: float(value)}, epoch)
            ok = finite and result.status is not TrialStatus.FAILED
            trial.status = "COMPLETED" if ok else "FAILED"
            trial.message = None if ok else (result.reason or "no epoch finished")
            self._oracle.end_trial(trial)


class KerasTunerRandom(KerasTunerStrategy):
    """keras-tuner's ``RandomSearchOracle``: independent random configs, full evaluations.

    The oracle refuses a config it has already tried and stops (Exhausted) after 20
    collisions in a row, so a small finite space ends the run early.
    """

    name = "kt-random"

    def __init__(self) -> None:
        pass

    def make_oracle(self, objective: Any, hyperparameters: Any, seed: int) -> Any:
        """Return a RandomSearchOracle without a trial cap (the budget ends the run)."""
        from keras_tuner.oracles import RandomSearchOracle

        return RandomSearchOracle(
            objective=objective,
            max_trials=None,
            seed=seed,
            hyperparameters=hyperparameters,
            max_consecutive_failed_trials=None,
        )


class KerasTunerBayesian(KerasTunerStrategy):
    """keras-tuner's ``BayesianOptimizationOracle``: a Gaussian process with UCB.

    Args:
        num_initial_points: Random configs (completed ones count) before the Gaussian
            process takes over; ``None`` is keras-tuner's default, 3 x the number of
            parameters.
        alpha: Noise added to the kernel diagonal (> 0).
        beta: Exploration weight of the upper confidence bound (>= 0).
    """

    name = "kt-bayesian"

    def __init__(
        self, num_initial_points: int | None = None, alpha: float = 1e-4, beta: float = 2.6
    ) -> None:
        self.num_initial_points = num_initial_points
        self.alpha = alpha
        self.beta = beta

    def required_modules(self) -> tuple[str, ...]:
        """keras-tuner plus the Gaussian-process stack it needs."""
        return ("keras_tuner", "scipy", "sklearn")

    def check_params(self) -> None:
        """Check num_initial_points, alpha and beta, then the dependencies."""
        n = self.num_initial_points
        if n is not None and not (_is_int(n) and n >= 1):
            raise ValueError(
                f"strategy {self.name!r}: num_initial_points must be an int >= 1 or omitted, "
                f"got {n!r}"
            )
        if not (_is_real(self.alpha) and math.isfinite(self.alpha) and self.alpha > 0):
            raise ValueError(
                f"strategy {self.name!r}: alpha must be a finite number > 0, got {self.alpha!r}"
            )
        if not (_is_real(self.beta) and math.isfinite(self.beta) and self.beta >= 0):
            raise ValueError(
                f"strategy {self.name!r}: beta must be a finite number >= 0, got {self.beta!r}"
            )
        super().check_params()

    def make_oracle(self, objective: Any, hyperparameters: Any, seed: int) -> Any:
        """Return a BayesianOptimizationOracle without a trial cap."""
        from keras_tuner.oracles import BayesianOptimizationOracle

        return BayesianOptimizationOracle(
            objective=objective,
            max_trials=None,
            num_initial_points=self.num_initial_points,
            alpha=float(self.alpha),
            beta=float(self.beta),
            seed=seed,
            hyperparameters=hyperparameters,
            max_consecutive_failed_trials=None,
        )


class KerasTunerHyperband(KerasTunerStrategy):
    """keras-tuner's ``HyperbandOracle``: successive-halving brackets over epochs.

    The oracle's ``max_epochs`` is the problem's fidelity. ``tuner/epochs`` becomes the
    proposal's target epochs and ``tuner/trial_id`` (the trial a promoted config continues)
    becomes ``resume_from``, so only the new epochs are charged. Promotions continue from
    the trial's last epoch (keras-tuner's own Tuner reloads its best-epoch checkpoint).

    Args:
        factor: Reduction factor between rounds (an int >= 2).
        hyperband_iterations: Sweeps over all brackets before the strategy is exhausted;
            0 repeats until the budget is spent (keras-tuner's meaning of a falsy value).
        resume: Continue promoted configs from their weights (charged only the new
            epochs); ``False`` retrains them from scratch and is charged in full.
    """

    name = "kt-hyperband"

    def __init__(self, factor: int = 3, hyperband_iterations: int = 1, resume: bool = True) -> None:
        self.factor = factor
        self.hyperband_iterations = hyperband_iterations
        self.resume = resume

    def check_params(self) -> None:
        """Check factor, hyperband_iterations and resume, then the dependency."""
        if not (_is_int(self.factor) and self.factor >= 2):
            raise ValueError(
                f"strategy {self.name!r}: factor must be an int >= 2, got {self.factor!r}"
            )
        n = self.hyperband_iterations
        if not (_is_int(n) and n >= 0):
            raise ValueError(
                f"strategy {self.name!r}: hyperband_iterations must be an int >= 0 "
                f"(0: repeat until the budget is spent), got {n!r}"
            )
        if not isinstance(self.resume, bool):
            raise ValueError(
                f"strategy {self.name!r}: resume must be true or false, got {self.resume!r}"
            )
        super().check_params()

    def make_oracle(self, objective: Any, hyperparameters: Any, seed: int) -> Any:
        """Return a HyperbandOracle over the fidelity's epoch range."""
        from keras_tuner.oracles import HyperbandOracle

        oracle = HyperbandOracle(
            objective=objective,
            max_epochs=self.fidelity.max_epochs,
            factor=self.factor,
            hyperband_iterations=self.hyperband_iterations,
            seed=seed,
            hyperparameters=hyperparameters,
            max_consecutive_failed_trials=None,
        )
        if self.fidelity.min_epochs > 1:
            # keras-tuner fixes the smallest budget at 1 epoch; rebuild the brackets so that
            # none trains less than the fidelity's minimum.
            oracle.min_epochs = self.fidelity.min_epochs
            oracle._current_bracket = oracle._get_num_brackets() - 1
            oracle._brackets = []
            oracle._start_new_bracket()
        return oracle

    def setup(
        self, space: SearchSpace, fidelity: Fidelity, direction: Direction, seed: int
    ) -> None:
        """Create the Hyperband oracle."""
        super().setup(space, fidelity, direction, seed)
        self._promotable: set[int] = set()
        self._epochs: dict[int, int] = {}  # ended trial -> epochs its weights have seen

    def fidelity_of(self, trial_id: int, values: Mapping[str, Any]) -> tuple[int, int | None]:
        """Map ``tuner/epochs`` and ``tuner/trial_id`` to target epochs and resume_from."""
        target = min(max(int(values["tuner/epochs"]), self.fidelity.min_epochs),
                     self.fidelity.max_epochs)  # fmt: skip
        resume_from = None
        if self.resume:
            previous = self._ours.get(values.get("tuner/trial_id", ""))
            # The oracle only promotes completed trials, whose weights were kept.
            if previous in self._promotable and self._epochs.get(previous, target) < target:
                resume_from = previous
            if target < self.fidelity.max_epochs:
                self._promotable.add(trial_id)
        return target, resume_from

    def tell(self, trial_id: int, result: TrialResult) -> None:
        """End the oracle trial and remember how far its weights got."""
        self._epochs[trial_id] = result.epochs
        super().tell(trial_id, result)

    def keep_weights(self, trial_id: int) -> bool:
        """Keep weights of trials the oracle may promote (fewer than max epochs, resume on)."""
        return trial_id in self._promotable
