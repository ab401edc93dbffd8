"""The matrix file's one-line errors: ``<file>:<line>: <key path>: <message>``.

:class:`MatrixError` is the error; :func:`first_error` turns pydantic's validation
errors into it (the one that comes first in the file, saying what is allowed),
:func:`toml_error` a TOML syntax error, and :func:`locate` any finding about a key
(the load-time checks use it). Validators of the schema raise :func:`fail` errors,
whose message is used as written.
"""

from __future__ import annotations

import json
import re
import sys
import types
from collections.abc import Mapping
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from tunebench.errors import TunebenchError
from tunebench.matrix.toml_lines import LineLocator, Loc

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

__all__ = ["MatrixError", "fail", "first_error", "locate", "show", "toml_error"]

_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")
_ERROR_TYPE = "tunebench"  # pydantic error type of the errors raised by our own validators
_MAX_SHOWN = 60  # longest rendering of an offending value inside a message


class MatrixError(TunebenchError):
    """One-line, user-facing error: ``'<file>:<line>: <key path>: <message>'``.

    With ``line`` None the text is ``'<file>: <key path>: <message>'``; with an empty ``key``
    the key part is left out (used for file-level problems such as a missing file).

    Attributes:
        path: The file (or source label) the error is about.
        line: 1-based line number in that file, or None when no line applies.
        key: Dotted key path such as ``problems[1].max_epochs``; may be empty.
        message: What is wrong, including what is allowed.
    """

    def __init__(self, path: str, line: int | None, key: str, message: str) -> None:
        # Passing all four arguments to Exception keeps the error picklable.
        super().__init__(path, line, key, message)
        self.path = path
        self.line = line
        self.key = key
        self.message = message

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        parts = [where, self.key, self.message] if self.key else [where, self.message]
        # Guarantee a single line whatever the parts contain.
        return re.sub(r"\s*[\r\n]+\s*", " ", ": ".join(parts))


def fail(message: str, *sub_loc: str | int) -> PydanticCustomError:
    """Build a validation error carrying a ready-made message.

    Args:
        message: The final, user-facing message (braces are not interpreted).
        *sub_loc: Path below the validated field that the error is really about, e.g. the
            index of a duplicated list element; appended to pydantic's ``loc``.

    Returns:
        The error, to be raised from a validator.
    """
    return PydanticCustomError(
        _ERROR_TYPE, "{message}", {"message": message, "sub_loc": tuple(sub_loc)}
    )


def show(value: object) -> str:
    """Render an offending input value for a one-line message (TOML spelling for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


# What a value "must be" for pydantic's type errors.
_TYPE_NAMES: dict[str, str] = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "a string",
    "bool_type": "a boolean",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}


def _format_key(loc: Loc) -> str:
    """Render a key path as ``problems[1].params."odd key"``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            segment = part if _BARE_KEY_RE.fullmatch(part) else json.dumps(part)
            text += f".{segment}" if text else segment
    return text


def _strip_optional(annotation: Any) -> Any:
    """Turn ``X | None`` into ``X``; leave other annotations alone."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """Return the model class validating the table at ``loc`` (``()`` is ``root``)."""
    current: Any = root
    for part in loc:
        current = _strip_optional(current)
        if isinstance(part, int):
            if get_origin(current) is not list:
                return None
            current = get_args(current)[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
        else:
            return None
    current = _strip_optional(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _describe(error: Mapping[str, Any], loc: Loc, root: type[BaseModel]) -> str:
    """Turn one pydantic error into a one-line message saying what is allowed."""
    kind: str = error["type"]
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    got = show(error.get("input"))
    if kind == _ERROR_TYPE:
        return str(ctx["message"])
    if kind == "extra_forbidden":
        model = _model_at(root, loc[:-1])
        if model is None:
            return "unknown key"
        return f"unknown key; allowed: {', '.join(model.model_fields)}"
    if kind == "missing":
        return f"missing required key {loc[-1]!r}" if loc else "missing required key"
    if kind in _TYPE_NAMES:
        return f"must be {_TYPE_NAMES[kind]}, got {got}"
    if kind == "literal_error":
        return f"must be one of: {ctx.get('expected', '?')}, got {got}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        operator = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<"}.get(
            kind, "<="
        )
        bound = next(iter(ctx.values()), "?")
        return f"must be {operator} {bound}, got {got}"
    if kind in ("too_short", "list_too_short"):
        return "must not be empty"
    if kind == "finite_number":
        return f"must be a finite number, got {got}"
    return f"{error.get('msg', 'invalid value')}, got {got}"


def first_error(
    exc: ValidationError, source: str, locator: LineLocator, root: type[BaseModel]
) -> MatrixError:
    """Pick the error that comes first in the file and turn it into a :class:`MatrixError`.

    ``root`` is the model that validated the whole file (it says which keys are allowed).
    """
    candidates: list[tuple[tuple[bool, int, int], MatrixError]] = []
    for index, error in enumerate(exc.errors(include_url=False)):
        ctx = error.get("ctx") or {}
        loc: Loc = tuple(error["loc"]) + tuple(ctx.get("sub_loc", ()))
        line = locator.find(loc)
        matrix_error = MatrixError(source, line, _format_key(loc), _describe(error, loc, root))
        candidates.append(((line is None, line or 0, index), matrix_error))
    return min(candidates, key=lambda item: item[0])[1]


_TOML_POSITION_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_END_RE = re.compile(r"\s*\(at end of document\)$")


def toml_error(exc: tomllib.TOMLDecodeError, source: str, text: str) -> MatrixError:
    """Turn a TOML syntax error into a :class:`MatrixError` at the line tomllib names."""
    message = str(exc)
    line: int | None = None
    column: int | None = None
    match = _TOML_POSITION_RE.search(message)
    if match:
        line, column = int(match.group(1)), int(match.group(2))
        message = message[: match.start()]
    elif _TOML_END_RE.search(message):
        line = text.count("\n") + 1
        message = _TOML_END_RE.sub("", message) + " (at end of file)"
    else:  # newer Pythons may move the position into attributes only
        line = getattr(exc, "lineno", None)
        column = getattr(exc, "colno", None)
    if column is not None:
        message += f" (column {column})"
    return MatrixError(source, line, "", f"invalid TOML: {message}")


def locate(source: str, text: str, loc: Loc, message: str) -> MatrixError:
    """A :class:`MatrixError` about key ``loc`` of a matrix file, with the line defining it.

    Args:
        source: The file name, as messages show it.
        text: The file's TOML text (empty: no line number).
        loc: Key path such as ``("problems", 1, "max_epochs")``.
        message: What is wrong.
    """
    line = LineLocator(text).find(loc) if text else None
    return MatrixError(source, line, _format_key(loc), message)
