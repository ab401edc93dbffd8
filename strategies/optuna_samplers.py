"""``tpe`` and ``gp``: Bayesian optimisation with optuna's TPE and Gaussian-process samplers.

Both train every config to ``max_epochs`` (no pruning) and learn from the final
validation values.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

import optuna

from tunebench.strategies._common import check_bool, check_int
from tunebench.strategies._optuna import OptunaStrategy, make_tpe

if TYPE_CHECKING:
    from optuna.samplers import BaseSampler

__all__ = ["GPSearch", "TPESearch"]


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
