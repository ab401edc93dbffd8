"""How optimistic a surrogate is against the table it was fitted on.

Usage::

    python bench/perf/surrogate_noise.py [--problem events-mlp] [--surrogate FILE]
        [--fresh 4000] [--budget 50] [--searches 2000]

A surrogate is queried at configs its table never recorded. If its predictions there
are better than the table's, every strategy looks better in surrogate mode than on the
table, and the strategies bunch together. This prints, at the last epoch:

1. the table's configs (mean of the repeats) against the surrogate's mean curves of
   ``--fresh`` new Sobol configs of the same space, as quantiles from the best end, and
   the share of fresh configs beyond the table's 1st and 5th percentiles (1% and 5% if
   the two agree);
2. the repeat-to-repeat spread of the table's best 5% of configs against the spread the
   surrogate draws for its best 5%;
3. a random search simulated on both: ``--searches`` times, ``--budget`` configs, the
   best by validation, its test value. The table serves one recorded repeat per config,
   the surrogate one noise draw per config, as in a run.

It reads the shipped table and surrogate only (no training), in seconds.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np

from tunebench.curves.surrogate import Surrogate, encode, sigma_of, with_epochs
from tunebench.curves.table import LearningCurveTable
from tunebench.datasets import available_problems
from tunebench.matrix.plan import shipped_surrogate, shipped_table
from tunebench.strategies.space.sampling import sample_configs

QUANTILES = (0.001, 0.01, 0.05, 0.25, 0.5)


def best_first(values: np.ndarray, sign: int) -> np.ndarray:
    """Quantiles of ``values`` from the best end (``sign`` is -1 for a maximised metric)."""
    return np.quantile(sign * values, QUANTILES) * sign


def at(values: np.ndarray, epoch: int) -> float:
    """A curve's value at ``epoch`` (0-based); NaN where it stopped earlier (a failure)."""
    return float(values[epoch]) if len(values) > epoch else float("nan")


def searches(
    val: np.ndarray, test: np.ndarray, sign: int, budget: int, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Test values of ``n`` simulated random searches: the best of ``budget`` by validation."""
    out = np.empty(n)
    for i in range(n):
        idx = rng.choice(len(val), budget, replace=False)
        scores = np.where(np.isfinite(val[idx]), sign * val[idx], np.inf)
        out[i] = test[idx][np.argmin(scores)]
    return out


def main() -> None:
    """Print the comparisons for one problem."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problem", default="events-mlp")
    ap.add_argument("--surrogate", type=Path, help="Default: the shipped surrogate.")
    ap.add_argument("--fresh", type=int, default=4000, help="New configs to predict.")
    ap.add_argument("--budget", type=int, default=50, help="Configs per simulated search.")
    ap.add_argument("--searches", type=int, default=2000)
    args = ap.parse_args()

    problem = available_problems()[args.problem]()
    space = problem.space()
    sign = 1 if problem.direction == "minimize" else -1
    path = args.surrogate or shipped_surrogate(args.problem)
    surrogate = Surrogate.load(path, space.fingerprint())
    table = LearningCurveTable(shipped_table(args.problem, "sampled"), space.fingerprint())
    keys = list(table.config_keys)
    last = table.epochs - 1
    repeats = range(table.repeats)
    val = np.array([[at(table.curve(k, r).value, last) for r in repeats] for k in keys])
    test = np.array([[at(table.curve(k, r).test_value, last) for r in repeats] for k in keys])
    with warnings.catch_warnings():  # a config that failed at every repeat: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(val, axis=1)
    finite = np.isfinite(mean)
    rng = np.random.default_rng(0)
    fresh = sample_configs(space, args.fresh, seed=123)
    mean_curves = surrogate.predict(space, fresh, np.zeros(len(fresh)))
    drawn = surrogate.predict(space, fresh, rng.standard_normal(len(fresh)))
    fresh_mean = mean_curves.value[:, last]

    print(f"{args.problem}: table {len(keys)} configs x {table.repeats} repeats, surrogate "
          f"{path.name}, {args.fresh} fresh configs, epoch {last + 1} "
          f"({problem.metric})")  # fmt: skip
    head = "  ".join(f"q{q:g}" for q in QUANTILES)
    print(f"1. from the best end ({head}):")
    table_q = best_first(mean[finite], sign)
    print("   table configs'  mean: " + "  ".join(f"{v:.4f}" for v in table_q))
    print("   fresh surrogate mean: " + "  ".join(f"{v:.4f}" for v in best_first(fresh_mean, sign)))
    for q, bound in zip(QUANTILES[1:3], table_q[1:3], strict=True):
        share = np.mean(sign * fresh_mean < sign * bound)
        print(f"   fresh configs beyond the table's {q:.0%} point: {share:.1%} "
              f"(agreement: {q:.0%})")  # fmt: skip

    rows = with_epochs(encode(space, fresh), surrogate.epochs)
    log_diff = surrogate.boosters["noise"].inplace_predict(rows).reshape(len(fresh), -1)[:, last]
    top_table = sign * mean <= np.nanquantile(sign * mean, 0.05)
    top_fresh = sign * fresh_mean <= np.quantile(sign * fresh_mean, 0.05)
    recorded = np.abs(val[:, 0] - val[:, 1])[top_table]
    # |X1 - X2| of two normal draws has median 0.954 sigma
    print(f"2. best 5%: median |repeat 0 - repeat 1| recorded {np.nanmedian(recorded):.4f}, "
          f"drawn {0.954 * np.median(sigma_of(log_diff[top_fresh])):.4f}")  # fmt: skip

    pick = rng.integers(0, table.repeats, len(keys))
    on_table = searches(val[np.arange(len(keys)), pick], test[np.arange(len(keys)), pick], sign,
                        args.budget, args.searches, rng)  # fmt: skip
    on_mean = searches(fresh_mean, mean_curves.test_value[:, last], sign, args.budget,
                       args.searches, rng)  # fmt: skip
    on_drawn = searches(drawn.value[:, last], drawn.test_value[:, last], sign, args.budget,
                        args.searches, rng)  # fmt: skip
    print(f"3. random search, {args.budget} configs, median test value of {args.searches}: table "
          f"{np.nanmedian(on_table):.4f}, surrogate {np.median(on_drawn):.4f} "
          f"(mean curves {np.median(on_mean):.4f})")  # fmt: skip
    best = int(np.nanargmin(sign * mean))
    print(f"   the table's best config by validation: test value {np.nanmean(test[best]):.4f}")


if __name__ == "__main__":
    main()
