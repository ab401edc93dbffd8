"""``tunebench run`` and ``tunebench tabulate``: run a matrix, record a table."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tunebench.cli.app import _CANNOT_WRITE, EXIT_CODES, DataDir, _cannot_write, _fail, _warn, app

if TYPE_CHECKING:
    from tunebench.execution.matrix_runner import MatrixRunner
    from tunebench.matrix.schema import Matrix

__all__ = ["BackendName", "run", "shipped_matrices", "tabulate"]


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
    module: Annotated[
        Path | None,
        typer.Option(
            "--module",
            help="A problem file defining PROBLEM (as a matrix entry's `module`).",
        ),
    ] = None,
    data_dir: DataDir = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Record PROBLEM's learning-curve table (grid or sampled configs x repeats) for replay."""
    from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    from tunebench.curves.table import TableError
    from tunebench.datasets.problem_files import ProblemFileError, known_problems
    from tunebench.execution.tabulate import TabulateJob
    from tunebench.execution.tabulate import tabulate as record
    from tunebench.matrix.plan import default_backend

    try:
        problems = known_problems(module)
    except ProblemFileError as exc:
        raise _fail(f"--module: {exc}") from None
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
        problem_module=None if module is None else str(module.resolve()),
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
