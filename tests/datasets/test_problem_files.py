"""A problem from one Python file: a matrix entry's ``module``, live end to end."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

from typer.testing import CliRunner

from tunebench.cli.commands import app
from tunebench.records.run_record import RunRecord, read_run_record

PROBLEM_FILE = '''\
"""stocks-mlp under another name, with a smaller space: a user's own problem."""

from tunebench.datasets.stocks import StocksMLP
from tunebench.strategies.space import Categorical, Int, SearchSpace


class MyStocks(StocksMLP):
    name = "my-stocks"
    max_epochs = 2

    def space(self) -> SearchSpace:
        return SearchSpace([
            Categorical("n_layers", (1,)),
            Int("units_1", 4, 16, log=True),
            Categorical("optimizer", ("adam",)),
            Categorical("learning_rate", (0.01,)),
            Categorical("batch_size", (64,)),
        ])
'''


def write_matrix(folder: Path, name: str = "my-stocks", module: str = "my_problem.py") -> Path:
    path = folder / "m.toml"
    path.write_text(
        textwrap.dedent(
            f"""\
            name = "m"
            mode = "live"
            seeds = 1
            [budget]
            full_evaluations = 2
            [[problems]]
            name = "{name}"
            module = "{module}"
            max_epochs = 1
            subsample = 200
            [[strategies]]
            name = "random"
            """
        ),
        encoding="utf-8",
    )
    return path


def run(path: Path, results: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["run", str(path), "--results", str(results), "-q"])
    return result.exit_code, result.stderr


def test_a_problem_file_runs_live_and_is_recorded(tmp_path: Path) -> None:
    source = tmp_path / "my_problem.py"
    source.write_text(PROBLEM_FILE, encoding="utf-8")
    code, err = run(write_matrix(tmp_path), tmp_path / "results")
    assert code == 0, err
    record = read_run_record(tmp_path / "results" / "m" / "my-stocks" / "random" / "seed=0")
    assert isinstance(record, RunRecord) and record.result.n_trials == 2
    assert record.spec.problem_module == str(source.resolve())
    assert record.provenance["problem_module"] == {
        "path": str(source.resolve()),
        "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
    }
    assert record.provenance["space_fingerprint"]  # the file's own space
    assert set(record.result.best_config or {}) == {
        "n_layers", "units_1", "optimizer", "learning_rate", "batch_size"
    }  # fmt: skip


def test_a_missing_file_is_one_line_at_its_key(tmp_path: Path) -> None:
    code, err = run(write_matrix(tmp_path, module="nope.py"), tmp_path / "results")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "m.toml:8: problems[0].module: no such file:" in err and "nope.py" in err
    assert not (tmp_path / "results").exists()


def test_a_file_without_a_problem_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty.py").write_text("X = 1\n", encoding="utf-8")
    code, err = run(write_matrix(tmp_path, module="empty.py"), tmp_path / "results")
    assert code == 2 and "problems[0].module:" in err and "defines no Problem subclass" in err


def test_a_file_that_raises_on_import_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("raise RuntimeError('boom')\n", encoding="utf-8")
    code, err = run(write_matrix(tmp_path, module="broken.py"), tmp_path / "results")
    assert code == 2 and "could not be imported: RuntimeError: boom" in err


def test_a_name_the_file_does_not_define_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "my_problem.py").write_text(PROBLEM_FILE, encoding="utf-8")
    code, err = run(write_matrix(tmp_path, name="other"), tmp_path / "results")
    assert code == 2
    assert "problems[0].name: my_problem.py defines the problems my-stocks, not 'other'" in err


def test_a_problem_that_fails_the_kit_is_refused_with_its_finding(tmp_path: Path) -> None:
    # compiled without the declared metric: the harness could never read val_accuracy
    (tmp_path / "my_problem.py").write_text(
        PROBLEM_FILE
        + textwrap.dedent("""
            def build_model(self, config, splits):
                import keras

                model = keras.Sequential([keras.Input(shape=splits.x_train.shape[1:]),
                                          keras.layers.Dense(1, activation="sigmoid")])
                model.compile(optimizer="adam", loss="binary_crossentropy")
                return model

            MyStocks.build_model = build_model
            """),
        encoding="utf-8",
    )
    code, err = run(write_matrix(tmp_path), tmp_path / "results")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "problems[0].name: problem 'my-stocks' fails the problem kit's run checks" in err
    assert "[metric_is_reported]" in err and "does not report the declared metric" in err
    assert not (tmp_path / "results").exists()


def test_a_space_default_that_does_not_build_is_refused(tmp_path: Path) -> None:
    (tmp_path / "my_problem.py").write_text(
        PROBLEM_FILE
        + textwrap.dedent("""
            def build_model(self, config, splits):
                raise ValueError(f"cannot build {config['units_1']} units")

            MyStocks.build_model = build_model
            """),
        encoding="utf-8",
    )
    code, err = run(write_matrix(tmp_path), tmp_path / "results")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "[default_config_builds]" in err and "ValueError: cannot build" in err


def test_loading_a_matrix_returns_its_files_problems_and_registers_none(tmp_path: Path) -> None:
    from tunebench.datasets import available_problems
    from tunebench.matrix.load import load_matrix, matrix_problems
    from tunebench.strategies import available_strategies

    (tmp_path / "my_problem.py").write_text(PROBLEM_FILE, encoding="utf-8")
    before = available_problems()
    matrix = load_matrix(write_matrix(tmp_path), problems=before, strategies=available_strategies())
    assert available_problems() == before  # no global registry grew
    problems = matrix_problems(matrix, tmp_path)
    assert problems["my-stocks"].__name__ == "MyStocks" and "my-stocks" not in before
    assert set(problems) - {"my-stocks"} == set(before)
