"""Check what a problem declares: its attributes, its spaces and its constructor's arguments.

Rule 1 (``declares_attributes``) in the package docs.
"""

from __future__ import annotations

from tunebench.datasets.testing.case import ProblemCase
from tunebench.datasets.testing.contract import _exc
from tunebench.strategies.space import InvalidConfigError, SearchSpace


def check_declares_attributes(case: ProblemCase) -> None:
    """Class attributes typed, spaces valid with valid defaults, ``get_params`` faithful."""
    p = case.problem
    for attr in ("name", "metric"):
        value = getattr(p, attr, None)
        if not isinstance(value, str) or not value:
            raise case.fail(f"`{attr}` must be a non-empty str, got {value!r}")
    if p.direction not in ("maximize", "minimize"):
        raise case.fail(f"`direction` must be 'maximize' or 'minimize', got {p.direction!r}")
    if not isinstance(p.max_epochs, int) or isinstance(p.max_epochs, bool) or p.max_epochs < 1:
        raise case.fail(f"`max_epochs` must be an int >= 1, got {p.max_epochs!r}")
    if not isinstance(p.ordered, bool):
        raise case.fail(f"`ordered` must be a bool, got {p.ordered!r}")
    try:
        case.space.canonical(case.space.defaults())
    except InvalidConfigError as exc:
        raise case.fail(f"the space's defaults are not a valid config: {exc}") from exc
    try:
        table = p.table_space()
    except Exception as exc:
        raise case.fail(f"table_space() raised {_exc(exc)}") from exc
    if not isinstance(table, SearchSpace):
        raise case.fail(f"table_space() returned {type(table).__name__}, not a SearchSpace")
    try:
        stored = p.get_params()
    except Exception as exc:
        raise case.fail(
            f"get_params() raised {_exc(exc)}; store each constructor argument as an "
            "attribute of the same name"
        ) from exc
    for key, value in (case.params or {}).items():
        if key not in stored or stored[key] != value:
            raise case.fail(
                f"constructor changed parameter {key!r}: got {value!r}, stored "
                f"{stored.get(key)!r}; constructors must store their arguments unchanged"
            )
