"""Fuzzing the matrix loader: random TOML is accepted or refused in one line, never raised.

Every document is either a valid matrix or refused with :class:`MatrixError`, the error
the CLI prints as one line with exit 2. Documents are drawn three ways: random text,
random edits of a shipped matrix, and random values under the matrix's own keys (over a
valid matrix, so that some pass on to the load-time checks).
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tunebench.datasets import available_problems
from tunebench.matrix.load import load_matrix, parse_matrix
from tunebench.matrix.messages import MatrixError
from tunebench.matrix.preflight import check_matrix
from tunebench.strategies import available_strategies

SMOKE = Path(__file__).resolve().parents[3] / "bench" / "matrices" / "smoke.toml"
PROBLEMS = available_problems()
STRATEGIES = available_strategies()
FUZZ = settings(max_examples=60, deadline=None)


def _toml(value: Any) -> str:
    """A TOML literal (inline tables and arrays; strings as JSON, which TOML reads)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, (int, str)):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


def _document(data: dict[str, Any]) -> str:
    return "".join(f"{json.dumps(k)} = {_toml(v)}\n" for k, v in data.items())


scalars = (
    st.booleans()
    | st.integers(-5, 100)
    | st.floats(allow_nan=False, width=32)
    | st.sampled_from(["random", "tpe", "stocks-mlp", "replay", "live", "grid", "holdout"])
    | st.text(max_size=6)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["name", "max_epochs", "params", "x"]), inner, max_size=3)
    ),
    max_leaves=8,
)
entry_keys = st.sampled_from(
    ["name", "mode", "max_epochs", "table", "seeds", "subsample", "params", "evaluation",
     "concurrency", "surrogate", "label", "module"]
)  # fmt: skip
entries = st.dictionaries(entry_keys, values, max_size=4)
overrides = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(max_size=8) | st.just("fuzz"),
        "mode": st.sampled_from(["replay", "live", "surrogate", "nope"]) | scalars,
        "seeds": st.integers(-2, 4) | st.lists(st.integers(-2, 9), max_size=3) | scalars,
        "budget": st.dictionaries(
            st.sampled_from(["full_evaluations", "seconds", "concurrency", "x"]), values, max_size=2
        ),
        "problems": st.lists(entries, max_size=2),
        "strategies": st.lists(entries, max_size=2),
        "execution": st.dictionaries(st.sampled_from(["workers", "threads", "backend"]), values),
        "final": st.dictionaries(st.sampled_from(["retrain_repeats", "x"]), values),
        "extra": values,
    },
)


#: A valid replay matrix: drawn documents override or drop some of its keys, so some pass.
VALID = {
    "name": "fuzz",
    "mode": "replay",
    "seeds": 2,
    "budget": {"full_evaluations": 2},
    "problems": [{"name": "stocks-mlp", "table": "grid", "max_epochs": 3}],
    "strategies": [{"name": "random"}],
}
matrices = st.builds(
    lambda over, drop: {k: v for k, v in {**VALID, **over}.items() if k not in drop},
    overrides,
    st.sets(st.sampled_from(sorted(VALID)), max_size=2),
)


def _accepted_or_one_line(text: str) -> None:
    try:
        matrix = parse_matrix(text, source="fuzz.toml", problems=PROBLEMS, strategies=STRATEGIES)
    except MatrixError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("fuzz.toml")
        return
    try:  # accepted: the load-time checks refuse in one line too, or accept
        check_matrix(matrix, SMOKE, problems=PROBLEMS, strategies=STRATEGIES, load_data=False)
    except MatrixError as exc:
        assert "\n" not in str(exc)


@FUZZ
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    _accepted_or_one_line(text)


@FUZZ
@given(st.data())
def test_random_edits_of_a_shipped_matrix(data: st.DataObject) -> None:
    text = SMOKE.read_text(encoding="utf-8")
    at = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 30))
    inserted = data.draw(st.text(alphabet='[]="{},.#\n 0123456789abcdefxyz_-', max_size=12))
    _accepted_or_one_line(text[:at] + inserted + text[at + cut :])


@FUZZ
@given(matrices)
def test_random_values_under_the_matrix_keys(data: dict[str, Any]) -> None:
    _accepted_or_one_line(_document(data))


@settings(max_examples=20, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_in_a_file(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.toml"
        path.write_bytes(content)
        try:
            load_matrix(path, problems=PROBLEMS, strategies=STRATEGIES)
        except MatrixError as exc:
            assert "\n" not in str(exc) and str(exc).startswith(str(path))
