"""Entry-point registries: built-in classes plus whatever installed packages add.

An installed package adds a strategy (or problem) without editing this repo by
declaring, in its own ``pyproject.toml``::

    [project.entry-points."tunebench.strategies"]
    my-strategy = "my_package.module:MyStrategy"
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import TypeVar, cast

__all__ = ["constructor_params", "load_registry"]

log = logging.getLogger(__name__)

T = TypeVar("T")


def load_registry(group: str, builtins: Mapping[str, type[T]], base: type) -> dict[str, type[T]]:
    """Merge built-in classes with the classes registered under an entry-point group.

    Args:
        group: Entry-point group, e.g. ``"tunebench.strategies"``.
        builtins: Name -> class for what ships with tunebench.
        base: Every registered object must be a subclass of this.

    Returns:
        Name -> class, sorted by name.

    Raises:
        TypeError: An entry point names something that is not a ``base`` subclass.
    """
    found: dict[str, type[T]] = dict(builtins)
    for ep in entry_points(group=group):
        obj = ep.load()
        if not (isinstance(obj, type) and issubclass(obj, base)):
            raise TypeError(
                f"entry point {ep.name!r} in group {group!r} ({ep.value}) is not a "
                f"{base.__name__} subclass"
            )
        if ep.name in found and found[ep.name] is not obj:
            log.warning("entry point %r in %s replaces the built-in %s", ep.name, group, ep.value)
        found[ep.name] = cast("type[T]", obj)
    return dict(sorted(found.items()))


def constructor_params(cls: type) -> list[str]:
    """Names of a class's keyword constructor parameters (what a matrix may set in ``params``)."""
    sig = inspect.signature(cls.__init__)  # type: ignore[misc]
    return [
        p.name
        for p in sig.parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
