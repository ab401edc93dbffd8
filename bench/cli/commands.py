"""The ``tunebench`` command line.

Exit codes: 0 success; 1 some runs failed (the rest are recorded), a results folder
that cannot be written (read-only, full), or records that fail ``check --integrity``; 2 bad
input (matrix file, results folder of another matrix, backend), nothing written.
"""

from __future__ import annotations

import errno
import logging
import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tunebench import __version__

if TYPE_CHECKING:
    from tunebench.execution.matrix_runner import MatrixRunner
    from tunebench.matrix.schema import Matrix

__all__ = ["app", "main"]

#: The exit codes, as every command's --help ends with them.
EXIT_CODES = (
    "Exit codes: 0 success; 1 some runs failed (the rest are recorded), a results folder "
    "that cannot be written, or a check that does not hold; 2 bad input (matrix file, "
    "names, options, a results folder of another matrix), nothing written."
)

app = typer.Typer(
    name="tunebench",
    help="Benchmark hyperparameter-search strategies under matched budgets.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"tunebench: error: {message}", err=True)
    return typer.Exit(code)


def _warn(line: str) -> None:
    typer.echo(f"tunebench: warning: {line}", err=True)


#: What a folder that cannot be written answers: read-only, no permission, full, over quota.
_CANNOT_WRITE = {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT}


def _cannot_write(exc: OSError, folder: Path | None = None) -> typer.Exit:
    """One line for a folder that cannot be written (read-only, full, no permission)."""
    where = exc.filename or folder
    return _fail(f"cannot write{f' {where}' if where else ''}: {exc.strerror or exc}", code=1)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tunebench {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Benchmark hyperparameter-search strategies under matched budgets."""


DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar=["TUNEBENCH_DATA", "TUNEBENCH_DATA_DIR"],
        help="Folder with local copies of dataset files (env TUNEBENCH_DATA).",
    ),
]


@app.command(epilog=EXIT_CODES)
def run(
    matrix_file: Annotated[
        Path,
        typer.Argument(
            metavar="MATRIX",
            help="Matrix TOML file, or a shipped matrix by name (tunebench list matrices).",
        ),
    ],
    results: Annotated[
        Path, typer.Option("--results", help="Results root; runs go to RESULTS/<matrix name>/.")
    ] = Path("results"),
    reports: Annotated[
        Path, typer.Option("--reports", help="Reports root; the summary goes to REPORTS/<name>/.")
    ] = Path("reports"),
    data_dir: DataDir = None,
    force: Annotated[bool, typer.Option("--force", help="Rerun complete runs too.")] = False,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Worker processes (default: cores / threads)."),
    ] = None,
    threads: Annotated[
        int | None, typer.Option("--threads", min=1, help="Threads per worker (default 1).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Run every run as a task on this Dask scheduler."),
    ] = None,
    dask_local: Annotated[
        int | None,
        typer.Option("--dask-local", min=1, help="Start a Dask LocalCluster with N workers."),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="No progress and no summary table at the end (errors and warnings still print).",
        ),
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="A line per run.")] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Print the plan (runs per entry, complete, to run, live training time left) "
            "and run nothing.",
        ),
    ] = False,
) -> None:
    """Run a benchmark matrix; complete runs are skipped, others (re)start."""
    from tunebench.datasets.files import DatasetError
    from tunebench.errors import TunebenchError
    from tunebench.execution.keras_env import BackendError
    from tunebench.execution.matrix_runner import MatrixRunner, ResultsMismatchError

    if scheduler and dask_local:
        raise _fail("--scheduler and --dask-local exclude each other; pick one")
    matrix_file = _matrix_path(matrix_file)
    matrix = _load(matrix_file, data_dir)
    runner = MatrixRunner(
        matrix,
        results,
        data_dir=data_dir,
        force=force,
        workers=workers,
        threads=threads,
        base_dir=matrix_file.resolve().parent,
    )
    try:
        runner.check_results_folder()
    except ResultsMismatchError as exc:
        raise _fail(str(exc)) from None
    if dry_run:
        from tunebench.execution.estimate import estimate, format_estimate

        typer.echo(f"{matrix.name}: {len(runner.runs)} runs in {runner.root} (dry run)")
        for line in format_estimate(estimate(runner.runs, runner.pending()), runner.workers):
            typer.echo(line)
        return
    try:
        _run_matrix(runner, matrix, reports, scheduler, dask_local, quiet, verbose)
    except (BackendError, DatasetError) as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:  # a read-only or full results folder: nothing marked complete
        if isinstance(exc, TunebenchError):
            raise _fail(str(exc), code=exc.exit_code) from None
        if exc.errno not in _CANNOT_WRITE:
            raise
        raise _cannot_write(exc, runner.root) from None


def _run_matrix(
    runner: MatrixRunner,
    matrix: Matrix,
    reports: Path,
    scheduler: str | None,
    dask_local: int | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """``tunebench run`` once the matrix and its folder are accepted."""
    from tunebench.execution.matrix_runner import DaskExecutor, Executor
    from tunebench.execution.progress import BarProgress, LineProgress, Progress
    from tunebench.reports.summary import write_summary

    if not runner.pending():
        typer.echo(
            f"nothing to do: all {len(runner.runs)} runs in {runner.root} are complete "
            "(--force reruns them)",
            err=True,
        )
    progress: Progress
    if quiet or not sys.stderr.isatty():
        progress = LineProgress(quiet=quiet)
    else:
        progress = BarProgress(verbose=verbose)
    executor: Executor | None = None
    if (scheduler or dask_local) and runner.pending():
        executor = DaskExecutor(scheduler, local_workers=dask_local or 2, threads=runner.threads)
    failed = busy = 0
    for outcome in runner.execute(progress, executor):
        failed += outcome.status == "failed"
        busy += outcome.status == "busy"
        for note in outcome.notes:
            _warn(note)
    if busy:
        typer.echo(
            f"{busy} runs were held by another process, which runs them; "
            "rerun when it is done to see them in the summary",
            err=True,
        )
    table = write_summary(runner.root, reports / matrix.name, warn=_warn)
    if not quiet:
        typer.echo(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        typer.echo(f"results: {runner.root}  summary: {reports / matrix.name / 'summary.md'}")
    if failed:
        raise _fail(f"{failed} of {len(runner.runs)} runs failed; see their run.json", code=1)


def _results(path: Path) -> Path:
    """The matrix results folder ``path`` names (its parent works when it holds one)."""
    from tunebench.records.layout import ResultsFolderError, resolve_matrix_folder

    try:
        folder, note = resolve_matrix_folder(path)
    except ResultsFolderError as exc:
        raise _fail(str(exc)) from None
    if note:
        typer.echo(note, err=True)
    return folder


def shipped_matrices() -> dict[str, Path]:
    """The matrix files that ship with tunebench, by name (``smoke``, ``study``, ...)."""
    from importlib.resources import files

    folder = files("tunebench.matrices")
    found = {
        item.name.removesuffix(".toml"): Path(str(item))
        for item in folder.iterdir()
        if item.name.endswith(".toml")
    }
    return dict(sorted(found.items()))


def _matrix_path(given: Path) -> Path:
    """A matrix file as given, or a shipped matrix named without path or suffix."""
    if given.exists() or given.suffix or len(given.parts) > 1:
        return given
    shipped = shipped_matrices()
    if given.name not in shipped:
        raise _fail(f"{given}: no such file, nor a shipped matrix; shipped: {', '.join(shipped)}")
    return shipped[given.name]


def _load(matrix_file: Path, data_dir: Path | None = None) -> Matrix:
    """Load a matrix and refuse whatever would fail its runs, or exit 2 with one line."""
    from tunebench.datasets import available_problems
    from tunebench.matrix.load import load_matrix, matrix_problems
    from tunebench.matrix.preflight import check_matrix
    from tunebench.matrix.schema import MatrixError
    from tunebench.strategies import available_strategies

    problems = available_problems()
    strategies = available_strategies()
    try:
        matrix = load_matrix(matrix_file, problems=problems, strategies=strategies)
        # the registry's problems and those of the entries' own files
        problems = matrix_problems(matrix, matrix_file.resolve().parent)
        warnings = check_matrix(
            matrix, matrix_file, problems=problems, strategies=strategies, data_dir=data_dir
        )
    except MatrixError as exc:
        raise _fail(str(exc)) from None
    for warning in warnings:
        typer.echo(f"tunebench: warning: {warning}", err=True)
    return matrix


class BackendName(str, Enum):
    """``--backend``'s choices: the Keras backends (:data:`tunebench.runspec.KERAS_BACKENDS`)."""

    tensorflow = "tensorflow"
    torch = "torch"
    jax = "jax"


class LinkName(str, Enum):
    """``--link``'s choices (:data:`tunebench.curves.surrogate.LINKS`)."""

    identity = "identity"
    log = "log"
    logit = "logit"


class Listing(str, Enum):
    """What ``tunebench list`` can list."""

    problems = "problems"
    strategies = "strategies"
    datasets = "datasets"
    matrices = "matrices"


surrogate_app = typer.Typer(
    help="Learning-curve surrogates: fit one on a sampled table, show its fidelity.",
    no_args_is_help=True,
)
app.add_typer(surrogate_app, name="surrogate")


@surrogate_app.command("fit", epilog=EXIT_CODES)
def surrogate_fit(
    problem: Annotated[str, typer.Argument(help="Problem name (tunebench list problems).")],
    table: Annotated[
        Path | None, typer.Option("--table", help="Sampled table (default: the shipped one).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Surrogate file to write (default: PROBLEM.json.gz in this folder)."
        ),
    ] = None,
    rounds: Annotated[
        int,
        typer.Option(
            "--rounds", min=1, help="Boosting rounds of the value and test models (others: half)."
        ),
    ] = 200,
    folds: Annotated[int, typer.Option("--folds", min=2, help="Held-out folds.")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the folds and models.")] = 0,
    link: Annotated[
        LinkName | None,
        typer.Option("--link", help="How values are fitted (default: by the metric)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
) -> None:
    """Fit PROBLEM's surrogate (XGBoost) on a sampled table; print its held-out fidelity.

    It is written to the working folder unless ``--out`` says where, never over the
    surrogate that ships inside the installed package; a matrix entry uses it through
    its ``surrogate`` key.
    """
    from tunebench.curves.surrogate import SurrogateError, describe
    from tunebench.curves.surrogate_fit import fit_surrogate
    from tunebench.curves.table import TableError
    from tunebench.datasets import available_problems
    from tunebench.matrix.plan import shipped_table

    problems = available_problems()
    if problem not in problems:
        raise _fail(f"unknown problem {problem!r}; allowed: {', '.join(problems)}")
    source = table or shipped_table(problem, "sampled")
    target = out or Path(f"{problem}.json.gz")
    say = None if quiet else (lambda msg: typer.echo(f"{problem}: {msg}", err=True))
    try:
        fitted = fit_surrogate(problems[problem](), source, folds=folds, rounds=rounds,
                               seed=seed, link=None if link is None else link.value,
                               progress=say)  # fmt: skip
    except (TableError, SurrogateError) as exc:
        raise _fail(str(exc)) from None
    try:
        fitted.save(target)
    except OSError as exc:
        raise _cannot_write(exc) from None
    for line in describe(fitted):
        typer.echo(line)
    typer.echo(f"wrote {target}")


@surrogate_app.command("show", epilog=EXIT_CODES)
def surrogate_show(
    problem: Annotated[str, typer.Argument(help="Problem name (tunebench list problems).")],
    file: Annotated[
        Path | None, typer.Option("--file", help="Surrogate file (default: the shipped one).")
    ] = None,
) -> None:
    """Print what PROBLEM's surrogate was fitted on and its held-out fidelity."""
    from tunebench.curves.surrogate import Surrogate, SurrogateError, describe
    from tunebench.datasets import available_problems
    from tunebench.matrix.plan import shipped_surrogate

    problems = available_problems()
    if problem not in problems:
        raise _fail(f"unknown problem {problem!r}; allowed: {', '.join(problems)}")
    path = file or shipped_surrogate(problem)
    try:
        loaded = Surrogate.load(path, problems[problem]().space().fingerprint())
    except SurrogateError as exc:
        raise _fail(str(exc)) from None
    for line in describe(loaded):
        typer.echo(line)


@app.command("list", epilog=EXIT_CODES)
def list_(
    what: Annotated[Listing, typer.Argument(help="What to list.")],
    data_dir: DataDir = None,
) -> None:
    """List the problems, strategies (built-in and plug-ins), datasets or shipped matrices."""
    if what is Listing.matrices:
        for name, path in shipped_matrices().items():
            lines = path.read_text(encoding="utf-8").splitlines()
            first = next((x.lstrip("# ").strip() for x in lines if x.startswith("#")), "")
            typer.echo(f"{name:<14} {first}")
        return
    if what is Listing.datasets:
        from tunebench.datasets.catalog import dataset_listing, format_listing

        typer.echo(format_listing(dataset_listing(data_dir, verify=True)))
        return
    if what is Listing.problems:
        from tunebench.datasets import available_problems

        for name, cls in available_problems().items():
            typer.echo(
                f"{name:<16} metric={cls.metric} ({cls.direction}) "
                f"max_epochs={cls.max_epochs}  {cls.description}"
            )
    else:
        from tunebench.strategies import available_strategies

        # Only what runs here is listed as such; the rest follows, with how to add it.
        absent: list[str] = []
        for name, scls in available_strategies().items():
            doc = (scls.__doc__ or "").strip().splitlines()
            params = ", ".join(scls.param_names()) or "no parameters"
            line = f"{name:<22} {doc[0] if doc else ''}  [{params}]"
            missing = _unavailable(scls)
            if missing:
                absent.append(f"{line}  ({missing})")
            else:
                typer.echo(line)
        if absent:
            typer.echo("\nnot runnable on this install (a dependency is missing):")
            for line in absent:
                typer.echo(line)


def _unavailable(cls: Any) -> str | None:
    """Why a strategy cannot run here (a missing dependency), or None if it can.

    Its default instance's ``check_params`` is what refuses a matrix that uses it,
    so the listing and the load-time check agree.
    """
    from tunebench.errors import one_line

    try:
        strategy = cls()
    except TypeError:  # a plug-in without defaults: nothing to check here
        return None
    try:
        strategy.check_params()
    except (ImportError, ValueError) as exc:
        return one_line(exc)
    return None


def _problem_params(cls: type, items: list[str]) -> dict[str, Any]:
    """Parse ``KEY=VALUE`` problem options (values as TOML, else plain strings)."""
    from tunebench.plugins import constructor_params

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised only on Python 3.10
        import tomli as tomllib

    allowed = constructor_params(cls)
    params: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise _fail(f"--param {item!r}: expected KEY=VALUE")
        if key not in allowed:
            raise _fail(f"--param {key}: unknown option; allowed: {', '.join(allowed) or 'none'}")
        try:
            params[key] = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            params[key] = raw
    try:
        cls(**params)
    except (TypeError, ValueError) as exc:
        raise _fail(f"--param: {exc}") from None
    return params


@app.command(epilog=EXIT_CODES)
def tabulate(
    problem: Annotated[str, typer.Argument(help="Problem name (tunebench list problems).")],
    epochs: Annotated[
        int | None, typer.Option("--epochs", min=1, help="Epochs (default: problem max).")
    ] = None,
    repeats: Annotated[int, typer.Option("--repeats", min=1, help="Training seeds.")] = 2,
    subsample: Annotated[
        int | None, typer.Option("--subsample", min=1, help="Training rows kept.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Parquet file (default PROBLEM.parquet).")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
    threads: Annotated[int, typer.Option("--threads", min=1, help="Threads per worker.")] = 1,
    backend: Annotated[
        BackendName | None,
        typer.Option(
            "--backend", help="Keras backend (default: that of the problem's shipped table)."
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            help="Problem option KEY=VALUE (TOML value), repeatable; e.g. n_events=200000.",
        ),
    ] = None,
    sample: Annotated[
        int | None,
        typer.Option(
            "--sample",
            help="Record N configs sampled (Sobol) from the full space instead of the grid.",
        ),
    ] = None,
    sample_seed: Annotated[int, typer.Option("--sample-seed", help="Seed of --sample.")] = 0,
    data_dir: DataDir = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Record PROBLEM's learning-curve table (grid or sampled configs x repeats) for replay."""
    from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    from tunebench.curves.table import TableError
    from tunebench.datasets import available_problems
    from tunebench.execution.tabulate import TabulateJob
    from tunebench.execution.tabulate import tabulate as record
    from tunebench.matrix.plan import default_backend

    problems = available_problems()
    if problem not in problems:
        raise _fail(f"unknown problem {problem!r}; allowed: {', '.join(problems)}")
    if sample is not None and sample < 1:
        raise _fail(f"--sample must be at least 1, got {sample}")
    params = _problem_params(problems[problem], param or [])
    job = TabulateJob(
        problem=problem,
        problem_params=params,
        epochs=epochs or problems[problem].max_epochs,
        repeats=repeats,
        subsample=subsample,
        data_dir=None if data_dir is None else str(data_dir),
        backend=backend.value if backend is not None else default_backend(problem),
        threads=threads,
        sample=sample,
        sample_seed=sample_seed,
    )
    target = out or Path(f"{problem}.parquet")
    bar = Bar(
        "[bold]tabulate " + problem, BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        disable=quiet or not sys.stderr.isatty(),
    )  # fmt: skip
    task = bar.add_task("units", total=None)
    try:
        with bar:
            record(
                job, target, workers=workers,
                on_unit=lambda done, total: bar.update(task, completed=done, total=total),
            )  # fmt: skip
    except TableError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"wrote {target}")


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


def main() -> None:
    """Console-script entry point."""
    from tunebench.errors import TunebenchError, one_line

    logging.basicConfig(level=os.environ.get("TUNEBENCH_LOG", "WARNING"))
    try:
        app()
    except TunebenchError as exc:  # the one place a tunebench error meets the user
        typer.echo(f"tunebench: error: {one_line(str(exc))}", err=True)
        raise SystemExit(exc.exit_code) from None
