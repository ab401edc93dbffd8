"""tunebench's errors: one base that carries the exit code, and how errors are told.

Every error tunebench raises for the user to read derives from :class:`TunebenchError`
(besides its usual built-in base, so ``except ValueError`` keeps working). The CLI
catches the base once, at its entry point, and prints one line with the error's exit
code, so a new error type never reaches a user as a traceback.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["TunebenchError", "describe_exception", "one_line"]


class TunebenchError(Exception):
    """Base of tunebench's user-facing errors; the message is one line.

    Attributes:
        exit_code: The CLI's exit status for it (2: bad input; 1: something ran and failed).
    """

    exit_code: ClassVar[int] = 2


def describe_exception(exc: BaseException, limit: int = 300) -> str:
    """``"TypeName: first line of the message"``, or ``"TypeName"`` when it says nothing.

    Never raises: an exception with an empty, blank or unprintable message (``MemoryError()``)
    is still described by its type.

    Args:
        exc: The exception.
        limit: Longest message part kept.
    """
    try:
        text = str(exc)
    except Exception:  # a broken __str__ must not take the caller down with it
        text = ""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    name = type(exc).__name__
    return f"{name}: {lines[0][:limit]}" if lines else name


def one_line(value: object, limit: int | None = None) -> str:
    """``str(value)`` on one line: every run of whitespace, newlines included, becomes one space.

    The one way tunebench folds a message into one line of a report, a refusal or a
    log. An exception whose message is blank is told by its type name instead; pass
    ``str(exc)`` to keep a blank message blank.

    Args:
        value: An exception, or any text to fold.
        limit: Longest text kept (the type name of a blank exception is never cut).
    """
    text = " ".join(str(value).split())[:limit]
    if not text and isinstance(value, BaseException):
        return type(value).__name__
    return text
