"""The report's tables as CSV files (``tables/*.csv``), for readers who want the numbers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from tunebench.reports.analysis.agreement import VERDICT_COLUMNS
from tunebench.reports.analysis.analyze import Analysis
from tunebench.reports.analysis.fidelity import TABLE_COLUMNS

__all__ = ["write_csv_tables"]


def _per_problem(a: Analysis, attr: str) -> pd.DataFrame:
    frames = []
    for name, p in a.problems.items():
        frame = getattr(p, attr)
        if frame is not None and len(frame):
            frames.append(frame.assign(problem=name)[["problem", *frame.columns]])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _regret_scale_rows(a: Analysis) -> pd.DataFrame:
    """Per problem and kind (validation, test): what regret 0 and 1 are, in value and words."""
    rows = []
    for name, p in a.problems.items():
        for kind, norm in (("validation", p.val_norm), ("test", p.test_norm)):
            rows.append(
                {
                    "problem": name,
                    "regret": kind,
                    "zero": norm.best,
                    "zero_name": norm.zero_name,
                    "reference": norm.reference,
                    "reference_name": norm.reference_name,
                }
            )
    columns = ["problem", "regret", "zero", "zero_name", "reference", "reference_name"]
    return pd.DataFrame(rows, columns=columns)


def _leaderboard_rows(a: Analysis) -> pd.DataFrame:
    """One row per budget checkpoint and strategy, with the checkpoint's test verdicts."""
    frames = []
    for cp in a.leaderboard:
        res = cp.friedman
        frames.append(
            cp.table.assign(
                budget=cp.label,
                blocks=cp.n_blocks,
                friedman_p=res.pvalue,
                nemenyi_cd=res.cd,
                significant_pairs=cp.n_significant,
                pairs=len(cp.wilcoxon),
            )
        )
    table = pd.concat(frames, ignore_index=True)
    first = ["budget", "blocks", "friedman_p", "nemenyi_cd", "significant_pairs", "pairs"]
    return table[[*first, *[c for c in table.columns if c not in first]]]


def _friedman_rows(a: Analysis) -> pd.DataFrame:
    rows = []
    items = [(n, p.friedman) for n, p in a.problems.items()]
    if a.overall_friedman is not None:
        items.append(("overall", a.overall_friedman))
    for name, r in items:
        rows.append(
            {
                "scope": name,
                "strategies": len(r.strategies),
                "blocks": r.n_blocks,
                "chi2": r.statistic,
                "p": r.pvalue,
                "alpha": r.alpha,
                "nemenyi_cd": r.cd,
                "note": r.note,
                **{f"avg_rank[{s}]": v for s, v in sorted(r.avg_ranks.items())},
            }
        )
    return pd.DataFrame(rows)


def _wilcoxon_rows(a: Analysis) -> pd.DataFrame:
    frames = [p.wilcoxon.assign(scope=n) for n, p in a.problems.items() if len(p.wilcoxon)]
    if a.overall_wilcoxon is not None and len(a.overall_wilcoxon):
        frames.append(a.overall_wilcoxon.assign(scope="overall"))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out[["scope", *[c for c in out.columns if c != "scope"]]]


FIDELITY_COLUMNS = [
    "problem",
    "tested",
    "tested_mode",
    "reference",
    "reference_mode",
    "tested_seeds",
    "reference_seeds",
    "strategies",
    "tau",
    "p",
    "val_tau",
    "val_p",
    "note",
    "tested_backend",
    "reference_backend",
    "paired_seeds",
    "rank_tau",
    "rank_p",
    "rank_tau_low",
    "rank_tau_high",
]


_PAIR_COLUMNS = ["problem", "tested", "tested_mode", "reference", "reference_mode"]


def _per_pair(
    a: Analysis, part: str, columns: list[str], extra: Callable[[Any], dict[str, Any]]
) -> pd.DataFrame:
    """One part (``table`` or ``verdicts``) of every compared pair of modes, stacked.

    Each row carries its pair's names and the ``extra`` columns of its pair.
    """
    frames = [
        getattr(r, part).assign(
            problem=r.problem,
            tested=r.tested,
            tested_mode=r.tested_mode,
            reference=r.reference,
            reference_mode=r.reference_mode,
            **extra(r),
        )[columns]
        for r in a.fidelity
        if len(getattr(r, part))
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def _fidelity_rows(a: Analysis) -> pd.DataFrame:
    """Per compared pair of modes and strategy: medians and ranks, with the pair's tau."""

    def extra(r: Any) -> dict[str, Any]:
        interval = r.rank_tau_interval
        return {
            "tested_seeds": r.tested_seeds,
            "reference_seeds": r.reference_seeds,
            "strategies": r.n,
            "tau": r.tau,
            "p": r.pvalue,
            "val_tau": r.val_tau,
            "val_p": r.val_pvalue,
            "note": r.note,
            "tested_backend": r.tested_backend,
            "reference_backend": r.reference_backend,
            "paired_seeds": r.paired_seeds,
            "rank_tau": r.rank_tau,
            "rank_p": r.rank_pvalue,
            "rank_tau_low": None if interval is None else interval[0],
            "rank_tau_high": None if interval is None else interval[1],
        }

    return _per_pair(a, "table", FIDELITY_COLUMNS + TABLE_COLUMNS, extra)


def _verdict_rows(a: Analysis) -> pd.DataFrame:
    """Per compared pair of modes and pair of strategies: each mode's verdict."""
    return _per_pair(a, "verdicts", _PAIR_COLUMNS + VERDICT_COLUMNS, lambda r: {})


def _front_tables(a: Analysis) -> dict[str, pd.DataFrame]:
    """A multi-objective report's tables: runs, curves, fronts, surfaces, true fronts."""
    parts: dict[str, list[pd.DataFrame]] = {}
    for name, p in a.problems.items():
        f = p.fronts
        if f is None:
            continue
        for table, frame in (
            ("hypervolume_runs", f.final),
            ("hypervolume_over_budget", f.anytime),
            ("fronts", f.fronts),
            ("attainment", f.attainment),
            ("true_front", f.true_front),
        ):
            if frame is not None and len(frame):
                parts.setdefault(table, []).append(
                    frame.assign(problem=name)[["problem", *frame.columns]]
                )
    return {k: pd.concat(v, ignore_index=True) for k, v in parts.items()}


def write_csv_tables(a: Analysis, folder: Path) -> list[Path]:
    """Write every table of the report as CSV into ``folder``.

    Returns:
        The written files.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("*.csv")):
        old.unlink()
    anytime_all = _per_problem(a, "anytime")
    regret = _per_problem(a, "regret")
    tables: dict[str, pd.DataFrame] = {
        "final_scores": _per_problem(a, "final_table"),
        "final_runs": _per_problem(a, "final"),
        "anytime": anytime_all,
        "regret_over_budget": regret,
        "regret_scale": _regret_scale_rows(a),
        "rank_over_budget": _per_problem(a, "ranks"),
        "friedman_nemenyi": _friedman_rows(a),
        "wilcoxon_holm": _wilcoxon_rows(a),
        "speedup": _per_problem(a, "speedup"),
        "cost": _per_problem(a, "cost"),
        "importance": _per_problem(a, "importance"),
        "best_configs": _per_problem(a, "best"),
        "spearman": _per_problem(a, "spearman"),
        "prune_fraction": _per_problem(a, "prune"),
        "missing": a.data.missing,
        "fidelity": _fidelity_rows(a),
        "fidelity_verdicts": _verdict_rows(a),
    }
    if a.multi_objective:
        tables.update(_front_tables(a))
    if a.leaderboard:
        tables["leaderboard"] = _leaderboard_rows(a)
    if a.overall_ranks is not None:
        tables["rank_over_budget_overall"] = a.overall_ranks
    if a.overall_regret is not None:
        tables["regret_over_budget_overall"] = a.overall_regret
    paths = []
    for name, frame in tables.items():
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False, float_format="%.6g", lineterminator="\n")
        paths.append(path)
    return paths
