from __future__ import annotations

from pathlib import Path

from tunebench.datasets import available_problems
from tunebench.matrix.load import parse_matrix
from tunebench.matrix.plan import (
    DEFAULT_BACKEND,
    default_backend,
    default_table,
    entry_backend,
    plan_runs,
    shipped_table,
    table_backend,
)
from tunebench.matrix.schema import Matrix
from tunebench.strategies import available_strategies

# The shipped sampled stocks table was recorded on torch, its grid table on TensorFlow.
TORCH_TABLE = shipped_table("stocks-mlp", "sampled")
GRID_TABLE = shipped_table("stocks-mlp", "grid")


def parse(text: str) -> Matrix:
    head = 'name = "m"\nmode = "replay"\nseeds = 1\n[budget]\nfull_evaluations = 2\n'
    tail = '[[strategies]]\nname = "random"\n'
    return parse_matrix(
        head + text + tail,
        source="m.toml",
        problems=available_problems(),
        strategies=available_strategies(),
    )


def test_tables_record_their_backend() -> None:
    assert table_backend(TORCH_TABLE) == "torch"
    assert table_backend(GRID_TABLE) == "tensorflow"
    assert table_backend(Path("no-such-table.parquet")) is None
    assert default_backend("stocks-mlp") == "torch"  # its shipped default (sampled) table's


def test_the_default_table_is_the_sampled_one_where_it_ships() -> None:
    assert default_table("stocks-mlp") == TORCH_TABLE
    # a problem with no shipped table at all falls back to the (missing) grid path,
    # which the load-time checks refuse with the tabulate command
    assert default_table("no-such-problem") == shipped_table("no-such-problem", "grid")


def test_a_live_entry_trains_on_the_backend_of_the_table_its_matrix_replays() -> None:
    matrix = parse(
        f'[[problems]]\nname = "stocks-mlp"\ntable = "{TORCH_TABLE}"\n'
        '[[problems]]\nname = "stocks-mlp"\nmode = "live"\nmax_epochs = 2\n'
    )
    assert entry_backend(matrix, matrix.problems[1]) == "torch"
    replay, live = plan_runs(matrix)
    assert (replay.backend, live.backend) == ("torch", "torch")
    assert live.to_dict()["backend"] == "torch"


def test_a_replay_entry_with_the_same_options_is_preferred() -> None:
    matrix = parse(
        '[[problems]]\nname = "events-mlp"\nparams = { n_events = 200000 }\n'
        f'[[problems]]\nname = "stocks-mlp"\ntable = "{TORCH_TABLE}"\n'
        '[[problems]]\nname = "stocks-mlp"\nmode = "live"\n'
    )
    assert entry_backend(matrix, matrix.problems[2]) == "torch"  # events' table is not its


def test_the_matrix_backend_overrides_every_live_entry() -> None:
    matrix = parse(
        f'[[problems]]\nname = "stocks-mlp"\ntable = "{TORCH_TABLE}"\n'
        '[[problems]]\nname = "stocks-mlp"\nmode = "live"\n'
        '[execution]\nbackend = "tensorflow"\n'
    )
    assert entry_backend(matrix, matrix.problems[1]) == "tensorflow"
    # the replay run still records what its curves were recorded on
    assert plan_runs(matrix)[0].backend == "torch"


def test_a_live_entry_alone_follows_its_problems_shipped_table() -> None:
    matrix = parse('[[problems]]\nname = "mnist-cnn"\nmode = "live"\n')
    assert entry_backend(matrix, matrix.problems[0]) == default_backend("mnist-cnn")
    assert DEFAULT_BACKEND == "tensorflow"


def test_a_matrix_names_the_shipped_grid_or_sampled_table() -> None:
    from tunebench.matrix.plan import entry_table

    grid = parse('[[problems]]\nname = "stocks-mlp"\ntable = "grid"\n').problems[0]
    sampled = parse('[[problems]]\nname = "stocks-mlp"\ntable = "sampled"\n').problems[0]
    unnamed = parse('[[problems]]\nname = "stocks-mlp"\n').problems[0]
    assert entry_table(grid, Path("/elsewhere")) == GRID_TABLE
    assert entry_table(sampled, Path("/elsewhere")) == TORCH_TABLE
    assert entry_table(unnamed) == default_table("stocks-mlp") == TORCH_TABLE
    # the runs serve the named table, and a live sibling trains on its backend
    live = '[[problems]]\nname = "stocks-mlp"\nmode = "live"\nmax_epochs = 2\n'
    matrix = parse('[[problems]]\nname = "stocks-mlp"\ntable = "sampled"\n' + live)
    specs = plan_runs(matrix, Path("/elsewhere"))
    assert {s.table for s in specs if s.mode == "replay"} == {str(TORCH_TABLE)}
    assert entry_backend(matrix, matrix.problems[1]) == "torch"
