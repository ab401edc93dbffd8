"""``tunebench list``: the problems, strategies, datasets and shipped matrices."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer

from tunebench.cli.app import EXIT_CODES, DataDir, app
from tunebench.cli.running import shipped_matrices

__all__ = ["Listing", "list_"]


class Listing(str, Enum):
    """What ``tunebench list`` can list."""

    problems = "problems"
    strategies = "strategies"
    datasets = "datasets"
    matrices = "matrices"


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
