"""How errors are told: one line that names the exception type, whatever it carries."""

from __future__ import annotations

__all__ = ["describe_exception"]


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
