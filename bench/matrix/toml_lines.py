"""Where a key is defined in a TOML file: ``tomllib`` reports no positions, so scan for them.

:class:`LineLocator` maps key paths such as ``("problems", 1, "max_epochs")`` to the
1-based line that defines them; the matrix file's one-line errors use it.
"""

from __future__ import annotations

import contextlib
import re
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

__all__ = ["LineLocator", "Loc"]

_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")

Loc = tuple[str | int, ...]
"""A key path: table names, array indexes and keys from the document's root."""


class _ScanError(Exception):
    """The locator met text it does not understand; it keeps what it found so far."""


class LineLocator:
    """Map key paths such as ``("problems", 1, "max_epochs")`` to 1-based line numbers.

    ``tomllib`` reports no positions, so this scans the (already successfully parsed) TOML
    text once and records the line on which every key is defined:

    * ``[a.b]`` headers set the current table and record the header line for ``("a", "b")``.
    * ``[[a]]`` headers count the array-of-tables elements: the n-th ``[[problems]]`` header
      becomes table ``("problems", n)``; later headers such as ``[problems.params]`` resolve
      ``problems`` to that last element, as TOML does.
    * ``a.b = value`` records ``current table + ("a", "b")`` (and the prefix ``("a",)``).
    * Values are walked, not just skipped: array elements get ``path + (index,)`` and keys of
      inline tables get ``path + (key,)``, each at the line they start on. Strings (including
      multi-line ones) and comments are skipped so their contents never look like keys.

    The scan is best effort: if it meets something unexpected it stops, keeping what it has.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0
        self._line = 1
        self._lines: dict[Loc, int] = {}
        # Number of elements seen so far for each array of tables, by its concrete path.
        self._aot_counts: dict[Loc, int] = {}
        with contextlib.suppress(_ScanError, IndexError):  # best effort: keep what was found
            self._scan_document()

    def find(self, loc: Loc) -> int | None:
        """Return the line defining ``loc``, else of its nearest enclosing key/table, else None."""
        for end in range(len(loc), 0, -1):
            line = self._lines.get(loc[:end])
            if line is not None:
                return line
        return None

    # -- low-level cursor ---------------------------------------------------------------

    def _peek(self, offset: int = 0) -> str:
        index = self._pos + offset
        return self._text[index] if index < len(self._text) else ""

    def _advance(self, count: int = 1) -> None:
        self._line += self._text.count("\n", self._pos, self._pos + count)
        self._pos += count

    def _expect(self, literal: str) -> None:
        if not self._text.startswith(literal, self._pos):
            raise _ScanError(f"expected {literal!r} at offset {self._pos}")
        self._advance(len(literal))

    def _skip_blank(self, *, newlines: bool) -> None:
        """Skip spaces and tabs, plus comments; with ``newlines`` also line breaks."""
        while True:
            char = self._peek()
            if char in (" ", "\t") or (newlines and char in ("\n", "\r")):
                self._advance()
            elif char == "#":
                end = self._text.find("\n", self._pos)
                self._advance((len(self._text) if end < 0 else end) - self._pos)
            else:
                return

    def _record(self, loc: Loc, line: int, *, overwrite: bool = False) -> None:
        if overwrite or loc not in self._lines:
            self._lines[loc] = line

    # -- document structure -------------------------------------------------------------

    def _scan_document(self) -> None:
        table: Loc = ()
        while True:
            self._skip_blank(newlines=True)
            if self._pos >= len(self._text):
                return
            start = self._pos
            if self._text.startswith("[[", self._pos):
                table = self._scan_header(array=True)
            elif self._peek() == "[":
                table = self._scan_header(array=False)
            else:
                self._scan_key_value(table)
            if self._pos == start:  # no progress: do not loop forever
                raise _ScanError("stuck")

    def _concrete(self, keys: list[str]) -> Loc:
        """Resolve header keys to a concrete path, inserting array-of-tables indices."""
        path: Loc = ()
        for key in keys:
            path = (*path, key)
            count = self._aot_counts.get(path)
            if count:
                path = (*path, count - 1)
        return path

    def _scan_header(self, *, array: bool) -> Loc:
        line = self._line
        self._expect("[[" if array else "[")
        keys = self._scan_key()
        self._skip_blank(newlines=False)
        self._expect("]]" if array else "]")
        if array:
            # The element being opened is the next one of the array at this path.
            base = (*self._concrete(keys[:-1]), keys[-1])
            count = self._aot_counts.get(base, 0)
            self._aot_counts[base] = count + 1
            self._record(base, line)  # the array itself: its first header
            table: Loc = (*base, count)
        else:
            table = self._concrete(keys)
        for end in range(1, len(table)):
            self._record(table[:end], line)  # implicitly created parent tables
        self._record(table, line, overwrite=True)
        return table

    def _scan_key(self) -> list[str]:
        """Scan a possibly dotted, possibly quoted key; return its unquoted parts."""
        keys: list[str] = []
        while True:
            self._skip_blank(newlines=False)
            char = self._peek()
            if char in ('"', "'"):
                start = self._pos
                self._scan_string()
                keys.append(self._unquote(self._text[start : self._pos]))
            else:
                match = _BARE_KEY_RE.match(self._text, self._pos)
                if match is None:
                    raise _ScanError(f"expected a key at offset {self._pos}")
                keys.append(match.group())
                self._advance(match.end() - self._pos)
            self._skip_blank(newlines=False)
            if self._peek() != ".":
                return keys
            self._advance()

    @staticmethod
    def _unquote(raw: str) -> str:
        """Decode a quoted key exactly as TOML does (escapes included)."""
        try:
            value = tomllib.loads(f"k = {raw}")["k"]
        except tomllib.TOMLDecodeError:
            return raw.strip("\"'")
        return value if isinstance(value, str) else raw

    def _scan_key_value(self, table: Loc) -> None:
        line = self._line
        keys = self._scan_key()
        path: Loc = (*table, *keys)
        for end in range(len(table) + 1, len(path) + 1):
            self._record(path[:end], line)
        self._skip_blank(newlines=False)
        self._expect("=")
        self._skip_blank(newlines=False)
        self._scan_value(path)

    # -- values -------------------------------------------------------------------------

    def _scan_value(self, path: Loc) -> None:
        char = self._peek()
        if char in ('"', "'"):
            self._scan_string()
        elif char == "[":
            self._scan_array(path)
        elif char == "{":
            self._scan_inline_table(path)
        else:
            # Number, boolean or date-time: runs up to a delimiter (date-times may hold a space).
            start = self._pos
            while self._peek() not in ("", ",", "]", "}", "#", "\n", "\r"):
                self._advance()
            if self._pos == start:
                raise _ScanError(f"expected a value at offset {start}")

    def _scan_string(self) -> None:
        quote = self._peek()
        if self._text.startswith(quote * 3, self._pos):
            self._advance(3)
            while not self._text.startswith(quote * 3, self._pos):
                if self._pos >= len(self._text):
                    raise _ScanError("unterminated multi-line string")
                self._advance(2 if quote == '"' and self._peek() == "\\" else 1)
            self._advance(3)
            # Up to two more quotes right before the closing ones belong to the content.
            for _ in range(2):
                if self._peek() == quote:
                    self._advance()
            return
        self._advance()
        while self._peek() != quote:
            if self._peek() in ("", "\n"):
                raise _ScanError("unterminated string")
            self._advance(2 if quote == '"' and self._peek() == "\\" else 1)
        self._advance()

    def _scan_array(self, path: Loc) -> None:
        self._expect("[")
        index = 0
        while True:
            self._skip_blank(newlines=True)
            if self._peek() == "]":
                self._advance()
                return
            self._record((*path, index), self._line)
            self._scan_value((*path, index))
            index += 1
            self._skip_blank(newlines=True)
            if self._peek() == ",":
                self._advance()
            elif self._peek() != "]":
                raise _ScanError(f"expected ',' or ']' at offset {self._pos}")

    def _scan_inline_table(self, path: Loc) -> None:
        self._expect("{")
        while True:
            self._skip_blank(newlines=True)
            if self._peek() == "}":
                self._advance()
                return
            self._scan_key_value(path)
            self._skip_blank(newlines=True)
            if self._peek() == ",":
                self._advance()
            elif self._peek() != "}":
                raise _ScanError(f"expected ',' or '}}' at offset {self._pos}")
