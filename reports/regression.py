"""Regression checks: compare a results folder with a stored baseline.

``tunebench check results/<matrix> --baseline FILE`` fails (exit 1) when, for
some problem x strategy cell,

* the median final score moved outside the tolerance the baseline stores,
  derived from the baseline's own spread over seeds;
* its proposals stopped depending on the seed (every seed proposed the same
  sequence of configs, or found the same incumbent, where the baseline's seeds
  differed): the symptom of a strategy that ignores its seed or always
  proposes the same config;
* more runs failed than in the baseline, or a run spent more than its budget;
* a run is missing or incomplete.

``--update-baseline`` writes the baseline from the results instead. The
baseline is JSON, one entry per cell: the per-seed scores, their median, the
tolerance, budget used, failed runs and distinct incumbents.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tunebench.records.events import Cost, Event
from tunebench.records.layout import run_folders
from tunebench.records.storage import TRIALS_FILE, read_events, write_json_atomic
from tunebench.reports.inputs.collect import collect, record_warnings

__all__ = [
    "Finding",
    "build_baseline",
    "compare",
    "compare_logs",
    "format_findings",
    "read_baseline",
    "write_baseline",
]

BASELINE_VERSION = 1
# Tolerance = TOL_SPREAD x the baseline's spread over seeds, at least TOL_FLOOR x the
# metric's scale: a median outside it is a shift the seed noise does not explain.
TOL_SPREAD = 3.0
TOL_FLOOR = 0.01
MIN_SEEDS = 3


@dataclass(frozen=True)
class Finding:
    """One compared quantity of one cell."""

    cell: str
    metric: str
    baseline: str
    now: str
    ok: bool
    note: str = ""


def _score(runs: pd.DataFrame) -> pd.Series:
    """The final score of each run: mean retrain test score if any, else the run's one score."""
    score = runs["retrain_test_mean"].astype(float)
    return score.where(score.notna(), runs["score_test_value"].astype(float))


def _cells(runs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {f"{p}/{s}": group for (p, s), group in runs.groupby(["problem", "strategy"])}


def build_baseline(results: Path) -> dict[str, Any]:
    """Summarise a results folder into a baseline."""
    tables = collect(results)
    runs = tables["runs"]
    trials = tables["trials"]
    cells: dict[str, Any] = {}
    for cell, group in _cells(runs).items():
        done = group[group["status"] == "complete"].sort_values("seed")
        scores = _score(done).to_numpy(dtype=float)
        finite = scores[np.isfinite(scores)]
        median = float(np.median(finite)) if len(finite) else math.nan
        spread = float(np.subtract(*np.percentile(finite, [75, 25]))) if len(finite) > 1 else 0.0
        scale = abs(median) if math.isfinite(median) and median != 0 else 1.0
        # Fewer than MIN_SEEDS seeds have no spread to derive a tolerance from.
        tolerance = (
            max(TOL_SPREAD * spread, TOL_FLOOR * scale) if len(finite) >= MIN_SEEDS else None
        )
        cells[cell] = {
            "seeds": [int(s) for s in done["seed"]],
            "scores": [None if not math.isfinite(v) else float(v) for v in scores],
            "median": median,
            "tolerance": tolerance,
            "budget_used_max": float(done["budget_used"].max()) if len(done) else 0.0,
            "failed_runs": int((group["status"] != "complete").sum()),
            "distinct_incumbents": _distinct_incumbents(done, trials),
            "distinct_proposals": _distinct_proposals(done, trials),
        }
    return {
        "version": BASELINE_VERSION,
        "matrix": results.name,
        "score": "retrain_test_mean if [final] retrains ran, else the incumbent's test_value",
        "cells": cells,
    }


def _distinct_incumbents(done: pd.DataFrame, trials: pd.DataFrame) -> int:
    if done.empty or trials.empty:
        return 0
    keys = done[["problem", "strategy", "seed", "best_trial"]].dropna()
    merged = keys.merge(
        trials[["problem", "strategy", "seed", "trial", "config"]],
        left_on=["problem", "strategy", "seed", "best_trial"],
        right_on=["problem", "strategy", "seed", "trial"],
    )
    return int(merged["config"].nunique())


def _distinct_proposals(done: pd.DataFrame, trials: pd.DataFrame) -> int:
    """How many seeds proposed a different sequence of configs (1: seed-blind)."""
    if done.empty or trials.empty:
        return 0
    keys = done[["problem", "strategy", "seed"]]
    mine = trials.merge(keys, on=["problem", "strategy", "seed"]).sort_values(["seed", "trial"])
    return int(mine.groupby("seed")["config"].agg(tuple).nunique())


def compare(
    results: Path, baseline: dict[str, Any], warn: Callable[[str], None] | None = None
) -> list[Finding]:
    """Every finding of ``results`` against ``baseline`` (check ``ok`` on each).

    Args:
        results: ``results/<matrix>``.
        baseline: The stored baseline.
        warn: Told one line per damaged run (it counts as not complete) and per log
            changed since its run completed.
    """
    now = build_baseline(results)
    tables = collect(results)
    runs = tables["runs"]
    if warn is not None:
        for line in record_warnings(runs):
            warn(line)
    findings: list[Finding] = []
    for cell, base in sorted(baseline["cells"].items()):
        cur = now["cells"].get(cell)
        if cur is None:
            findings.append(Finding(cell, "runs", str(len(base["seeds"])), "0", False, "missing"))
            continue
        missing = sorted(set(base["seeds"]) - set(cur["seeds"]))
        findings.append(
            Finding(
                cell, "complete runs", str(len(base["seeds"])), str(len(cur["seeds"])),
                not missing, f"missing seeds {missing}" if missing else "",
            )
        )  # fmt: skip
        moved = abs(cur["median"] - base["median"])
        if base["tolerance"] is None:
            ok, note = True, f"not gated: fewer than {MIN_SEEDS} seeds (moved {moved:.4f})"
        else:
            ok = math.isfinite(moved) and moved <= base["tolerance"]
            note = f"moved {moved:.4f}, tolerance {base['tolerance']:.4f}"
        findings.append(
            Finding(
                cell, "median final score", f"{base['median']:.4f}", f"{cur['median']:.4f}", ok,
                note,
            )
        )  # fmt: skip
        for key, label in (
            ("distinct_proposals", "distinct proposals over seeds"),
            ("distinct_incumbents", "distinct incumbents over seeds"),
        ):
            collapsed = base.get(key, 0) >= 2 and cur[key] < 2
            findings.append(
                Finding(
                    cell, label, str(base.get(key)), str(cur[key]), not collapsed,
                    "no longer depends on the seed" if collapsed else "",
                )
            )  # fmt: skip
        findings.append(
            Finding(
                cell, "failed runs", str(base["failed_runs"]), str(cur["failed_runs"]),
                cur["failed_runs"] <= base["failed_runs"],
            )
        )  # fmt: skip
    over = runs[runs["budget_used"] > runs["budget_full_evaluations"] + 1e-9]
    for row in over.itertuples():
        findings.append(
            Finding(
                f"{row.problem}/{row.strategy}", f"budget (seed {row.seed})",
                str(row.budget_full_evaluations), f"{row.budget_used:.3f}", False, "overspent",
            )
        )  # fmt: skip
    return findings


def format_findings(findings: list[Finding], *, all_rows: bool = False) -> str:
    """A plain-text table; by default only what moved, plus a count of what held."""
    rows = [f for f in findings if all_rows or not f.ok]
    width = max([len(f.cell) for f in rows] + [4])
    lines = [f"{'cell':<{width}}  {'check':<30} {'baseline':>10} {'now':>10}  result"]
    for f in rows:
        verdict = "ok" if f.ok else "FAIL"
        note = f"  ({f.note})" if f.note else ""
        lines.append(
            f"{f.cell:<{width}}  {f.metric:<30} {f.baseline:>10} {f.now:>10}  {verdict}{note}"
        )
    held = sum(f.ok for f in findings)
    lines.append(f"{held} of {len(findings)} checks held")
    return "\n".join(lines)


def write_baseline(results: Path, path: Path) -> dict[str, Any]:
    """Build the baseline of ``results`` and write it to ``path``."""
    baseline = build_baseline(results)
    write_json_atomic(path, baseline)
    return baseline


def read_baseline(path: Path) -> dict[str, Any]:
    """Read a baseline file.

    Raises:
        ValueError: Not a baseline of a version this tunebench reads.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != BASELINE_VERSION or "cells" not in data:
        raise ValueError(f"{path}: not a tunebench baseline (version {BASELINE_VERSION})")
    return dict(data)


def _comparable(run_dir: Path) -> list[Event]:
    """A run's events without the fields allowed to differ between repeats (timings)."""
    out = []
    for event in read_events(run_dir):
        cost = getattr(event, "cost", None)
        if isinstance(cost, Cost):
            event = dataclasses.replace(event, cost=dataclasses.replace(cost, seconds=0.0))  # type: ignore[call-arg]
        out.append(dataclasses.replace(event, t=0.0))
    return out


def compare_logs(results: Path, other: Path) -> list[Finding]:
    """Determinism: every run's trial log must equal the same run's in ``other``."""
    findings = []
    for run_dir in run_folders(results, with_file=TRIALS_FILE):
        rel = run_dir.relative_to(results)
        cell = f"{rel.parts[0]}/{rel.parts[1]}"
        twin = other / rel
        if not (twin / TRIALS_FILE).is_file():
            findings.append(Finding(cell, f"determinism ({rel.parts[2]})", "log", "absent", False))
            continue
        a, b = _comparable(run_dir), _comparable(twin)
        first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
        same = first is None and len(a) == len(b)
        note = "" if same else f"first difference at event {first if first is not None else len(b)}"
        findings.append(
            Finding(cell, f"determinism ({rel.parts[2]})", f"{len(a)} ev", f"{len(b)} ev", same,
                    note)
        )  # fmt: skip
    return findings
