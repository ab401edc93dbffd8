"""The commands that read a results folder: check, collect, export, report, figures, summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tunebench.cli.app import _CANNOT_WRITE, EXIT_CODES, _cannot_write, _fail, _results, _warn, app

__all__ = ["check", "collect", "export_app", "figures", "report", "summary"]


@app.command(epilog=EXIT_CODES)
def check(
    results: Annotated[Path, typer.Argument(help="A matrix's results folder.")],
    baseline: Annotated[Path | None, typer.Option("--baseline", help="Baseline JSON file.")] = None,
    update_baseline: Annotated[
        bool, typer.Option("--update-baseline", help="Write the baseline from RESULTS.")
    ] = False,
    same_as: Annotated[
        Path | None,
        typer.Option("--same-as", help="Also require identical trial logs to this results folder."),
    ] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Show checks that held too.")] = False,
    integrity: Annotated[
        bool,
        typer.Option(
            "--integrity",
            help="Verify every complete run's trials.jsonl against the SHA-256 in its run.json.",
        ),
    ] = False,
) -> None:
    """Fail (exit 1) when results regressed against a stored baseline, or fail integrity."""
    results = _results(results)
    if integrity:
        _check_integrity(results, show_all)
    if baseline is None:
        if integrity:
            return
        raise _fail("give --baseline FILE (regression check) or --integrity (or both)")
    same_as = None if same_as is None else _results(same_as)
    from tunebench.reports.regression import (
        compare,
        compare_logs,
        format_findings,
        read_baseline,
        write_baseline,
    )

    try:
        if update_baseline:
            written = write_baseline(results, baseline)
            typer.echo(f"wrote {baseline} ({len(written['cells'])} cells)")
            return
        findings = compare(results, read_baseline(baseline), warn=_warn)
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from None
    if same_as is not None:
        findings += compare_logs(results, same_as)
    typer.echo(format_findings(findings, all_rows=show_all))
    if not all(f.ok for f in findings):
        bad = sorted({f"{f.cell}: {f.metric}" for f in findings if not f.ok})
        raise _fail(f"regression check failed: {'; '.join(bad)}", code=1)


def _check_integrity(results: Path, show_all: bool) -> None:
    """``check --integrity``: one line per run that fails; exit 1 if any does."""
    from tunebench.records.integrity import verify_folder

    if not results.is_dir():
        raise _fail(f"{results}: no such results folder")
    report = verify_folder(results)
    for line in report.lines(show_all=show_all):
        typer.echo(line)
    typer.echo(report.summary())
    if report.failures:
        raise _fail(
            f"integrity check failed: {len(report.failures)} of {report.n_runs} runs differ "
            "from their records or cannot be read",
            code=1,
        )


@app.command(epilog=EXIT_CODES)
def collect(
    results: Annotated[Path, typer.Argument(help="A matrix's results folder.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default RESULTS/tables).")
    ] = None,
) -> None:
    """Collect a results folder into Parquet tables: runs, trials, epochs."""
    from tunebench.reports.inputs.collect import write_tables

    results = _results(results)
    try:
        paths = write_tables(results, out, warn=_warn)
    except FileNotFoundError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        if exc.errno not in _CANNOT_WRITE:
            raise
        raise _cannot_write(exc) from None
    import pandas as pd

    for name, path in paths.items():
        typer.echo(f"{name:<7} {len(pd.read_parquet(path)):>8} rows  {path}")


export_app = typer.Typer(
    help="Export a results folder to another tool's format.", no_args_is_help=True
)

app.add_typer(export_app, name="export")


@export_app.command("optuna", epilog=EXIT_CODES)
def export_optuna(
    results: Annotated[Path, typer.Argument(help="A matrix's results folder.")],
    storage: Annotated[
        str, typer.Option("--storage", help="optuna storage URL, e.g. sqlite:///study.db.")
    ],
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Replace studies of the same name with other trials."),
    ] = False,
) -> None:
    """Write every run as an optuna study (open it with optuna-dashboard URL)."""
    from tunebench.reports.optuna_export import ExportError
    from tunebench.reports.optuna_export import export_optuna as export

    results = _results(results)
    try:
        done = export(results, storage, overwrite=overwrite)
    except ExportError as exc:
        raise _fail(str(exc)) from None
    typer.echo(
        f"{len(done.written)} studies written ({done.trials} trials), "
        f"{len(done.unchanged)} unchanged, to {storage}"
    )
    if done.skipped:
        typer.echo(f"skipped {len(done.skipped)} runs without a run.json", err=True)


ReportOut = Annotated[
    Path | None, typer.Option("--out", help="Report folder (default reports/<matrix name>).")
]


@app.command(epilog=EXIT_CODES)
def report(
    results: Annotated[Path, typer.Argument(help="A matrix's results folder.")],
    out: ReportOut = None,
) -> None:
    """Write the report of a results folder: index.html, report.md, figures, tables."""
    from tunebench.reports.report import ReportError, build_report

    results = _results(results)
    try:
        index = build_report(results, out, warn=_warn)
    except ReportError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"report: {index}  (Markdown: {index.parent / 'report.md'})")


@app.command(epilog=EXIT_CODES)
def figures(
    results: Annotated[Path, typer.Argument(help="A matrix's results folder.")],
    out: ReportOut = None,
) -> None:
    """Regenerate only the report's figures (PNG and SVG) from the stored results."""
    from tunebench.reports.report import ReportError, build_figures

    results = _results(results)
    try:
        paths = build_figures(results, out, warn=_warn)
    except ReportError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"{len(paths)} figure files in {paths[0].parent if paths else out}")


@app.command(epilog=EXIT_CODES)
def summary(
    results: Annotated[Path, typer.Argument(help="A matrix's results folder.")],
    out: Annotated[Path | None, typer.Option("--out", help="Output folder.")] = None,
) -> None:
    """Regenerate the summary table of a results folder (no training)."""
    from tunebench.reports.summary import write_summary

    results = _results(results)
    target = out or Path("reports") / results.name
    try:
        table = write_summary(results, target, warn=_warn)
    except FileNotFoundError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        if exc.errno not in _CANNOT_WRITE:
            raise
        raise _cannot_write(exc) from None
    typer.echo(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
