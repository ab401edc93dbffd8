"""Shared fixtures. Tests train real (tiny) Keras models on real data."""

from __future__ import annotations

import contextlib
import os
import subprocess
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from tunebench.datasets import Problem, available_problems
from tunebench.datasets.problem_files import load_problem_file
from tunebench.execution.tabulate import TabulateJob, tabulate


@pytest.fixture(scope="session", autouse=True)
def _pinned_backend() -> None:
    """One TensorFlow thread, op determinism on, as the harness does."""
    from tunebench.execution.keras_env import configure

    configure("tensorflow", threads=1)


@pytest.fixture
def read_only() -> Callable[[Path], contextlib.AbstractContextManager[None]]:
    """A context manager that makes a folder unwritable: no file can be created in it.

    Root ignores permission bits, so as root the folder is made immutable (``chattr +i``)
    instead; the test is skipped where neither works.
    """

    @contextlib.contextmanager
    def make(folder: Path) -> Iterator[None]:
        if os.geteuid() != 0:
            folder.chmod(0o500)
            try:
                yield
            finally:
                folder.chmod(0o700)
            return
        done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip("cannot make a folder read-only as root here (no chattr +i)")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)

    return make


@pytest.fixture
def full_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder on a 64 KiB filesystem of its own (tmpfs), which a few runs fill.

    Mounting needs root with the right to mount; the test is skipped elsewhere.
    """
    folder = tmp_path / "full"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                          capture_output=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.fixture
def write_matrix(tmp_path: Path) -> Callable[..., Path]:
    """Write a small live matrix file; keyword arguments override its parts.

    ``backend`` sets ``[execution] backend`` (``None`` leaves it out).
    """

    def write(
        name: str = "tiny",
        seeds: str = "2",
        budget: str = "full_evaluations = 2",
        max_epochs: int = 2,
        subsample: int = 300,
        strategies: str = '[[strategies]]\nname = "random"\n',
        filename: str = "tiny.toml",
        backend: str | None = "tensorflow",
    ) -> Path:
        text = textwrap.dedent(
            f"""\
            name = "{name}"
            mode = "live"
            seeds = {seeds}
            [budget]
            {budget}
            [[problems]]
            name = "stocks-mlp"
            max_epochs = {max_epochs}
            subsample = {subsample}
            """
        )
        path = tmp_path / filename
        # this process runs Keras on TensorFlow, so runs can execute in it (stocks-mlp's
        # own default is its sampled table's torch)
        execution = "" if backend is None else f'[execution]\nbackend = "{backend}"\n'
        path.write_text(text + strategies + execution, encoding="utf-8")
        return path

    return write


#: The tests' own problem file (tiny-stocks, tiny-stocks-b): a matrix entry names it in
#: ``module``, a table recording in ``problem_module``.
TINY_FILE = Path(__file__).parent / "problems" / "tiny_stocks.py"
TINY = load_problem_file(TINY_FILE)
TinyStocks = TINY["tiny-stocks"]
REGISTRY = {**available_problems(), **TINY}


@pytest.fixture(scope="session")
def tiny_stocks() -> type[Problem]:
    """A stocks-mlp whose table grid has 4 configs ("tiny-stocks", from ``TINY_FILE``)."""
    return TinyStocks


@pytest.fixture(scope="session")
def tiny_registry() -> dict[str, type]:
    """The problem registry plus the tiny problems: what a matrix naming their file knows."""
    return REGISTRY


@pytest.fixture(scope="session")
def tiny_module() -> str:
    """``TINY_FILE`` as a matrix entry's ``module = "..."`` names it (an absolute path)."""
    return TINY_FILE.as_posix()


JOB = TabulateJob("tiny-stocks", {}, epochs=3, repeats=2, subsample=200, data_dir=None,
                  backend="tensorflow", threads=1, problem_module=str(TINY_FILE))  # fmt: skip


@pytest.fixture(scope="session")
def table_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tables") / "tiny.parquet"
    calls: list[tuple[int, int]] = []

    def stop_after_three(done: int, total: int) -> None:
        calls.append((done, total))
        if done == 3:
            raise KeyboardInterrupt  # as if killed after three units

    with pytest.raises(KeyboardInterrupt):
        tabulate(JOB, out, on_unit=stop_after_three)
    parts = out.with_name(out.name + ".parts")
    shards = sorted(parts.glob("*.parquet"))
    assert len(shards) == 3 and not out.exists()
    first = pd.read_parquet(shards[0])
    tabulate(JOB, out)  # resumes: trains only the 5 missing units
    assert not parts.exists()
    full = pd.read_parquet(out)
    again = full.merge(first[["config_key", "repeat", "epoch", "seconds"]],
                       on=["config_key", "repeat", "epoch"])  # fmt: skip
    # a unit finished before the interruption was kept, not retrained
    assert (again["seconds_x"] == again["seconds_y"]).all()
    return out


SAMPLED_JOB = TabulateJob("tiny-stocks", {}, epochs=3, repeats=2, subsample=200, data_dir=None,
                          backend="tensorflow", threads=1, sample=6, sample_seed=1,
                          problem_module=str(TINY_FILE))  # fmt: skip


@pytest.fixture(scope="session")
def sampled_table_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A table of 6 configs sampled from stocks-mlp's full space (3 epochs, 2 repeats)."""
    return tabulate(SAMPLED_JOB, tmp_path_factory.mktemp("sampled") / "sampled.parquet")


REPLAY_MATRIX = """\
name = "rp"
mode = "replay"
seeds = {seeds}
[budget]
full_evaluations = 2
[[problems]]
name = "stocks-mlp"
table = "grid"
max_epochs = 10
[[strategies]]
name = "random"
[[strategies]]
name = "grid"
"""


@pytest.fixture
def replay_matrix(tmp_path: Path) -> Callable[[int], Path]:
    """Write a cheap replay matrix (random and grid on stocks-mlp's grid table, no Keras)."""

    def write(seeds: int = 2) -> Path:
        path = tmp_path / "rp.toml"
        path.write_text(REPLAY_MATRIX.format(seeds=seeds), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def complete_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``results/rp``: the replay matrix's 4 complete runs (2 strategies x 2 seeds), once.

    Tests copy it (``shutil.copytree``) before changing anything.
    """
    from typer.testing import CliRunner

    from tunebench.cli.commands import app

    root = tmp_path_factory.mktemp("replay")
    matrix = root / "rp.toml"
    matrix.write_text(REPLAY_MATRIX.format(seeds=2), encoding="utf-8")
    args = ["run", str(matrix), "--results", str(root / "results"), "-q", "--workers", "1"]
    done = CliRunner().invoke(app, [*args, "--reports", str(root / "reports")])
    assert done.exit_code == 0, done.output
    return root / "results" / "rp"
