"""optuna's samplers: ``tpe``, ``gp``, and ``optuna-sampler``, any sampler by its dotted path.

``tpe`` and ``gp`` are Bayesian optimisation with optuna's TPE and Gaussian-process
samplers; both train every config to ``max_epochs`` (no pruning) and learn from the final
validation values. ``optuna-sampler`` takes any importable ``BaseSampler`` (optuna's own,
or one an OptunaHub package installed) and optionally any pruner, so benchmarking a
sampler tunebench does not wrap needs no plug-in package.
"""

from __future__ import annotations

import importlib.util
import warnings
from typing import TYPE_CHECKING, Any

import optuna

from tunebench.strategies._common import (
    check_bool,
    check_int,
    check_kwargs,
    construct,
    import_class,
    probe_once,
    takes_argument,
)
from tunebench.strategies._optuna import OptunaStrategy, make_tpe

if TYPE_CHECKING:
    from optuna.pruners import BasePruner
    from optuna.samplers import BaseSampler

__all__ = ["GPSearch", "OptunaSamplerByName", "TPESearch"]


class TPESearch(OptunaStrategy):
    """Tree-structured Parzen estimator (optuna TPESampler, multivariate); full evaluations.

    The first ``n_startup_trials`` configs are random; after that TPE models good and bad
    configs jointly (``multivariate=True``). With ``group=True`` (the default) each set of
    parameters that occur together is modelled jointly, so conditional parameters such as
    ``units_3`` (present only with three layers) are modelled too instead of being sampled
    independently. Trials in flight are handled with optuna's constant liar.

    Args:
        n_startup_trials: Random configs before TPE takes over.
        group: Decompose the space into groups of co-occurring parameters (conditional
            spaces); ``False`` models only the parameters present in every trial jointly.
    """

    name = "tpe"

    def __init__(self, n_startup_trials: int = 10, group: bool = True) -> None:
        self.n_startup_trials = n_startup_trials
        self.group = group

    def check_params(self) -> None:
        """``n_startup_trials`` an int >= 0, ``group`` a bool."""
        check_int(self.name, "n_startup_trials", self.n_startup_trials, 0)
        check_bool(self.name, "group", self.group)

    def make_sampler(self, seed: int) -> BaseSampler:
        """A seeded multivariate TPESampler."""
        return make_tpe(seed, self.n_startup_trials, self.group)


def torch_available() -> bool:
    """Whether PyTorch can be imported (optuna's GPSampler needs it)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except ValueError:  # a module object without a spec
        return False


class GPSearch(OptunaStrategy):
    """Gaussian-process Bayesian optimisation (optuna GPSampler); full evaluations.

    The first ``n_startup_trials`` configs are random; after that a GP with a log expected
    improvement acquisition proposes configs. optuna's GP models only the parameters that
    every finished trial has (its intersection search space): conditional parameters (such as
    ``units_2`` and ``units_3`` of ``stocks-mlp``) are sampled at random by its independent
    sampler (a seeded RandomSampler), while ``n_layers`` itself is modelled. Needs PyTorch
    (``pip install torch``; the CPU build is enough) and SciPy.

    Args:
        n_startup_trials: Random configs before the GP takes over.
    """

    name = "gp"

    def __init__(self, n_startup_trials: int = 10) -> None:
        self.n_startup_trials = n_startup_trials

    def check_params(self) -> None:
        """``n_startup_trials`` an int >= 1; PyTorch and SciPy importable."""
        check_int(self.name, "n_startup_trials", self.n_startup_trials, 1)
        if not torch_available():
            raise ValueError(
                "gp: optuna's GPSampler needs PyTorch, which is not installed; "
                "pip install torch (the CPU build is enough: "
                "--index-url https://download.pytorch.org/whl/cpu)"
            )
        if importlib.util.find_spec("scipy") is None:
            raise ValueError(
                "gp: optuna's GPSampler needs SciPy, which is not installed; pip install scipy"
            )

    def make_sampler(self, seed: int) -> BaseSampler:
        """A seeded GPSampler whose conditional parameters come from a seeded RandomSampler."""
        return optuna.samplers.GPSampler(
            seed=seed,
            n_startup_trials=self.n_startup_trials,
            independent_sampler=optuna.samplers.RandomSampler(seed=seed),
            warn_independent_sampling=False,
        )


class OptunaSamplerByName(OptunaStrategy):
    """Any optuna sampler, by its dotted path, with an optional pruner.

    The sampler is ``sampler(**kwargs)`` plus ``seed``, from the run's strategy stream,
    when its constructor takes one (so a seed in ``kwargs`` is refused: every seed of the
    matrix would propose the same). With a ``pruner`` every trial reports each epoch and
    the pruner's ``should_prune`` stops it, as in ``hyperband`` and ``median-stop``;
    without one every config trains to ``max_epochs``. The ask-and-tell, the served
    configs and the finite-space rule are those of every optuna strategy
    (:class:`~tunebench.strategies._optuna.OptunaStrategy`).

    Checked when the matrix loads: both classes import and are a ``BaseSampler`` and a
    ``BasePruner``, they accept their keyword arguments, and the sampler runs a few trials
    of a single-objective study (a sampler that is multi-objective only is refused there:
    tunebench's problems have one objective).

    Args:
        sampler: Dotted path of a ``optuna.samplers.BaseSampler`` subclass.
        kwargs: Its keyword arguments (without ``seed``).
        pruner: Dotted path of a ``optuna.pruners.BasePruner`` subclass, or ``None``.
        pruner_kwargs: The pruner's keyword arguments.
    """

    name = "optuna-sampler"

    def __init__(
        self,
        sampler: str = "optuna.samplers.TPESampler",
        kwargs: dict[str, Any] | None = None,
        pruner: str | None = None,
        pruner_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.sampler = sampler
        self.kwargs = kwargs
        self.pruner = pruner
        self.pruner_kwargs = pruner_kwargs

    def _sampler_class(self) -> type[BaseSampler]:
        return import_class(
            self.name, "sampler", self.sampler, optuna.samplers.BaseSampler, "an optuna sampler"
        )

    def check_params(self) -> None:
        """Both classes import, take their arguments, and the sampler runs one objective."""
        cls = self._sampler_class()
        kwargs = check_kwargs(self.name, "kwargs", self.kwargs)
        seeded = takes_argument(cls, "seed")
        if seeded and "seed" in kwargs:
            raise ValueError(
                f"{self.name}: kwargs sets seed, which each run takes from its own seed; "
                "leave it out"
            )
        built = construct(
            self.name, "sampler", self.sampler, cls, kwargs, {"seed": 0} if seeded else None
        )
        probe_once(
            f"{self.name} {self.sampler} {sorted(kwargs.items())!r}",
            lambda: _check_single_objective(self.name, self.sampler, built),
        )
        pruner_kwargs = check_kwargs(self.name, "pruner_kwargs", self.pruner_kwargs)
        if self.pruner is None:
            if pruner_kwargs:
                raise ValueError(f"{self.name}: pruner_kwargs given without a pruner")
            return
        pruner_cls = import_class(
            self.name, "pruner", self.pruner, optuna.pruners.BasePruner, "an optuna pruner"
        )
        construct(self.name, "pruner", self.pruner, pruner_cls, pruner_kwargs)

    def make_sampler(self, seed: int) -> BaseSampler:
        """``sampler(**kwargs)``, seeded from the strategy stream when it takes a seed."""
        cls = self._sampler_class()
        seeded = {"seed": seed} if takes_argument(cls, "seed") else None
        built: BaseSampler = construct(
            self.name, "sampler", self.sampler, cls, dict(self.kwargs or {}), seeded
        )
        return built

    def make_pruner(self) -> BasePruner | None:
        """``pruner(**pruner_kwargs)``, or ``None`` (every trial to ``max_epochs``)."""
        if self.pruner is None:
            return None
        cls = import_class(
            self.name, "pruner", self.pruner, optuna.pruners.BasePruner, "an optuna pruner"
        )
        built: BasePruner = construct(
            self.name, "pruner", self.pruner, cls, dict(self.pruner_kwargs or {})
        )
        return built


def _check_single_objective(strategy: str, path: str, sampler: BaseSampler) -> None:
    """Run the sampler for a few trials of a tiny single-objective study, or refuse it.

    A sampler that is multi-objective only fails here rather than in the first run.
    """

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        return (x - 0.3) ** 2 + (0.1 if trial.suggest_categorical("c", ("a", "b")) == "a" else 0)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study.optimize(objective, n_trials=5, catch=())
    except Exception as exc:  # a user's sampler may raise anything
        raise ValueError(
            f"{strategy}: sampler = {path!r} fails on a single-objective study (tunebench's "
            f"problems have one objective): {type(exc).__name__}: {exc}"
        ) from None
