from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from tunebench.matrix.load import load_matrix, parse_matrix
from tunebench.matrix.plan import run_keys
from tunebench.matrix.schema import Budget, Execution, Matrix, MatrixError, StrategyEntry


class FakeRandom:
    def __init__(self, n_startup: int = 10, seed_offset: int = 0) -> None:
        self.n_startup = n_startup
        self.seed_offset = seed_offset


class FakeTPE:
    def __init__(self, *, n_startup: int = 10, multivariate: bool = False) -> None:
        self.n_startup = n_startup
        self.multivariate = multivariate


class FakeAnything:
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs


class FakeBare:
    pass


PROBLEMS = ("stocks-mlp", "mnist-cnn")
STRATEGIES = {"random": FakeRandom, "tpe": FakeTPE, "anything": FakeAnything, "bare": FakeBare}

VALID = """\
name = "smoke"
mode = "live"
seeds = 3

[budget]
full_evaluations = 10

[[problems]]
name = "stocks-mlp"
max_epochs = 5
subsample = 2000

[[problems]]
name = "mnist-cnn"
params = {width = 32}

[[strategies]]
name = "random"

[[strategies]]
name = "tpe"
params = {n_startup = 5, multivariate = true}

[[strategies]]
name = "tpe"
"""


def write(tmp_path: Path, text: str, name: str = "smoke.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str, name: str = "smoke.toml") -> Matrix:
    return load_matrix(write(tmp_path, text, name), problems=PROBLEMS, strategies=STRATEGIES)


def parse(text: str) -> Matrix:
    return parse_matrix(text, source="smoke.toml", problems=PROBLEMS, strategies=STRATEGIES)


def replace_line(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# --------------------------------------------------------------------------------------
# Valid files
# --------------------------------------------------------------------------------------


def test_valid_file_round_trips(tmp_path: Path) -> None:
    matrix = load(tmp_path, VALID)

    assert matrix.name == "smoke"
    assert matrix.mode == "live"
    assert matrix.seeds == [0, 1, 2]
    assert matrix.budget == Budget(full_evaluations=10)
    assert matrix.budget.seconds is None

    first, second = matrix.problems
    assert (first.name, first.max_epochs, first.subsample, first.params) == (
        "stocks-mlp",
        5,
        2000,
        {},
    )
    assert (second.name, second.max_epochs, second.subsample, second.params) == (
        "mnist-cnn",
        None,
        None,
        {"width": 32},
    )
    assert [s.label for s in matrix.strategies] == [
        "random",
        "tpe[multivariate=true,n_startup=5]",
        "tpe",
    ]
    assert matrix.execution == Execution()
    assert matrix.execution.threads is None
    assert matrix.execution.backend is None  # each live entry follows its table
    assert len(run_keys(matrix)) == 2 * 3 * 3

    data = matrix.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["seeds"] == [0, 1, 2]
    assert Matrix.model_validate(data) == matrix
    assert Matrix.model_validate(data).fingerprint() == matrix.fingerprint()
    # single-objective entries write the matrix.json they wrote before issue 39's key
    assert all(p.objectives is None for p in matrix.problems)
    assert all("objectives" not in p for p in data["problems"])


def test_fingerprint_is_stable_and_ignores_execution(tmp_path: Path) -> None:
    base = load(tmp_path, VALID)
    fingerprint = base.fingerprint()
    assert len(fingerprint) == 64
    assert int(fingerprint, 16) >= 0
    assert parse(VALID).fingerprint() == fingerprint

    with_execution = VALID + '\n[execution]\nthreads = 4\nbackend = "jax"\n'
    changed = parse(with_execution)
    assert changed.execution == Execution(threads=4, backend="jax")
    assert changed.fingerprint() == fingerprint

    # seeds = 3 is the same as spelling the list out ...
    assert parse(replace_line(VALID, "seeds = 3", "seeds = [0, 1, 2]")).fingerprint() == (
        fingerprint
    )
    # ... but other seeds are a different matrix.
    assert parse(replace_line(VALID, "seeds = 3", "seeds = 4")).fingerprint() != fingerprint
    assert parse(replace_line(VALID, "seeds = 3", "seeds = [0, 1, 7]")).fingerprint() != (
        fingerprint
    )
    assert parse(replace_line(VALID, "max_epochs = 5", "max_epochs = 6")).fingerprint() != (
        fingerprint
    )


def test_seed_list_and_seconds_budget() -> None:
    text = replace_line(VALID, "seeds = 3", "seeds = [0, 1, 7]")
    text = replace_line(text, "full_evaluations = 10", "seconds = 600")
    matrix = parse(text)
    assert matrix.seeds == [0, 1, 7]
    assert matrix.budget.seconds == 600.0
    assert matrix.budget.full_evaluations is None
    assert len(run_keys(matrix)) == 2 * 3 * 3

    matrix = parse(replace_line(VALID, "full_evaluations = 10", "seconds = 0.5"))
    assert matrix.budget.seconds == 0.5


def test_minimal_file_and_kwargs_strategy_accepts_any_param() -> None:
    text = """\
name = "a.b_c-1"
mode = "live"
seeds = 1
budget = {seconds = 60}
problems = [{name = "stocks-mlp"}]
strategies = [{name = "anything", params = {whatever = [1, 2], nested = {x = "y"}}}]
"""
    matrix = parse(text)
    assert len(run_keys(matrix)) == 1
    assert matrix.strategies[0].label == 'anything[nested={"x":"y"},whatever=[1,2]]'


def test_models_are_frozen() -> None:
    matrix = parse(VALID)
    with pytest.raises(ValueError, match="frozen"):
        matrix.name = "other"


def test_evaluation_defaults_to_holdout_and_keeps_old_fingerprints() -> None:
    plain = parse(VALID)
    assert [p.evaluation for p in plain.problems] == ["holdout", "holdout"]
    explicit = parse(
        replace_line(VALID, "subsample = 2000", 'subsample = 2000\nevaluation = "holdout"')
    )
    assert explicit.fingerprint() == plain.fingerprint()
    kfold = parse(
        replace_line(VALID, "subsample = 2000", 'subsample = 2000\nevaluation = "kfold:5"')
    )
    assert kfold.problems[0].evaluation == "kfold:5"
    assert kfold.fingerprint() != plain.fingerprint()


def test_label_of_entry_without_params() -> None:
    assert StrategyEntry(name="random").label == "random"
    assert StrategyEntry(name="random", params={"b": "x", "a": 1.5}).label == "random[a=1.5,b=x]"


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


def assert_error(err: MatrixError, file_name: str, line: int | None, *fragments: str) -> None:
    text = str(err)
    assert "\n" not in text and "\r" not in text, text
    prefix = file_name if line is None else f"{file_name}:{line}: "
    assert text.startswith(prefix), text
    assert err.line == line, text
    for fragment in fragments:
        assert fragment in text, text


# (replace this line of VALID, with this text) -> line, fragments that must appear
BAD_EDITS: list[tuple[str, str, str, int, tuple[str, ...]]] = [
    (
        "unknown problem",
        'name = "mnist-cnn"',
        'name = "mnist-rnn"',
        14,
        ("problems[1].name", "unknown problem 'mnist-rnn'", "allowed: mnist-cnn, stocks-mlp"),
    ),
    (
        "unknown strategy",
        'name = "random"',
        'name = "grid"',
        18,
        ("strategies[0].name", "unknown strategy 'grid'", "allowed: anything, bare, random, tpe"),
    ),
    (
        "misspelled top-level key",
        'mode = "live"',
        'mdoe = "live"',
        2,
        ("mdoe", "unknown key; allowed: name, mode, seeds, budget, problems, strategies"),
    ),
    (
        "misspelled budget key",
        "full_evaluations = 10",
        "full_evalutions = 10",
        6,
        ("budget.full_evalutions", "unknown key; allowed: full_evaluations, seconds"),
    ),
    (
        "misspelled key in second problem",
        "params = {width = 32}",
        "max_epoch = 3",
        15,
        (
            "problems[1].max_epoch",
            "allowed: name, mode, seeds, max_epochs, subsample, table, surrogate, params, "
            "evaluation",
        ),
    ),
    (
        "negative budget",
        "full_evaluations = 10",
        "full_evaluations = -5",
        6,
        ("budget.full_evaluations", "must be > 0, got -5"),
    ),
    (
        "both budget keys",
        "full_evaluations = 10",
        "full_evaluations = 10\nseconds = 60",
        5,
        ("budget:", "exactly one of full_evaluations, seconds", "both"),
    ),
    (
        "no budget key",
        "full_evaluations = 10",
        "",
        5,
        ("budget:", "exactly one of full_evaluations, seconds", "neither"),
    ),
    (
        "seeds as string",
        "seeds = 3",
        'seeds = "three"',
        3,
        ("seeds: must be a positive integer or a list of non-negative integers, got 'three'",),
    ),
    (
        "duplicate seeds",
        "seeds = 3",
        "seeds = [1, 1]",
        3,
        ("seeds[1]", "duplicate seed 1", "unique"),
    ),
    (
        "seeds as float",
        "seeds = 3",
        "seeds = 2.5",
        3,
        ("seeds: must be a positive integer or a list of non-negative integers, got 2.5",),
    ),
    (
        "seeds as bool",
        "seeds = 3",
        "seeds = true",
        3,
        ("seeds: must be a positive integer or a list of non-negative integers, got true",),
    ),
    (
        "zero seeds",
        "seeds = 3",
        "seeds = 0",
        3,
        ("seeds: must be a positive integer", "got 0"),
    ),
    (
        "negative seed in list",
        "seeds = 3",
        "seeds = [\n  0,\n  -1,\n]",
        5,
        ("seeds[1]: must be a non-negative integer, got -1",),
    ),
    (
        "empty seed list",
        "seeds = 3",
        "seeds = []",
        3,
        ("seeds: must be a positive integer or a list", "empty"),
    ),
    (
        "name with a slash",
        'name = "smoke"',
        'name = "smoke/v2"',
        1,
        ("name: must start with a letter or digit", "folder name", "got 'smoke/v2'"),
    ),
    (
        "unknown strategy param",
        "params = {n_startup = 5, multivariate = true}",
        "params = {n_startup = 5, multivarite = true}",
        22,
        (
            "strategies[1].params.multivarite",
            "unknown parameter 'multivarite' for strategy 'tpe'",
            "allowed: multivariate, n_startup",
        ),
    ),
    (
        "string where an int is expected (no coercion)",
        "max_epochs = 5",
        'max_epochs = "5"',
        10,
        ("problems[0].max_epochs: must be an integer, got '5'",),
    ),
    (
        "bool where an int is expected",
        "subsample = 2000",
        "subsample = true",
        11,
        ("problems[0].subsample: must be an integer, got true",),
    ),
    (
        "zero max_epochs",
        "max_epochs = 5",
        "max_epochs = 0",
        10,
        ("problems[0].max_epochs: must be >= 1, got 0",),
    ),
    (
        "unknown mode",
        'mode = "live"',
        'mode = "simulated"',
        2,
        ("mode: must be one of: 'live', 'replay' or 'surrogate', got 'simulated'",),
    ),
    (
        "missing name",
        'name = "smoke"',
        "",
        None,
        ("smoke.toml: name: missing required key 'name'",),
    ),
    (
        "missing problem name in second [[problems]]",
        'name = "mnist-cnn"',
        "",
        13,
        ("problems[1].name: missing required key 'name'",),
    ),
    (
        "duplicate problem",
        'name = "mnist-cnn"',
        'name = "stocks-mlp"',
        14,
        ("problems[1].name", "duplicate problem 'stocks-mlp'", "problems[0]"),
    ),
    (
        "duplicate strategy label",
        "params = {n_startup = 5, multivariate = true}",
        "",
        24,
        ("strategies[2]", "duplicate strategy 'tpe'", "strategies[1]", "different params"),
    ),
    (
        "unknown evaluation",
        "subsample = 2000",
        'subsample = 2000\nevaluation = "cv5"',
        12,
        ("problems[0].evaluation", "unknown evaluation 'cv5'", "'holdout' or 'kfold:K'"),
    ),
    (
        "one fold",
        "subsample = 2000",
        'subsample = 2000\nevaluation = "kfold:1"',
        12,
        ("problems[0].evaluation", "K >= 2"),
    ),
    (
        "kfold in replay",
        "subsample = 2000",
        'subsample = 2000\nevaluation = "kfold:3"\nmode = "replay"',
        12,
        ("problems[0].evaluation", "needs live mode"),
    ),
    (
        "date as a param value",
        "params = {width = 32}",
        "params = {width = 2024-01-01}",
        15,
        ("problems[1].params.width: must be a string, number, boolean, list or table",),
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "line", "fragments"),
    [case[1:] for case in BAD_EDITS],
    ids=[case[0] for case in BAD_EDITS],
)
def test_bad_matrix_gives_one_line_error(
    tmp_path: Path, old: str, new: str, line: int | None, fragments: tuple[str, ...]
) -> None:
    with pytest.raises(MatrixError) as info:
        load(tmp_path, replace_line(VALID, old, new))
    assert_error(info.value, str(tmp_path / "smoke.toml"), line, *fragments)


def test_execution_errors() -> None:
    text = VALID + "\n[execution]\nthreads = 0\n"
    with pytest.raises(MatrixError) as info:
        parse(text)
    assert_error(info.value, "smoke.toml", 28, "execution.threads: must be >= 1, got 0")

    text = VALID + '\n[execution]\nbackend = "pytorch"\n'
    with pytest.raises(MatrixError) as info:
        parse(text)
    assert_error(
        info.value,
        "smoke.toml",
        28,
        "execution.backend: must be one of: 'tensorflow', 'torch' or 'jax', got 'pytorch'",
    )

    text = VALID + "\n[execution]\nthread = 2\n"
    with pytest.raises(MatrixError) as info:
        parse(text)
    assert_error(
        info.value, "smoke.toml", 28, "execution.thread", "allowed: workers, threads, backend"
    )


def test_strategy_without_parameters() -> None:
    text = VALID + '\n[[strategies]]\nname = "bare"\nparams = {x = 1}\n'
    with pytest.raises(MatrixError) as info:
        parse(text)
    assert_error(
        info.value,
        "smoke.toml",
        29,
        "strategies[3].params.x",
        "unknown parameter 'x' for strategy 'bare'; it takes no parameters",
    )


def test_params_sub_table_line() -> None:
    # A [strategies.params] sub-table belongs to the last [[strategies]] (index 2).
    text = VALID + "\n[strategies.params]\n# comment\nn_startp = 3\n"
    with pytest.raises(MatrixError) as info:
        parse(text)
    assert_error(info.value, "smoke.toml", 29, "strategies[2].params.n_startp", "n_startup")


def test_first_error_in_file_order() -> None:
    text = replace_line(VALID, "seeds = 3", 'seeds = "x"')
    text = replace_line(text, 'name = "random"', 'name = "nope"')
    text = replace_line(text, "full_evaluations = 10", "full_evaluations = -1")
    with pytest.raises(MatrixError) as info:
        parse(text)
    assert_error(info.value, "smoke.toml", 3, "seeds:")


def test_multiline_strings_comments_and_quoted_keys_do_not_confuse_lines() -> None:
    text = '''\
name = "smoke"  # [[problems]] in a comment
mode = "live"
seeds = 2
[budget]
seconds = 10
[[problems]]
name = "stocks-mlp"
[problems.params]
note = """
[[problems]]
name = "fake" \\"""
"""
[[problems]]
"max_epochs" = -1
name = 'mnist-cnn'
[[strategies]]
name = "random"
'''
    with pytest.raises(MatrixError) as info:
        parse(text)
    assert_error(info.value, "smoke.toml", 14, "problems[1].max_epochs: must be >= 1, got -1")


def test_array_of_inline_tables_lines() -> None:
    text = """\
name = "smoke"
mode = "live"
seeds = 1
budget = {full_evaluations = 3}
problems = [
  {name = "stocks-mlp"},
  {name = "mnist-cnn", subsample = 0},
]
strategies = [{name = "random"}]
"""
    with pytest.raises(MatrixError) as info:
        parse(text)
    assert_error(info.value, "smoke.toml", 7, "problems[1].subsample: must be >= 1, got 0")


def test_empty_problem_list() -> None:
    text = """\
name = "smoke"
mode = "live"
seeds = 1
problems = []
strategies = [{name = "random"}]
[budget]
seconds = 1
"""
    with pytest.raises(MatrixError) as info:
        parse(text)
    assert_error(info.value, "smoke.toml", 4, "problems: must not be empty")


def test_toml_syntax_error(tmp_path: Path) -> None:
    text = 'name = "smoke"\nmode = "live"\nseeds = 3\nbudget  full_evaluations = 10\n'
    with pytest.raises(MatrixError) as info:
        load(tmp_path, text, name="broken.toml")
    err = info.value
    assert_error(err, str(tmp_path / "broken.toml"), 4, "invalid TOML: ", "column")
    assert err.key == ""


def test_toml_duplicate_key_is_a_syntax_error() -> None:
    with pytest.raises(MatrixError) as info:
        parse('name = "a"\nname = "b"\n')
    assert_error(info.value, "smoke.toml", 2, "invalid TOML")


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(MatrixError) as info:
        load_matrix(missing, problems=PROBLEMS, strategies=STRATEGIES)
    err = info.value
    assert str(err) == f"{missing}: file not found"
    assert (err.path, err.line, err.key, err.message) == (str(missing), None, "", "file not found")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.toml"
    path.write_bytes(b'name = "smoke"\nmode = "caf\xe9"\n')
    with pytest.raises(MatrixError) as info:
        load_matrix(path, problems=PROBLEMS, strategies=STRATEGIES)
    assert_error(info.value, str(path), 2, "UTF-8")


def test_matrix_error_format_and_pickle() -> None:
    err = MatrixError("m.toml", 7, "budget.x", "unknown key; allowed: a, b")
    assert str(err) == "m.toml:7: budget.x: unknown key; allowed: a, b"
    assert str(MatrixError("m.toml", None, "name", "missing")) == "m.toml: name: missing"
    assert str(MatrixError("m.toml", None, "k", "two\nlines")) == "m.toml: k: two lines"
    clone = pickle.loads(pickle.dumps(err))
    assert str(clone) == str(err)
    assert clone.line == 7


def test_quoted_odd_key_is_rendered_on_one_line() -> None:
    text = VALID.replace('mode = "live"', 'mode = "live"\n"odd\\nkey" = 1')
    with pytest.raises(MatrixError) as info:
        parse(text)
    assert_error(info.value, "smoke.toml", 3, '"odd\\nkey": unknown key')


def test_the_matrix_modes_are_the_trial_backends() -> None:
    from tunebench.backends.registry import BACKENDS
    from tunebench.matrix.schema import MODES

    assert set(MODES) == set(BACKENDS)
