"""Fuzzing the table and surrogate loaders with truncated files: one line, never raised.

A shipped table or surrogate cut at a random byte is either still readable or refused
with :class:`TableError` / :class:`SurrogateError`, the errors the CLI prints as one line
with exit 2 (``tunebench surrogate show --file`` checks that path end to end).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tunebench.cli.commands import app
from tunebench.curves.surrogate import Surrogate, SurrogateError, read_surrogate_meta
from tunebench.curves.table import LearningCurveTable, TableError, read_table_meta
from tunebench.matrix.plan import shipped_surrogate, shipped_table

TABLE = shipped_table("stocks-mlp", "grid")
SURROGATE = shipped_surrogate("mnist-cnn")


def _cut(source: Path, fraction: float, folder: Path) -> Path:
    data = source.read_bytes()
    path = folder / source.name
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


@settings(max_examples=25, deadline=None)
@given(st.floats(0.0, 0.9999))
def test_a_truncated_table(fraction: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = _cut(TABLE, fraction, Path(tmp))
        for load in (read_table_meta, LearningCurveTable):
            try:
                load(path)
            except TableError as exc:
                assert "\n" not in str(exc) and str(exc).startswith(str(path))


@settings(max_examples=10, deadline=None)
@given(st.floats(0.0, 0.9999))
def test_a_truncated_surrogate(fraction: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = _cut(SURROGATE, fraction, Path(tmp))
        for load in (read_surrogate_meta, Surrogate.load):
            try:
                load(path)
            except SurrogateError as exc:
                assert "\n" not in str(exc) and str(exc).startswith(str(path))
        shown = CliRunner().invoke(app, ["surrogate", "show", "mnist-cnn", "--file", str(path)])
        assert shown.exit_code == 2 and shown.stderr.count("\n") == 1, shown.output
