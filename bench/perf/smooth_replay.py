"""Does a model-based strategy keep its advantage over random search through replay?

Usage::

    python bench/perf/smooth_replay.py [--table FILE] [--out DIR] [--trials 50]
        [--seeds 20] [--noise 0.005] [--function-seed 0] [--json FILE]

A benchmark, not a timed test (issue 42, deliverable 5). It takes a shipped sampled
table, keeps its configs, epochs, repeats, costs and metadata, and replaces every
``value`` and ``test_value`` by a smooth known function f of the config, with a
learning-curve shape over epochs and small seeded noise per repeat and epoch (no epoch
fails). Then it measures the same comparison twice:

* **reference**: optuna's own loop optimises f directly over the problem's real space
  (``study.optimize``, f at the last epoch, noise-free), random sampler against TPE, with
  optuna's defaults and with ``multivariate=True, group=True`` as tunebench's ``tpe``
  strategy builds it; medians of the best value over seeds and a Mann-Whitney test;
* **through replay**: ``tunebench run`` on a replay matrix over the generated table,
  strategies ``random`` and ``tpe``, the same seeds and full evaluations; medians of the
  runs' best values, a paired Wilcoxon test over seeds, and from the trial logs: the share
  of fresh trials served a recorded config that the run had already been served (a
  repeated curve), the median served distance, and the median gap between the reported
  best value and f of the reported best config (the noise alone when the reported config
  is the one that was scored; the "noise floor" column shows that level).

If replay is truthful, TPE's advantage over random search through replay looks like its
advantage in the reference; no run can beat the best f among the table's configs, which
is printed first. The script measures and prints; it asserts nothing. The generated
table, matrix, results and reports stay in ``--out`` for inspection. Run it from the
repository root with the ``tunebench`` it should measure installed beside the Python
that runs it, and ``TUNEBENCH_DATA_DIR`` set as for any run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import optuna
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import stats

from tunebench.datasets import available_problems
from tunebench.strategies.space import Categorical, SearchSpace
from tunebench.strategies.space.unit import position

Direction = Literal["maximize", "minimize"]

SAMPLED = Path("datasets") / "tables" / "sampled"
STRATEGIES = ("random", "tpe")
# Value range of f at the last epoch per direction: accuracy-like for maximize problems,
# MAE-like for minimize ones.
DEFAULT_RANGE = {"maximize": (0.3, 0.85), "minimize": (0.1, 0.5)}
# Learning-curve shape: how far below (or above, minimizing) its final value a curve starts.
CURVE_DEPTH = 0.4
BUMP_WIDTH = 0.25  # of a numeric parameter's bump, in [0, 1] units
INACTIVE_LEVEL = 0.5  # a conditional parameter's contribution while inactive
# Categorical contribution per choice: the best choice 1, the worst this.
WORST_CHOICE = 0.3


class SmoothFunction:
    """A smooth known function of every parameter of a space, with learning curves.

    Each parameter contributes a score in [0, 1]: a numeric one a Gaussian bump over its
    position in [0, 1] (log scale where the space says log) centred inside the range, a
    categorical one a fixed score per choice, an inactive conditional one a fixed level.
    The weighted mean ``g`` of the scores is mapped linearly onto ``value_range`` (higher
    is better when maximizing, lower when minimizing), so the optimum is interior and
    known in closed form per parameter.

    Args:
        space: The problem's search space.
        direction: ``"maximize"`` or ``"minimize"``.
        value_range: f's values for ``g = 0`` and ``g = 1`` (worst and best), ordered low, high.
        seed: Seed of the centres, weights and choice scores.
    """

    def __init__(
        self, space: SearchSpace, direction: Direction, value_range: tuple[float, float], seed: int
    ) -> None:
        self.space = space
        self.direction = direction
        self.low, self.high = value_range
        rng = np.random.default_rng(seed)
        self.weights: dict[str, float] = {}
        self.centres: dict[str, float] = {}
        self.choice_scores: dict[str, list[float]] = {}
        for param in space.params:
            self.weights[param.name] = float(rng.uniform(0.5, 1.5))
            if isinstance(param, Categorical):
                scores = np.linspace(1.0, WORST_CHOICE, len(param.choices))
                self.choice_scores[param.name] = [float(s) for s in rng.permutation(scores)]
            else:
                self.centres[param.name] = float(rng.uniform(0.2, 0.8))
        self._total_weight = sum(self.weights.values())

    def quality(self, config: Mapping[str, Any]) -> float:
        """The weighted mean score ``g`` in [0, 1] of a config (1 at the optimum)."""
        total = 0.0
        for param in self.space.params:
            if param.name not in config:
                score = INACTIVE_LEVEL
            elif isinstance(param, Categorical):
                index = list(param.choices).index(config[param.name])
                score = self.choice_scores[param.name][index]
            else:
                u = position(param, config[param.name])
                score = math.exp(-0.5 * ((u - self.centres[param.name]) / BUMP_WIDTH) ** 2)
            total += self.weights[param.name] * score
        return total / self._total_weight

    def final(self, config: Mapping[str, Any]) -> float:
        """f: the noise-free value of a config at the last epoch."""
        g = self.quality(config)
        if self.direction == "maximize":
            return self.low + (self.high - self.low) * g
        return self.high - (self.high - self.low) * g

    def curve(self, config: Mapping[str, Any], epochs: int) -> np.ndarray:
        """Noise-free values at epochs 1..epochs, ending exactly at :meth:`final`.

        Better configs converge faster, so curves keep their final order at every epoch.
        """
        rate = 0.2 + 0.4 * self.quality(config)
        e = np.arange(1, epochs + 1, dtype=float)
        sign = -1.0 if self.direction == "maximize" else 1.0
        shape = 1.0 + sign * CURVE_DEPTH * np.exp(-rate * e)
        return self.final(config) * shape / shape[-1]

    def describe(self) -> dict[str, Any]:
        """JSON-able description (stored in the generated table's metadata)."""
        return {
            "direction": self.direction,
            "range": [self.low, self.high],
            "weights": self.weights,
            "centres": self.centres,
            "choice_scores": self.choice_scores,
            "bump_width": BUMP_WIDTH,
            "inactive_level": INACTIVE_LEVEL,
        }


def read_meta(path: Path) -> dict[str, Any]:
    """The tunebench metadata (JSON) of a table file."""
    metadata = pq.read_schema(path).metadata or {}
    if b"tunebench" not in metadata:
        raise SystemExit(f"{path}: no tunebench metadata; is it a learning-curve table?")
    return dict(json.loads(metadata[b"tunebench"]))


def make_table(
    source: Path, out: Path, fn: SmoothFunction, noise: float, seed: int
) -> dict[str, dict[str, Any]]:
    """Write ``source`` with values and test values from ``fn`` to ``out``.

    Everything else (columns, schema metadata) is kept; ``failed`` is cleared, so every
    recorded config can serve every epoch.

    Returns:
        The recorded configs by config key.
    """
    table = pq.read_table(source)
    keys = table.column("config_key").to_pylist()
    repeats = table.column("repeat").to_numpy()
    epochs = table.column("epoch").to_numpy()
    n_epochs = int(epochs.max())
    configs = {key: json.loads(key) for key in dict.fromkeys(keys)}
    curves = {key: fn.curve(config, n_epochs) for key, config in configs.items()}
    index = {key: i for i, key in enumerate(configs)}
    value = np.empty(len(keys))
    test_value = np.empty(len(keys))
    for row, key in enumerate(keys):
        # One stream per (config, repeat, epoch): a row's noise does not depend on row order.
        rng = np.random.default_rng([seed, index[key], int(repeats[row]), int(epochs[row])])
        clean = curves[key][int(epochs[row]) - 1]
        value[row], test_value[row] = clean + noise * rng.standard_normal(2)
    columns = {
        "value": pa.array(value, pa.float64()),
        "test_value": pa.array(test_value, pa.float64()),
        "failed": pa.array([""] * len(keys), table.schema.field("failed").type),
    }
    for name, column in columns.items():
        table = table.set_column(table.schema.get_field_index(name), name, column)
    smooth = {"function": fn.describe(), "noise": noise, "seed": seed, "source": str(source)}
    metadata = {**(table.schema.metadata or {}), b"smooth_replay": json.dumps(smooth).encode()}
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table.replace_schema_metadata(metadata), out)
    return configs


def _tpe(seed: int, group: bool) -> optuna.samplers.BaseSampler:
    if not group:
        return optuna.samplers.TPESampler(seed=seed)
    with warnings.catch_warnings():  # optuna marks multivariate and group experimental
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True)


# Both TPE settings: optuna's defaults (the reference) and the one tunebench's tpe
# strategy uses, so a gap between reference and replay is not a gap between settings.
REFERENCE_SAMPLERS = {
    "random": lambda seed: optuna.samplers.RandomSampler(seed=seed),
    "tpe (optuna defaults)": lambda seed: _tpe(seed, group=False),
    "tpe (multivariate, group)": lambda seed: _tpe(seed, group=True),
}


def reference(fn: SmoothFunction, trials: int, seeds: Sequence[int]) -> dict[str, list[float]]:
    """Best f found by optuna's own loop on f, per sampler and seed."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    best: dict[str, list[float]] = {}
    for label, make in REFERENCE_SAMPLERS.items():
        best[label] = []
        for seed in seeds:
            study = optuna.create_study(direction=fn.direction, sampler=make(seed))
            study.optimize(lambda t: fn.final(fn.space.suggest_optuna(t)), n_trials=trials)
            best[label].append(float(study.best_value))
    return best


def _toml(value: Any) -> str:
    """A scalar or flat table as TOML (enough for problem params)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


def write_matrix(
    path: Path, meta: Mapping[str, Any], table: Path, trials: int, seeds: Sequence[int]
) -> None:
    """A replay matrix: the generated table, random and tpe, ``seeds``, ``trials``."""
    lines = [
        'name = "smooth-replay"',
        'mode = "replay"',
        f"seeds = {_toml(list(seeds))}",
        "",
        "[budget]",
        f"full_evaluations = {trials}",
        "",
        "[[problems]]",
        f"name = {_toml(meta['problem'])}",
        f"table = {_toml(str(table.resolve()))}",
        f"max_epochs = {int(meta['epochs'])}",
    ]
    if meta.get("problem_params"):
        lines.append(f"params = {_toml(meta['problem_params'])}")
    for name in STRATEGIES:
        lines += ["", "[[strategies]]", f"name = {_toml(name)}"]
    path.write_text("\n".join(lines) + "\n")


def _read_events(path: Path) -> list[dict[str, Any]]:
    with path.open() as fh:
        return [json.loads(line) for line in fh if line.strip()]


def replay_metrics(
    results: Path, fn: SmoothFunction, recorded: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Per strategy: best values by seed, repeated curves, served distances, best gaps."""
    out: dict[str, dict[str, Any]] = {}
    for strategy in STRATEGIES:
        best: dict[int, float] = {}
        true_best: list[float] = []
        gaps: list[float] = []
        scored_gaps: list[float] = []
        distances: list[float] = []
        fresh = repeated = 0
        for run_json in sorted(results.glob(f"*/{strategy}/seed=*/run.json")):
            seed = int(run_json.parent.name.split("=", 1)[1])
            run = json.loads(run_json.read_text())
            result = run["result"]
            if result.get("best_value") is None:
                continue
            best[seed] = float(result["best_value"])
            best_config = result["best_config"]
            true_best.append(fn.final(best_config))
            gaps.append(abs(fn.final(best_config) - best[seed]))
            served: dict[int, str] = {}
            configs: dict[int, Any] = {}
            seen: set[str] = set()
            fresh_trial = True
            for event in _read_events(run_json.parent / "trials.jsonl"):
                kind = event.get("event")
                if kind == "trial_start":
                    configs[event["trial"]] = event["config"]
                    fresh_trial = event.get("start_epoch", 0) == 0
                elif kind == "served":
                    served[event["trial"]] = event["config_key"]
                    distances.append(float(event["distance"]))
                    if fresh_trial:  # a served event follows its trial_start
                        fresh += 1
                        repeated += event["config_key"] in seen
                    seen.add(event["config_key"])
            # The noise floor of the gap: f of the config that served the best trial.
            trial = result.get("best_trial")
            if trial is None:  # an older record: find the trial by its config
                trial = next((t for t, c in configs.items() if c == best_config), None)
            if trial in served:
                scored_gaps.append(abs(fn.final(recorded[served[trial]]) - best[seed]))
        out[strategy] = {
            "best_by_seed": best,
            "median_best": statistics.median(best.values()) if best else math.nan,
            "median_true_best_config": statistics.median(true_best) if true_best else math.nan,
            "fresh_trials": fresh,
            "repeated_share": repeated / fresh if fresh else math.nan,
            "median_served_distance": statistics.median(distances) if distances else math.nan,
            "median_best_gap": statistics.median(gaps) if gaps else math.nan,
            "median_scored_gap": statistics.median(scored_gaps) if scored_gaps else math.nan,
        }
    return out


def _better(direction: str) -> str:
    """Scipy's ``alternative`` for "the first sample is better"."""
    return "greater" if direction == "maximize" else "less"


def _mannwhitney(a: Sequence[float], b: Sequence[float], direction: str) -> tuple[float, float]:
    two = stats.mannwhitneyu(a, b, alternative="two-sided").pvalue
    one = stats.mannwhitneyu(a, b, alternative=_better(direction)).pvalue
    return float(two), float(one)


def _wilcoxon(a: Sequence[float], b: Sequence[float], direction: str) -> tuple[float, float]:
    if len(a) < 2 or all(x == y for x, y in zip(a, b, strict=True)):
        return math.nan, math.nan
    two = stats.wilcoxon(a, b, alternative="two-sided").pvalue
    one = stats.wilcoxon(a, b, alternative=_better(direction)).pvalue
    return float(two), float(one)


def _parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Example: TUNEBENCH_DATA_DIR=... python bench/perf/smooth_replay.py "
        "--table datasets/tables/sampled/events-mlp.parquet --seeds 5",
    )
    ap.add_argument(
        "--table",
        type=Path,
        default=SAMPLED / "covertype-mlp.parquet",
        help="Sampled table whose configs, costs and metadata are kept (default: %(default)s).",
    )
    ap.add_argument(
        "--out", type=Path, default=None, help="Output folder (default: a new temp folder)."
    )
    ap.add_argument(
        "--trials", type=int, default=50, help="Trials (full evaluations) per run (default 50)."
    )
    ap.add_argument("--seeds", type=int, default=20, help="Seeds 0..N-1 (default 20).")
    ap.add_argument(
        "--noise", type=float, default=0.005, help="Sd of each epoch's noise (default 0.005)."
    )
    ap.add_argument(
        "--function-seed", type=int, default=0, help="Seed of f and of its noise (default 0)."
    )
    ap.add_argument(
        "--range",
        type=float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        default=None,
        help="f's range (default 0.3 0.85 maximizing, 0.1 0.5 minimizing).",
    )
    ap.add_argument("--no-reference", action="store_true", help="Skip optuna's loop on f.")
    ap.add_argument("--no-replay", action="store_true", help="Skip the replay matrix.")
    ap.add_argument("--json", type=Path, default=None, help="Also write the numbers here.")
    return ap.parse_args()


def _run_reference(fn: SmoothFunction, trials: int, seeds: Sequence[int]) -> dict[str, Any]:
    """Run and print the reference; return its numbers."""
    t0 = time.perf_counter()
    best = reference(fn, trials, seeds)
    seconds = time.perf_counter() - t0
    print(
        f"\nreference: optuna study.optimize on f, {trials} trials, {len(seeds)} seeds "
        f"({seconds:.0f} s); Mann-Whitney against random"
    )
    print(f"  {'sampler':28s} {'median best':>11s} {'p two-sided':>12s} {'p better':>9s}")
    rows: dict[str, Any] = {}
    for label, values in best.items():
        p2 = p1 = math.nan
        if label != "random":
            p2, p1 = _mannwhitney(values, best["random"], fn.direction)
        rows[label] = {
            "median_best": statistics.median(values),
            "best_by_seed": values,
            "mannwhitney_p": p2,
            "mannwhitney_p_better": p1,
        }
        print(f"  {label:28s} {statistics.median(values):11.4f} {p2:12.2g} {p1:9.2g}")
    return rows


def _run_replay(
    fn: SmoothFunction,
    meta: Mapping[str, Any],
    table: Path,
    recorded: Mapping[str, Mapping[str, Any]],
    out: Path,
    trials: int,
    seeds: Sequence[int],
) -> dict[str, Any]:
    """Run the replay matrix with ``tunebench run``, print and return its numbers."""
    matrix = out / "smooth-replay.toml"
    write_matrix(matrix, meta, table, trials, seeds)
    # The tunebench installed beside this interpreter, so the script measures that one.
    command = [sys.executable, "-m", "tunebench", "run", str(matrix), "-q", "--workers", "1"]
    command += ["--results", str(out / "results"), "--reports", str(out / "reports")]
    print(f"\nreplay: {' '.join(command)}", flush=True)
    t0 = time.perf_counter()
    done = subprocess.run(command, env=os.environ.copy(), check=False)
    if done.returncode != 0:
        raise SystemExit(f"tunebench run failed (exit {done.returncode})")
    seconds = time.perf_counter() - t0
    metrics = replay_metrics(out / "results" / "smooth-replay", fn, recorded)
    by_seed = {s: m["best_by_seed"] for s, m in metrics.items()}
    common = sorted(set(by_seed["tpe"]) & set(by_seed["random"]))
    p2, p1 = _wilcoxon(
        [by_seed["tpe"][s] for s in common], [by_seed["random"][s] for s in common], fn.direction
    )
    print(
        f"  {len(seeds)} seeds x {len(STRATEGIES)} strategies, {trials} full evaluations "
        f"({seconds:.0f} s)"
    )
    print(
        f"  {'strategy':10s} {'median best':>11s} {'f(best cfg)':>11s} {'repeated':>9s} "
        f"{'distance':>9s} {'|f(best cfg)-best|':>19s} {'noise floor':>11s}"
    )
    for strategy, m in metrics.items():
        print(
            f"  {strategy:10s} {m['median_best']:11.4f} {m['median_true_best_config']:11.4f} "
            f"{m['repeated_share']:9.1%} {m['median_served_distance']:9.3f} "
            f"{m['median_best_gap']:19.4f} {m['median_scored_gap']:11.4f}"
        )
    print(
        f"  paired Wilcoxon tpe vs random over {len(common)} seeds: p = {p2:.2g} "
        f"(two-sided), {p1:.2g} (tpe better)"
    )
    print(
        "  repeated: share of fresh trials served a recorded config the run was served "
        "before;\n  distance: median served distance; f(best cfg): median f of the reported "
        "best_config;\n  noise floor: median |f(config that served the best trial) - best|"
    )
    return {
        "command": command,
        "seconds": seconds,
        "strategies": metrics,
        "paired_seeds": common,
        "wilcoxon_p": p2,
        "wilcoxon_p_better": p1,
    }


def main() -> None:
    """Generate the table, run the reference and the replay matrix, print the comparison."""
    args = _parse_args()
    meta = read_meta(args.table)
    name = str(meta["problem"])
    problem = available_problems()[name](**(meta.get("problem_params") or {}))
    space = problem.space()
    if meta.get("space_fingerprint") != space.fingerprint():
        raise SystemExit(f"{args.table}: recorded for another space than {name}'s")
    direction: Direction = "maximize" if problem.direction == "maximize" else "minimize"
    low, high = args.range or DEFAULT_RANGE[direction]
    fn = SmoothFunction(space, direction, (low, high), args.function_seed)
    seeds = list(range(args.seeds))
    out = args.out or Path(tempfile.mkdtemp(prefix="smooth-replay-"))
    out.mkdir(parents=True, exist_ok=True)
    table_path = out / f"{name}-smooth.parquet"
    recorded = make_table(args.table, table_path, fn, args.noise, args.function_seed)
    finals = sorted(fn.final(c) for c in recorded.values())
    best_f, worst_f = (
        (finals[-1], finals[0]) if direction == "maximize" else (finals[0], finals[-1])
    )
    report: dict[str, Any] = {
        "command": [sys.executable, *sys.argv],
        "table": str(args.table),
        "problem": name,
        "direction": direction,
        "dimensions": len(space),
        "configs": len(recorded),
        "epochs": int(meta["epochs"]),
        "trials": args.trials,
        "seeds": len(seeds),
        "noise": args.noise,
        "function_seed": args.function_seed,
        "f_over_table": {"best": best_f, "median": statistics.median(finals), "worst": worst_f},
        "out": str(out),
    }
    print(f"$ {' '.join(report['command'])}")
    print(
        f"{name}: {len(space)} parameters, {len(recorded)} configs, {meta['epochs']} epochs, "
        f"{direction}; f over the table's configs: best {best_f:.4f}, median "
        f"{statistics.median(finals):.4f}, worst {worst_f:.4f}; noise sd {args.noise}"
    )
    print(f"generated table: {table_path}")
    if not args.no_reference:
        report["reference"] = _run_reference(fn, args.trials, seeds)
    if not args.no_replay:
        report["replay"] = _run_replay(fn, meta, table_path, recorded, out, args.trials, seeds)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"numbers written to {args.json}")


if __name__ == "__main__":
    main()
