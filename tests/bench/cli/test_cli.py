"""The command line: the main job end to end, bad input, rerun and kill safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tunebench import __version__
from tunebench.cli.commands import app
from tunebench.records.storage import is_complete, read_json

cli = CliRunner()


def run_cli(*args: str) -> tuple[int, str, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_version_and_lists() -> None:
    assert run_cli("--version")[1].strip() == f"tunebench {__version__}"
    code, out, _ = run_cli("list", "problems")
    names = [line.split()[0] for line in out.splitlines()]
    assert code == 0 and names == ["covertype-mlp", "events-mlp", "mnist-cnn", "stocks-mlp"]
    code, out, _ = run_cli("list", "strategies")
    assert code == 0 and "random" in out


def test_shipped_matrices_are_listed_and_run_by_name(tmp_path: Path) -> None:
    code, out, _ = run_cli("list", "matrices")
    names = [line.split()[0] for line in out.splitlines()]
    assert code == 0 and {"smoke", "study", "confirm"} <= set(names)
    results = tmp_path / "results"
    code, out, err = run_cli("run", "smoke", "--dry-run", "--results", str(results))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"smoke: 72 runs in {results / 'smoke'} (dry run)"
    assert lines[1].split()[:3] == ["stocks-mlp", "replay", "60"]
    assert "60 to run (simulated clock: no training)" in lines[1]
    assert lines[2].split()[:3] == ["stocks-mlp@live", "live", "12"]
    assert "(recorded seconds of stocks-mlp.parquet)" in lines[2]
    assert lines[3].startswith("live training left: about ")
    assert not results.exists()  # a dry run writes nothing
    code, _, err = run_cli("run", "no-such-matrix", "--results", str(results))
    assert code == 2 and err.strip() == (
        "tunebench: error: no-such-matrix: no such file, nor a shipped matrix; shipped: "
        + ", ".join(sorted(names))
    )


def test_enumerated_options_take_only_their_choices_and_help_gives_exit_codes() -> None:
    def words(text: str) -> str:  # typer boxes and wraps its usage errors
        return " ".join(text.replace("\u2502", " ").split())

    code, _, err = run_cli("tabulate", "stocks-mlp", "--backend", "theano")
    assert code == 2 and "'theano' is not one of 'tensorflow', 'torch', 'jax'" in words(err)
    code, _, err = run_cli("surrogate", "fit", "stocks-mlp", "--link", "probit")
    assert code == 2 and "'probit' is not one of 'identity', 'log', 'logit'" in words(err)
    from tunebench.cli.commands import BackendName, LinkName
    from tunebench.curves.surrogate import LINKS
    from tunebench.runspec import KERAS_BACKENDS

    assert tuple(b.value for b in BackendName) == KERAS_BACKENDS  # the choices do not drift
    assert tuple(x.value for x in LinkName) == LINKS
    for command in ((), ("run",), ("report",), ("check",), ("surrogate", "fit")):
        _, out, _ = run_cli(*command, "--help")
        assert "Exit codes: 0 success" in " ".join(out.split()), command


def test_run_then_rerun_skips_complete_runs(
    tmp_path: Path, write_matrix: Callable[..., Path]
) -> None:
    matrix = write_matrix(seeds="2")
    results, reports = tmp_path / "results", tmp_path / "reports"
    args = ("run", str(matrix), "--results", str(results), "--reports", str(reports), "-q")
    code, _out, err = run_cli(*args)
    assert code == 0, err
    runs = sorted((results / "tiny" / "stocks-mlp" / "random").iterdir())
    assert [r.name for r in runs] == ["seed=0", "seed=1"]
    assert all(is_complete(r) for r in runs)
    for r in runs:
        record = read_json(r / "run.json")
        # charged epochs never exceed the budget: 2 full evaluations x 2 epochs
        assert record["ledger"]["epochs"] <= 4
    summary = (reports / "tiny" / "summary.md").read_text()
    assert "| stocks-mlp | random | 2 |" in summary
    before = {r: (r / "run.json").stat().st_mtime_ns for r in runs}
    code, _, err = run_cli(*args)
    assert code == 0, err
    assert {r: (r / "run.json").stat().st_mtime_ns for r in runs} == before


def test_results_of_another_matrix_are_refused(
    tmp_path: Path, write_matrix: Callable[..., Path]
) -> None:
    results = tmp_path / "results"
    first = write_matrix(seeds="1")
    assert run_cli("run", str(first), "--results", str(results), "-q")[0] == 0
    changed = write_matrix(seeds="1", budget="full_evaluations = 1", filename="b.toml")
    code, _, err = run_cli("run", str(changed), "--results", str(results), "-q")
    assert code == 2
    assert "different matrix named 'tiny'" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"strategies": '[[strategies]]\nname = "randm"\n'},
         "tiny.toml:11: strategies[0].name: unknown strategy 'randm'; allowed: "),
        ({"budget": "full_evaluations = -5"}, "tiny.toml:5: budget.full_evaluations"),
        ({"budget": "full_evalutions = 3"}, "unknown key; allowed: full_evaluations, seconds"),
        ({"seeds": '"three"'}, "tiny.toml:3: seeds"),
        ({"seeds": "[0, 1.5]"}, "seeds[1]"),
        # issue 39: a live multi-objective entry is scored in the frame of a table recorded
        # at its data settings; the default table was recorded on all rows
        ({"subsample": '300\nobjectives = ["metric", "params"]'},
         "tiny.toml:9: problems[0].subsample: the entry trains with subsample 300, but its "
         "hypervolume frame's table "),
        ({"subsample": '300\nobjectives = ["metric", "latency"]'},
         "tiny.toml:10: problems[0].objectives: unknown objective 'latency'; allowed: metric, "
         "params, train_seconds, flops"),
        ({"subsample": '300\nobjectives = ["params", "params"]'},
         "problems[0].objectives: objective 'params' listed twice"),
        ({"subsample": '300\nobjectives = ["metric"]'},
         "problems[0].objectives: a multi-objective entry needs at least two objectives, got 1"),
        ({"subsample": '300\nobjectives = "metric"'},
         "problems[0].objectives: must be a list of objective names, got 'metric'"),
    ],
)  # fmt: skip
def test_bad_matrix_exits_2_and_writes_nothing(
    tmp_path: Path, write_matrix: Callable[..., Path], overrides: dict[str, str], expected: str
) -> None:
    matrix = write_matrix(**overrides)
    results = tmp_path / "results"
    code, _out, err = run_cli("run", str(matrix), "--results", str(results))
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1
    assert not results.exists()


def test_unknown_problem_and_problem_param(tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    base = 'name = "p"\nmode = "live"\nseeds = 1\n[budget]\nfull_evaluations = 1\n'
    bad.write_text(base + '[[problems]]\nname = "mnist"\n[[strategies]]\nname = "random"\n')
    code, _, err = run_cli("run", str(bad), "--results", str(tmp_path / "r"))
    assert code == 2
    assert (
        "unknown problem 'mnist'; allowed: covertype-mlp, events-mlp, mnist-cnn, stocks-mlp" in err
    )
    bad.write_text(
        base + '[[problems]]\nname = "stocks-mlp"\nparams = {tickr = "X"}\n'
        '[[strategies]]\nname = "random"\n'
    )
    code, _, err = run_cli("run", str(bad), "--results", str(tmp_path / "r"))
    assert code == 2 and "problems[0].params" in err and "allowed parameters: ticker, window" in err
    code, out, _ = run_cli("list", "datasets", "--data-dir", str(tmp_path))
    assert code == 0 and "mnist" in out and "missing" in out  # an empty data dir
    assert not (tmp_path / "r").exists()


def test_missing_matrix_file(tmp_path: Path) -> None:
    code, _, err = run_cli("run", str(tmp_path / "nope.toml"))
    assert code == 2 and "file not found" in err


def _wait_for(predicate: Callable[[], bool], timeout: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            raise AssertionError(f"tunebench exited early with {proc.returncode}")
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def _comparable_logs(run_dir: Path) -> list[dict[str, object]]:
    events = [json.loads(line) for line in (run_dir / "trials.jsonl").open()]
    for e in events:
        e.pop("t")
        if "cost" in e:
            e["cost"].pop("seconds")
    return events


def test_sigkill_midway_then_rerun_matches_an_uninterrupted_run(
    tmp_path: Path, write_matrix: Callable[..., Path]
) -> None:
    matrix = write_matrix(seeds="3", budget="full_evaluations = 3", max_epochs=3)
    results = tmp_path / "results"
    base = [sys.executable, "-m", "tunebench", "run", str(matrix), "-q"]
    cmd = [*base, "--results", str(results), "--workers", "2"]
    runs = results / "tiny" / "stocks-mlp" / "random"
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)  # fmt: skip

    def one_complete_one_training() -> bool:
        dirs = [runs / f"seed={k}" for k in range(3)]
        complete = [d for d in dirs if is_complete(d)]
        training = [
            d for d in dirs
            if not is_complete(d) and (d / "trials.jsonl").is_file()
            and '"epoch"' in (d / "trials.jsonl").read_text()
        ]  # fmt: skip
        return bool(complete) and bool(training)

    try:
        _wait_for(one_complete_one_training, timeout=300, proc=proc)
        os.killpg(proc.pid, signal.SIGKILL)  # the whole process tree, workers included
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    survivors = {d: (d / "run.json").read_bytes() for d in runs.iterdir() if is_complete(d)}
    assert 1 <= len(survivors) < 3

    done = subprocess.run(cmd, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr
    for d, content in survivors.items():
        assert (d / "run.json").read_bytes() == content  # complete runs untouched

    # an uninterrupted run, inline in one process, gives identical records
    reference = tmp_path / "reference"
    ref = subprocess.run([*base, "--results", str(reference), "--workers", "1"],
                         capture_output=True, text=True, timeout=400)  # fmt: skip
    assert ref.returncode == 0, ref.stderr
    for seed in range(3):
        run_dir = runs / f"seed={seed}"
        assert is_complete(run_dir)
        ref_dir = reference / "tiny" / "stocks-mlp" / "random" / f"seed={seed}"
        assert _comparable_logs(run_dir) == _comparable_logs(ref_dir)
        got, want = read_json(run_dir / "run.json"), read_json(ref_dir / "run.json")
        assert got["result"] == want["result"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--param", "foo=1"], "--param foo: unknown option; allowed: n_events, sim_seed"),
        (["--param", "n_events"], "--param 'n_events': expected KEY=VALUE"),
        (["--param", "n_events=50"], "--param: n_events must be in [100,"),
    ],
)
def test_tabulate_param_errors(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "t.parquet"
    code, _, err = run_cli("tabulate", "events-mlp", "--out", str(out), *args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists() and not out.with_name("t.parquet.parts").exists()


def test_tabulate_param_values_are_toml(tmp_path: Path) -> None:
    from tunebench.cli.commands import _problem_params
    from tunebench.datasets.events import EventsMLP
    from tunebench.datasets.stocks import StocksMLP

    assert _problem_params(EventsMLP, ["n_events=2000", "sim_seed=3"]) == {
        "n_events": 2000,
        "sim_seed": 3,
    }
    assert _problem_params(StocksMLP, ["ticker=MSFT"]) == {"ticker": "MSFT"}
    assert _problem_params(StocksMLP, ['ticker="IBM"']) == {"ticker": "IBM"}
