"""The sections on what was run: setup, surrogate fidelity, and the runs missing."""

from __future__ import annotations

from tunebench.backends.registry import backend_class
from tunebench.records.run_record import RunRecord
from tunebench.reports.analysis.analyze import Analysis
from tunebench.reports.document.model import Section, Table, _num, _table
from tunebench.reports.inputs.load import first_run_record


def _setup_section(a: Analysis) -> Section:
    d = a.data
    sec = Section("Setup", "setup")
    m = d.matrix or {}
    budget = m.get("budget", {})
    cap = (
        f"{budget.get('full_evaluations')} full evaluations"
        if budget.get("full_evaluations")
        else f"{budget.get('seconds')} s"
        if budget.get("seconds")
        else "unknown"
    )
    seeds = sorted({int(s) for s in d.complete["seed"]})
    commits = sorted({str(c)[:10] for c in d.complete["git_commit"].dropna()})
    backends = sorted({str(b) for b in d.complete["backend"].dropna()})
    rows = [
        ["matrix", d.matrix_name],
        ["results folder", str(d.results)],
        ["mode", ", ".join(sorted({p.info.mode for p in a.problems.values()}))],
        ["budget per run", cap],
        [
            "seeds",
            f"{len(seeds)} ({', '.join(map(str, seeds[:20]))}{', ...' if len(seeds) > 20 else ''})",
        ],
        [
            "problems",
            ", ".join(
                f"{p.info.name} ({p.info.metric}, {p.info.direction}, {p.info.max_epochs} epochs)"
                for p in a.problems.values()
            ),
        ],
        ["strategies", ", ".join(d.strategies)],
        ["runs", f"{len(d.complete)} complete of {d.n_planned} planned"],
        ["retrains of the incumbent", str((m.get("final") or {}).get("retrain_repeats", 0))],
        ["Keras backend", ", ".join(backends) or "n/a"],
        ["git commit(s)", ", ".join(commits) or "n/a"],
    ]
    sec.blocks.append(Table(["", ""], rows))
    return sec


def _surrogate_section(a: Analysis) -> Section | None:
    """The held-out fidelity of every surrogate the runs were served by, as fitted."""
    sec = Section("Surrogate fidelity", "surrogate-fidelity")
    for p in a.problems.values():
        if not backend_class(p.info.mode).serves_surrogate:
            continue
        # the problem's first run says what served it; a failed one records no provenance
        record = first_run_record(a.data.results, p.info.name)
        if not isinstance(record, RunRecord):
            continue
        data = record.provenance.get("data") or {}
        fid = data.get("fidelity")
        if not fid:
            continue
        sec.blocks.append(
            f"{p.info.name}: surrogate {data.get('surrogate')}, fitted on {data.get('table')} "
            f"(sha256 {str(data.get('table_sha256'))[:12]}) with XGBoost "
            f"{(data.get('versions') or {}).get('xgboost')}; measured on configs held out from "
            f"the fit ({fid['folds']} folds by config, {fid['configs']} configs). Validation "
            f"predictions outside the metric's range: {fid['out_of_range']:.2%}. Noise: the "
            f"median |repeat 0 - repeat 1| is {fid['noise']['recorded_median_abs_diff']:.4g} in "
            f"the table and {fid['noise']['drawn_median_abs_diff']:.4g} between the "
            f"surrogate's draws (ratio {fid['noise']['ratio']:.2f}); the means are "
            f"{fid['noise']['recorded_mean_abs_diff']:.4g} and "
            f"{fid['noise']['drawn_mean_abs_diff']:.4g}."
        )
        rows = [
            [str(e), _num(fid["value"][str(e)]["spearman"], 3), _num(fid["value"][str(e)]["r2"], 3),
             _num(fid["seconds"][str(e)]["spearman"], 3), _num(fid["seconds"][str(e)]["r2"], 3)]
            for e in fid["epochs"]
        ]  # fmt: skip
        head = ["epoch", "validation Spearman", "validation R2", "seconds Spearman", "seconds R2"]
        sec.blocks.append(Table(head, rows))
    return sec if sec.blocks else None


_MISSING_COLUMNS = [(c, c) for c in ("problem", "strategy", "seed", "state", "error")]


def _missing_section(a: Analysis) -> Section | None:
    d = a.data
    if d.matrix is None:
        return Section(
            "Missing",
            "missing",
            blocks=[
                "No matrix.json in the results folder: the planned runs are unknown, so only "
                "runs found incomplete or failed can be listed."
            ]
            + (
                [
                    _table(
                        d.missing,
                        _MISSING_COLUMNS,
                    )
                ]
                if len(d.missing)
                else []
            ),
        )
    if d.missing.empty:
        return None
    counts = d.missing["state"].value_counts().sort_index()
    sec = Section("Missing", "missing")
    sec.blocks.append(
        f"{len(d.missing)} of {d.n_planned} planned runs are not in this report ("
        + ", ".join(f"{n} {state}" for state, n in counts.items())
        + "). Everything below is computed from the complete runs only; statistics use "
        "only blocks where every compared strategy is complete. Run `tunebench run` again "
        "to finish them."
    )
    sec.blocks.append(
        _table(
            d.missing,
            _MISSING_COLUMNS,
        )
    )
    return sec
