"""Hyperparameter importance per problem and the best configs found.

Importance is optuna's fANOVA (:class:`optuna.importance.FanovaImportanceEvaluator`,
a random forest fitted to the scores, then a functional ANOVA of its variance) over
every trial of the problem that was trained to ``max_epochs``, by any strategy and
seed (shorter trials' values are not comparable). The trials are loaded into an
in-memory optuna study with :func:`optuna.trial.create_trial`; their distributions come
from the problem's search space (the table space in replay) when it is registered and
holds every recorded value, else they are inferred from the recorded values.

fANOVA needs every parameter in every trial, so conditional parameters that are
inactive in some trials (e.g. ``units_2`` when ``n_layers = 1``) are left out; the
parameter that switches them (``n_layers``) carries their effect. Parameters with one
recorded value have no variance to explain and are left out too.
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from typing import Any, cast

import numpy as np
import pandas as pd

from tunebench.backends.registry import backend_class
from tunebench.reports.inputs.load import ProblemInfo

__all__ = ["MIN_TRIALS", "best_configs", "full_length_trials", "param_importance"]

MIN_TRIALS = 8  # fewer full-length trials: no importance is estimated
MAX_TRIALS = 2000  # a larger pool is subsampled (seeded) to keep the forest fast
IMPORTANCE_SEED = 0

log = logging.getLogger(__name__)


def full_length_trials(trials: pd.DataFrame, info: ProblemInfo) -> pd.DataFrame:
    """Trials of the problem trained to ``max_epochs`` with a final validation value."""
    if trials.empty:
        return trials
    sel = trials[
        (trials["problem"] == info.name)
        & (trials["status"] != "failed")
        & (trials["epochs"] >= info.max_epochs)
        & trials["last_value"].notna()
    ]
    return sel


def _registered_spaces(info: ProblemInfo) -> list[Any]:
    """Candidate search spaces of the problem (table space first in replay)."""
    try:
        from tunebench.datasets.problem_files import known_problems

        cls = known_problems(info.module).get(info.registered)
        if cls is None:
            return []
        problem = cls(**info.params)
        spaces = [problem.space()]
        if backend_class(info.mode).serves_table:
            spaces.insert(0, problem.table_space())
        return spaces
    except Exception as exc:  # an unloadable plug-in must not break the report
        log.info("search space of %s unavailable: %s", info.name, exc)
        return []


def _infer(name: str, values: list[Any]) -> Any:
    """An optuna distribution that holds every recorded value of one parameter."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if numeric:
        low, high = min(values), max(values)
        if all(isinstance(v, int) for v in values):
            return IntDistribution(int(low), int(high))
        log_scale = low > 0 and high / low >= 100
        return FloatDistribution(float(low), float(high), log=log_scale)
    return CategoricalDistribution(sorted(set(values), key=repr))


def _distributions(
    configs: list[dict[str, Any]], names: list[str], info: ProblemInfo
) -> dict[str, Any]:
    """Distributions for ``names``: from the problem's space when it holds every value."""
    for space in _registered_spaces(info):
        try:
            params = {n: space[n] for n in names}
        except KeyError:
            continue
        if all(params[n].contains(c[n]) for c in configs for n in names):
            return {n: params[n].to_optuna() for n in names}
    return {n: _infer(n, [c[n] for c in configs]) for n in names}


def param_importance(trials: pd.DataFrame, info: ProblemInfo) -> tuple[pd.DataFrame, str]:
    """FANOVA importance of each hyperparameter on the problem's full-length trials.

    Args:
        trials: The collected ``trials`` table.
        info: The problem.

    Returns:
        ``(table, note)``: table with columns param, importance (sums to 1), sorted by
        importance; note says which trials were used and which parameters left out, or
        why nothing could be estimated (then the table is empty).
    """
    import optuna
    from optuna.importance import FanovaImportanceEvaluator, get_param_importances
    from optuna.trial import create_trial

    empty = pd.DataFrame(columns=["param", "importance"])
    pool = full_length_trials(trials, info)
    if len(pool) < MIN_TRIALS:
        return empty, f"{len(pool)} full-length trials: too few for fANOVA (needs {MIN_TRIALS})"
    if len(pool) > MAX_TRIALS:
        pool = pool.sample(n=MAX_TRIALS, random_state=IMPORTANCE_SEED)
    configs = [json.loads(c) for c in pool["config"]]
    values = pool["last_value"].to_numpy(dtype=float)
    all_names = sorted({n for c in configs for n in c})
    names = [n for n in all_names if all(n in c and c[n] is not None for c in configs)]
    conditional = [n for n in all_names if n not in names]
    constant = [n for n in names if len({repr(c[n]) for c in configs}) < 2]
    names = [n for n in names if n not in constant]
    if not names:
        return empty, "no parameter varies across the full-length trials"
    dists = _distributions(configs, names, info)
    frozen = [
        create_trial(params={n: c[n] for n in names}, distributions=dists, value=float(v))
        for c, v in zip(configs, values, strict=True)
        if math.isfinite(v)
    ]
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.create_study(direction=cast(Any, info.direction))
        study.add_trials(frozen)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = get_param_importances(
                study, evaluator=FanovaImportanceEvaluator(seed=IMPORTANCE_SEED), normalize=True
            )
    finally:
        optuna.logging.set_verbosity(verbosity)
    table = pd.DataFrame({"param": list(result), "importance": [float(v) for v in result.values()]})
    table = table.sort_values(["importance", "param"], ascending=[False, True], kind="stable")
    note = f"fANOVA over {len(frozen)} full-length trials (all strategies and seeds)"
    if conditional:
        note += f"; conditional parameters left out: {', '.join(conditional)}"
    if constant:
        note += f"; parameters with one value left out: {', '.join(constant)}"
    return table.reset_index(drop=True), note


def best_configs(trials: pd.DataFrame, info: ProblemInfo, top: int = 5) -> pd.DataFrame:
    """The best distinct configs by final validation value among full-length trials.

    Returns:
        Columns rank, config (JSON), value (best validation of that config), test_value
        (of that trial), times (full-length trials of the config), strategy, seed, trial.
    """
    cols = ["rank", "config", "value", "test_value", "times", "strategy", "seed", "trial"]
    pool = full_length_trials(trials, info)
    if pool.empty:
        return pd.DataFrame(columns=cols)
    pool = pool.assign(_score=info.sign * pool["last_value"].astype(float))
    pool = pool.sort_values(
        ["_score", "strategy", "seed", "trial"], ascending=[False, True, True, True], kind="stable"
    )
    times = pool.groupby("config").size()
    best = pool.drop_duplicates("config").head(top)
    out = pd.DataFrame(
        {
            "rank": np.arange(1, len(best) + 1),
            "config": best["config"].to_numpy(),
            "value": best["last_value"].astype(float).to_numpy(),
            "test_value": best["test_value"].astype(float).to_numpy(),
            "times": times.reindex(best["config"]).to_numpy(),
            "strategy": best["strategy"].to_numpy(),
            "seed": best["seed"].to_numpy(),
            "trial": best["trial"].to_numpy(),
        }
    )
    return out[cols]
