"""Add a ``params`` column to a recorded learning-curve table, without retraining.

The trainable parameter count of a config's model does not depend on training, so
building each recorded config's model once (the problem's ``build_model`` on the
table's data settings) is enough. The column holds the count on every row of the
config; the table is rewritten atomically, its metadata kept, with an ``added_columns``
entry saying what added the column, when, and with which Keras. Run it as::

    python -m tunebench.objectives.add_params TABLE [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunebench.curves.surrogate import file_sha256
from tunebench.curves.table import (
    META_KEY,
    SAME_CURVES_KEY,
    TableError,
    read_table_meta,
    table_space,
)
from tunebench.datasets import Problem
from tunebench.datasets.problem_files import known_problems
from tunebench.errors import TunebenchError, one_line
from tunebench.objectives.catalog import ADD_PARAMS_COMMAND

if TYPE_CHECKING:
    import keras

__all__ = ["add_params_column", "config_params", "count_trainable", "main"]


def count_trainable(model: keras.Model) -> int:
    """Trainable parameters of a built model (its trainable weights' sizes, summed)."""
    total = 0
    for weight in model.trainable_weights:
        size = 1
        for dim in weight.shape:
            size *= int(dim)
        total += size
    return total


def config_params(
    path: Path,
    *,
    problems: Mapping[str, type[Problem]] | None = None,
    data_dir: Path | None = None,
    on_config: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Each recorded config's trainable parameter count, by config key.

    Args:
        path: The table.
        problems: The registry to find the table's problem in (default: every known one).
        data_dir: Where the problem's data files are (default: the usual lookup).
        on_config: Called with (configs done, configs total) after each model.

    Raises:
        TableError: Not a readable table, an unknown problem, or a table recorded for
            another version of the problem's search space.
    """
    import keras
    import pandas as pd

    meta = read_table_meta(path)
    known = known_problems(None, problems)
    name = str(meta.get("problem"))
    if name not in known:
        raise TableError(
            f"{path}: recorded for problem {name!r}, which is not installed "
            "(a problem of one's own file: --module FILE)"
        )
    problem = known[name](**dict(meta.get("problem_params") or {}))
    space = table_space(problem, meta)
    if space.fingerprint() != meta.get("space_fingerprint"):
        raise TableError(
            f"{path}: recorded for another search space of {name!r}; its models cannot be "
            "rebuilt from today's problem"
        )
    splits = problem.load(data_dir, meta.get("subsample"))
    keys = sorted(set(pd.read_parquet(path, columns=["config_key"])["config_key"]))
    counts: dict[str, int] = {}
    for done, key in enumerate(keys, start=1):
        model = problem.build_model(json.loads(key), splits)
        counts[str(key)] = count_trainable(model)
        del model
        # Keras keeps every model built in its global state; clearing it keeps a long
        # table's memory flat and the counts are independent of it.
        keras.backend.clear_session()
        if on_config is not None:
            on_config(done, len(keys))
    return counts


def add_params_column(
    path: Path,
    *,
    problems: Mapping[str, type[Problem]] | None = None,
    data_dir: Path | None = None,
    on_config: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Add (or recompute) the table's ``params`` column in place, atomically.

    Every other column and the metadata are kept; the metadata gains
    ``added_columns.params`` (the command, the time, the Keras version and backend) and
    the file's checksum before the rewrite in ``same_curves_as``, so a surrogate fitted
    on the table as it was still loads with it.

    Args:
        path: The table.
        problems: The registry to find the table's problem in (default: every known one).
        data_dir: Where the problem's data files are (default: the usual lookup).
        on_config: Called with (configs done, configs total) after each model.

    Returns:
        The parameter counts by config key.

    Raises:
        TableError: As :func:`config_params`.
    """
    import keras
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    counts = config_params(path, problems=problems, data_dir=data_dir, on_config=on_config)
    table = pq.read_table(path)
    keys = table.column("config_key").to_pylist()
    column = pa.array(np.array([counts[str(k)] for k in keys], dtype=np.int64))
    if "params" in table.column_names:
        table = table.set_column(table.column_names.index("params"), "params", column)
    else:
        table = table.append_column("params", column)
    meta: dict[str, Any] = read_table_meta(path)
    # The curves are unchanged: a surrogate fitted on the file as it was still matches it.
    earlier = list(meta.get(SAME_CURVES_KEY) or [])
    before = file_sha256(path)
    if before not in earlier:
        earlier.append(before)
    meta[SAME_CURVES_KEY] = earlier
    meta.setdefault("added_columns", {})["params"] = {
        "command": ADD_PARAMS_COMMAND,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
    }
    old = pq.read_schema(path).metadata or {}
    table = table.replace_schema_metadata({**old, META_KEY: json.dumps(meta).encode()})
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(path)  # the table is never half-written
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tunebench.objectives.add_params TABLE``: print one line, return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m tunebench.objectives.add_params",
        description="Add the trainable-parameter column 'params' to a learning-curve table.",
    )
    parser.add_argument("table", type=Path)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument(
        "--module", type=Path, default=None, help="a problem file defining the table's problem"
    )
    args = parser.parse_args(argv)
    try:
        meta = read_table_meta(args.table)
        # Build on the table's own backend unless one was chosen (counts do not depend
        # on it, but a backend that is not installed would fail).
        os.environ.setdefault("KERAS_BACKEND", str(meta.get("backend") or "tensorflow"))
        problems = known_problems(args.module)
        counts = add_params_column(args.table, problems=problems, data_dir=args.data_dir)
    except TunebenchError as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return exc.exit_code
    low, high = min(counts.values()), max(counts.values())
    print(f"{args.table}: params added for {len(counts)} configs ({low:,} to {high:,})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
