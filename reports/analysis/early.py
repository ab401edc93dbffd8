"""Early-stopping evidence: do early epochs predict the final ranking?

Both analyses use the full learning curves of a problem: every trial trained to
``max_epochs`` by any strategy and seed, with a resumed trial's curve joined to the
curve of the trial it continued (``resume_from``). Exact duplicates (same config, same
curve, as replay serves repeatedly) are counted once.

1. Spearman rank correlation (:func:`scipy.stats.spearmanr`) between the validation
   value at epoch ``k`` and at ``max_epochs``, for every ``k``.
2. Evolutionary pruning, replayed on those curves: populations are drawn at random
   (seeded, without replacement) from the curves, pruned round by round exactly as
   ``evolutionary-pruning`` does (drop ``ceil(f * alive)`` of the worst by their current
   value, never below ``survivors``; when at most ``survivors`` remain or the next round
   would reach ``max_epochs``, keep the best ``survivors`` and train them to the end),
   and we count how often the population's eventual best config (by final value) is
   still alive at the end. The answer is the largest prune fraction ``f`` whose survival
   probability is at least 95%.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from tunebench.reports.inputs.load import ProblemInfo

__all__ = [
    "FRACTIONS",
    "PruneSetup",
    "full_curves",
    "largest_safe_fraction",
    "prune_setup",
    "prune_survival",
    "simulation_seed",
    "spearman_by_epoch",
]

FRACTIONS = tuple(round(0.05 * i, 2) for i in range(1, 11))  # 0.05 .. 0.50
N_SIMULATIONS = 2000
SURVIVAL_TARGET = 0.95


def full_curves(trials: pd.DataFrame, epochs: pd.DataFrame, info: ProblemInfo) -> pd.DataFrame:
    """Full learning curves of the problem, one row per trial that reached ``max_epochs``.

    Returns:
        Columns ``1..max_epochs`` (validation value after that many epochs) and config.
    """
    n = info.max_epochs
    empty = pd.DataFrame(columns=[*range(1, n + 1), "config"])
    if trials.empty or epochs.empty:
        return empty
    tr = trials[(trials["problem"] == info.name) & (trials["status"] != "failed")]
    ep = epochs[(epochs["problem"] == info.name) & epochs["value"].notna()]
    if tr.empty or ep.empty:
        return empty
    own: dict[tuple[str, int, int], dict[int, float]] = {}
    for row in ep[["strategy", "seed", "trial", "epoch", "value"]].itertuples(index=False):
        own.setdefault((row.strategy, int(row.seed), int(row.trial)), {})[int(row.epoch)] = float(
            row.value
        )
    meta = {
        (r.strategy, int(r.seed), int(r.trial)): r
        for r in tr[
            ["strategy", "seed", "trial", "resume_from", "start_epoch", "epochs", "config"]
        ].itertuples(index=False)
    }
    memo: dict[tuple[str, int, int], dict[int, float]] = {}

    def curve(key: tuple[str, int, int], depth: int = 0) -> dict[int, float]:
        if key in memo:
            return memo[key]
        values = dict(own.get(key, {}))
        r = meta.get(key)
        if (
            r is not None
            and r.resume_from is not None
            and not pd.isna(r.resume_from)
            and depth < 1000
        ):
            parent = curve((key[0], key[1], int(r.resume_from)), depth + 1)
            start = int(r.start_epoch or 0)
            values = {**{e: v for e, v in parent.items() if e <= start}, **values}
        memo[key] = values
        return values

    rows: list[dict[Any, Any]] = []
    for key, r in meta.items():
        if r.epochs is None or pd.isna(r.epochs) or int(r.epochs) < n:
            continue
        values = curve(key)
        if all(e in values and math.isfinite(values[e]) for e in range(1, n + 1)):
            rows.append({**{e: values[e] for e in range(1, n + 1)}, "config": r.config})
    if not rows:
        return empty
    frame = pd.DataFrame(rows, columns=[*range(1, n + 1), "config"])
    return frame.drop_duplicates().reset_index(drop=True)


def spearman_by_epoch(curves: pd.DataFrame, max_epochs: int) -> pd.DataFrame:
    """Spearman correlation of the value at epoch ``k`` with the final value, per ``k``.

    Returns:
        Columns epoch, rho, p, n (curves); NaN rho with fewer than 3 curves.
    """
    rows = []
    final = curves[max_epochs].to_numpy(dtype=float) if len(curves) else np.array([])
    for k in range(1, max_epochs):
        rho = p = math.nan
        if len(curves) >= 3:
            at_k = curves[k].to_numpy(dtype=float)
            if np.ptp(at_k) > 0 and np.ptp(final) > 0:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = stats.spearmanr(at_k, final)
                rho, p = float(res.statistic), float(res.pvalue)
        rows.append({"epoch": k, "rho": rho, "p": p, "n": len(curves)})
    return pd.DataFrame(rows, columns=["epoch", "rho", "p", "n"])


@dataclass(frozen=True)
class PruneSetup:
    """The evolutionary-pruning schedule simulated on recorded curves.

    Attributes:
        population: Configs per simulated population.
        survivors: Members trained to ``max_epochs`` at the end.
        round_epochs: Epochs added per round.
        source: Where the numbers come from, in words.
    """

    population: int
    survivors: int
    round_epochs: int
    source: str


def prune_setup(matrix: Mapping[str, Any] | None, n_curves: int) -> PruneSetup | None:
    """The schedule to simulate: the matrix's ``evolutionary-pruning`` entry, else defaults.

    The population is capped at half the recorded curves (so populations differ between
    draws) and the survivors scaled with it.

    Returns:
        ``None`` when there are too few curves (a population of at least 4 is needed).
    """
    population, survivors, round_epochs = 50, 10, 1
    source = "strategy defaults (population 50, survivors 10, 1 epoch per round)"
    for entry in (matrix or {}).get("strategies", []):
        if entry.get("name") == "evolutionary-pruning":
            params = entry.get("params") or {}
            population = int(params.get("population", population))
            survivors = int(params.get("survivors", survivors))
            round_epochs = int(params.get("round_epochs", round_epochs))
            source = (
                f"the matrix's evolutionary-pruning (population {population}, "
                f"survivors {survivors}, {round_epochs} epoch(s) per round)"
            )
            break
    cap = n_curves // 2
    if cap < 4:
        return None
    if population > cap:
        survivors = max(1, round(survivors * cap / population))
        source += f", scaled to population {cap} and {survivors} survivors for {n_curves} curves"
        population = cap
    return PruneSetup(population, min(survivors, population), round_epochs, source)


def prune_survival(
    curves: np.ndarray,
    sign: float,
    setup: PruneSetup,
    fractions: tuple[float, ...] = FRACTIONS,
    n_sim: int = N_SIMULATIONS,
    seed: int = 0,
) -> pd.DataFrame:
    """Probability that evolutionary pruning keeps the eventual best config, per fraction.

    Args:
        curves: Curves x epochs (values after 1..max_epochs epochs), raw metric.
        sign: +1 when larger is better.
        setup: Population, survivors and epochs per round.
        fractions: Prune fractions to try.
        n_sim: Populations drawn per fraction (the same draws for every fraction).
        seed: Seed of the draws.

    Returns:
        Columns fraction, survival, rounds (pruning rounds), population, survivors.
    """
    scores = sign * np.asarray(curves, dtype=float)
    m, n_epochs = scores.shape
    n, s, step = setup.population, setup.survivors, setup.round_epochs
    rng = np.random.default_rng(seed)
    pops = np.argsort(rng.random((n_sim, m)), axis=1)[:, :n]  # n distinct curves per draw
    final = scores[pops, n_epochs - 1]
    best = final.max(axis=1, keepdims=True)
    rows_idx = np.arange(n_sim)[:, None]
    rows = []
    for f in fractions:
        alive = np.ones((n_sim, n), dtype=bool)
        n_alive, rounds = n, 0
        if n > s and step < n_epochs:
            r = 1
            while True:
                epoch = min(r * step, n_epochs)
                value = np.where(alive, scores[pops, epoch - 1], -np.inf)
                # best first; ties go to the member drawn first, as the strategy's order
                order = np.argsort(-value, axis=1, kind="stable")
                n_drop = max(0, min(math.ceil(f * n_alive), n_alive - s))
                keep = n_alive - n_drop
                rounds += 1
                if keep <= s or (r + 1) * step >= n_epochs:
                    keep = min(keep, s)
                alive = np.zeros_like(alive)
                alive[rows_idx, order[:, :keep]] = True
                n_alive = keep
                if keep <= s or (r + 1) * step >= n_epochs:
                    break
                r += 1
        kept = np.where(alive, final, -np.inf).max(axis=1, keepdims=True) >= best
        rows.append(
            {
                "fraction": f,
                "survival": float(kept.mean()),
                "rounds": rounds,
                "population": n,
                "survivors": s,
            }
        )
    return pd.DataFrame(rows)


def largest_safe_fraction(table: pd.DataFrame, target: float = SURVIVAL_TARGET) -> float:
    """The largest fraction whose survival (and every smaller one's) is at least ``target``.

    Returns:
        NaN when even the smallest fraction misses the target.
    """
    best = math.nan
    for row in table.sort_values("fraction").itertuples(index=False):
        if row.survival < target:
            break
        best = float(row.fraction)
    return best


def simulation_seed(problem: str) -> int:
    """A fixed seed per problem (stable across processes, unlike ``hash``)."""
    return zlib.crc32(problem.encode("utf-8"))
