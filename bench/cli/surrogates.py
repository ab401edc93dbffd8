"""``tunebench surrogate fit|show``: learning-curve surrogates."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from tunebench.cli.app import EXIT_CODES, _cannot_write, _fail, app

__all__ = ["LinkName", "surrogate_app"]


class LinkName(str, Enum):
    """``--link``'s choices (:data:`tunebench.curves.surrogate.LINKS`)."""

    identity = "identity"
    log = "log"
    logit = "logit"


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
