"""How dense each default sampled table is for its space, and what a denser one would take.

Usage::

    python bench/perf/table_density.py [--table FILE ...] [--draws 256] [--keep 3 4 5 6]

For each table (default: every shipped sampled table) it prints the space's dimensions,
the recorded configs, the median distance from a uniformly random config of the space to
its nearest recorded config (the serving distance of :mod:`tunebench.curves.nearest`;
issue 42's goal is at most 0.3), and the mean recorded seconds to train one curve.

Then it ranks the parameters by their fANOVA importance for the table's final validation
values (optuna's ``FanovaImportanceEvaluator``; a parameter inactive in a config counts
at its default there) and, for a benchmark space of the ``k`` most important parameters
(the others fixed at their defaults), finds the fewest configs among 250, 500, 1000,
... 16000 whose scrambled Sobol sample of that space has a median distance of at most
0.3, and the hours it would take to record them on 2 workers at the table's mean
seconds per curve and its repeats. That sizes a re-recording before it starts; the
recording's own time is what ``tunebench tabulate`` reports.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from tunebench.curves.nearest import SPARSE_DISTANCE, NearestConfig, median_gap
from tunebench.curves.table import read_table_meta, table_space
from tunebench.datasets import available_problems
from tunebench.strategies.space import SearchSpace
from tunebench.strategies.space.sampling import sample_configs

SAMPLED = Path(__file__).resolve().parents[2] / "datasets" / "tables" / "sampled"
SIZES = [250 * 2**j for j in range(7)]  # 250 .. 16000
WORKERS = 2


def _finals(frame: pd.DataFrame) -> pd.Series:
    """Mean final validation value per config (failed curves left out)."""
    last = frame[frame["epoch"] == frame["epoch"].max()]
    if "failed" in last.columns:
        last = last[~last["failed"].astype(bool)]
    return last.groupby("config_key")["value"].mean()


def _importance(space: SearchSpace, finals: pd.Series, direction: str) -> dict[str, float]:
    """FANOVA importance of every parameter for the final values (normalised to sum 1)."""
    import optuna
    from optuna.importance import FanovaImportanceEvaluator, get_param_importances
    from optuna.trial import create_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = space.to_optuna()
    defaults = {p.name: p.default_value() for p in space.params}
    trials = []
    for key, value in finals.items():
        config = json.loads(str(key))
        params = {p.name: config.get(p.name, defaults[p.name]) for p in space.params}
        trials.append(create_trial(params=params, distributions=dists, value=float(value)))
    study = optuna.create_study(direction=direction)  # type: ignore[arg-type]
    study.add_trials(trials)
    evaluator = FanovaImportanceEvaluator(seed=0)
    return dict(get_param_importances(study, evaluator=evaluator, normalize=True))


def _configs_needed(space: SearchSpace, draws: int) -> tuple[int | None, float]:
    """The fewest configs of :data:`SIZES` dense enough, and the gap at that size."""
    gap = float("nan")
    for n in SIZES:
        try:
            configs = sample_configs(space, n, 1)
        except ValueError:  # a finite space smaller than n: all of it is recorded
            return n, 0.0
        keys = [space.config_key(c) for c in configs]
        gap = median_gap(NearestConfig(space, keys, configs), seed=0, draws=draws)
        if gap <= SPARSE_DISTANCE:
            return n, gap
    return None, gap


def main() -> None:
    """Print each table's density and the sizes of denser benchmark spaces."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--table", type=Path, nargs="*", default=sorted(SAMPLED.glob("*.parquet")))
    ap.add_argument("--draws", type=int, default=256, help="Random configs per median.")
    ap.add_argument("--keep", type=int, nargs="*", default=[3, 4, 5, 6])
    args = ap.parse_args()
    problems = available_problems()
    for path in args.table:
        meta = read_table_meta(path)
        problem = problems[str(meta["problem"])](**(meta.get("problem_params") or {}))
        space = table_space(problem, meta)
        frame = pd.read_parquet(path)
        keys = sorted(frame["config_key"].unique())
        nearest = NearestConfig(space, keys, [json.loads(k) for k in keys])
        gap = median_gap(nearest, seed=0, draws=args.draws)
        repeats = int(meta.get("repeats", 1))
        per_curve = float(frame.groupby(["config_key", "repeat"])["seconds"].sum().mean())
        print(
            f"{path.name}: {len(space.params)} parameters, {len(keys)} configs, "
            f"{repeats} repeat(s), median nearest-config distance {gap:.3f} "
            f"(goal <= {SPARSE_DISTANCE}), {per_curve:.1f} s per curve"
        )
        importance = _importance(space, _finals(frame), str(meta.get("direction", "maximize")))
        ranked = sorted(importance, key=lambda n: -importance[n])
        print("  fANOVA importance: " + ", ".join(f"{n} {importance[n]:.2f}" for n in ranked))
        for k in args.keep:
            if k > len(ranked):
                continue
            small = space.with_fixed(ranked[:k])  # the problems' benchmark subspaces
            n, at = _configs_needed(small, args.draws)
            if n is None:
                print(f"  top {k} ({len(small.params)} active): over {SIZES[-1]} configs "
                      f"(distance {at:.2f} at {SIZES[-1]})")  # fmt: skip
                continue
            hours = n * repeats * per_curve / WORKERS / 3600
            print(f"  top {k} ({', '.join(p.name for p in small.params)}): {n} configs "
                  f"(distance {at:.2f}), about {hours:.1f} h on {WORKERS} workers")  # fmt: skip
        print()


if __name__ == "__main__":
    main()
