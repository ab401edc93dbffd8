"""tunebench's errors: one base that carries the exit code, and how errors are told.

Every error tunebench raises for the user to read derives from :class:`TunebenchError`
(besides its usual built-in base, so ``except ValueError`` keeps working). The CLI
catches the base once, at its entry point, and prints one line with the error's exit
code, so a new error type never reaches a user as a traceback.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["TunebenchError", "describe_exception"]


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
