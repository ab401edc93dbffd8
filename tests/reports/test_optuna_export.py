"""``tunebench export optuna``: every run as an optuna study, read back with optuna."""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import optuna
import pytest
from typer.testing import CliRunner

from tunebench.cli.commands import app
from tunebench.reports.optuna_export import CLOCK_ORIGIN

MATRIX = textwrap.dedent(
    """\
    name = "export"
    mode = "replay"
    seeds = 2
    [budget]
    full_evaluations = 4
    [[problems]]
    name = "stocks-mlp"
    [[strategies]]
    name = "random"
    [[strategies]]
    name = "i-epoch"
    params = { top_k = 2 }
    [[strategies]]
    name = "median-stop"
    params = { n_startup_trials = 2 }
    """
)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small replay matrix's results: full, resumed and pruned trials, served configs."""
    root = tmp_path_factory.mktemp("export")
    (root / "export.toml").write_text(MATRIX)
    args = ["run", str(root / "export.toml"), "--results", str(root / "results")]
    out = CliRunner().invoke(app, [*args, "--reports", str(root / "reports"), "-q"])
    assert out.exit_code == 0, out.output
    return root / "results" / "export"


def _export(results: Path, storage: str, *extra: str) -> Any:
    return CliRunner().invoke(app, ["export", "optuna", str(results), "--storage", storage, *extra])


def _events(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "trials.jsonl").read_text().splitlines()]


def test_every_trial_is_exported_as_it_was_evaluated(results: Path, tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    out = _export(results, storage)
    assert out.exit_code == 0, out.output
    assert "6 studies written" in out.stdout
    names = {s.study_name for s in optuna.get_all_study_summaries(storage)}
    labels = sorted(p.name for p in (results / "stocks-mlp").iterdir())
    assert len(labels) == 3  # random, i-epoch[top_k=2], median-stop[n_startup_trials=2]
    expected = {f"export/stocks-mlp/{label}/seed={k}" for label in labels for k in (0, 1)}
    assert names == expected
    states: set[optuna.trial.TrialState] = set()
    resumed = served = 0
    for name in sorted(names):
        _, problem, strategy, seed = name.split("/")
        run_dir = results / problem / strategy / seed
        run = json.loads((run_dir / "run.json").read_text())
        study = optuna.load_study(study_name=name, storage=storage)
        assert study.direction == optuna.study.StudyDirection.MAXIMIZE
        assert study.metric_names == [f"val_{run['metric']['name']}"]  # the dashboard's axis
        events = _events(run_dir)
        starts = {e["trial"]: e for e in events if e["event"] == "trial_start"}
        ends = {e["trial"]: e for e in events if e["event"] == "trial_end"}
        assert len(study.trials) == len(starts)
        for trial in study.trials:
            tid = trial.user_attrs["tunebench_trial"]
            epochs = {e["epoch"]: e["value"] for e in events
                      if e["event"] == "epoch" and e["trial"] == tid}  # fmt: skip
            charged = sum(e["cost"]["epochs"] for e in events
                          if e["event"] in ("epoch", "charge") and e["trial"] == tid)  # fmt: skip
            assert trial.intermediate_values == epochs
            start = starts[tid]["t"]
            assert trial.datetime_start == CLOCK_ORIGIN + timedelta(seconds=start)
            assert trial.datetime_complete == CLOCK_ORIGIN + timedelta(seconds=ends[tid]["t"])
            assert trial.user_attrs["cost"]["epochs"] == charged == len(epochs)
            assert trial.user_attrs["resume_from"] == starts[tid]["resume_from"]
            assert trial.user_attrs["target_epochs"] == starts[tid]["target_epochs"]
            served_key = [e["config_key"] for e in events
                          if e["event"] == "served" and e["trial"] == tid]  # fmt: skip
            if "served_config" in trial.user_attrs:  # a sampled table served another config
                served += 1
                assert trial.params == trial.user_attrs["served_config"]
                assert trial.user_attrs["proposed_config"] == starts[tid]["config"]
                assert json.loads(served_key[0]) == trial.params
            else:
                assert trial.params == starts[tid]["config"]
            status = ends[tid]["status"]
            assert trial.user_attrs["status"] == status
            full = status == "complete" and max(epochs) == run["spec"]["max_epochs"]
            want = "FAIL" if status == "failed" else "COMPLETE" if full else "PRUNED"
            assert trial.state.name == want
            if trial.state is optuna.trial.TrialState.COMPLETE:
                assert trial.value == epochs[max(epochs)]
            resumed += trial.user_attrs["resume_from"] is not None
            states.add(trial.state)
        # The study's best is a full-length value, as the run's is.
        assert study.best_value == run["result"]["best_value"]
        if strategy == "random":
            assert study.best_params == run["result"]["best_config"]
    assert resumed == 4 and served > 0  # i-epoch's 2 promotions per seed
    assert optuna.trial.TrialState.PRUNED in states


def test_re_export_is_idempotent_and_other_trials_are_refused(
    results: Path, tmp_path: Path
) -> None:
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    assert _export(results, storage).exit_code == 0
    again = _export(results, storage)
    assert again.exit_code == 0 and "0 studies written (0 trials), 6 unchanged" in again.stdout
    counts = {s.study_name: s.n_trials for s in optuna.get_all_study_summaries(storage)}
    assert len(counts) == 6

    # Another storage already holds one of these studies, with another trial.
    other = f"sqlite:///{tmp_path / 'other.db'}"
    name = "export/stocks-mlp/random/seed=1"
    study = optuna.create_study(study_name=name, storage=other, direction="maximize")
    study.add_trial(
        optuna.trial.create_trial(
            params={"x": 1.0},
            distributions={"x": optuna.distributions.FloatDistribution(0, 2)},
            value=0.5,
        )
    )
    refused = _export(results, other)
    assert refused.exit_code == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and f"already holds study {name!r} with other trials" in lines[0]
    assert "--overwrite" in lines[0]
    after = {s.study_name: s.n_trials for s in optuna.get_all_study_summaries(other)}
    assert after == {name: 1}  # nothing written
    replaced = _export(results, other, "--overwrite")
    assert replaced.exit_code == 0, replaced.output
    assert {s.study_name: s.n_trials for s in optuna.get_all_study_summaries(other)} == counts


def test_bad_storage_and_empty_results_are_one_line(results: Path, tmp_path: Path) -> None:
    bad = _export(results, "nosuchdb://x")
    assert bad.exit_code == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "storage 'nosuchdb://x' cannot be opened" in bad.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    out = _export(empty, f"sqlite:///{tmp_path / 'e.db'}")
    assert out.exit_code == 2 and "holds no run with a run.json" in out.stderr
    assert not (tmp_path / "e.db").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.mark.skipif(
    importlib.util.find_spec("optuna_dashboard") is None,
    reason="optuna-dashboard is not installed (pip install 'tunebench[dashboard]')",
)
def test_optuna_dashboard_lists_the_exported_studies(results: Path, tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    assert _export(results, storage).exit_code == 0
    command = shutil.which("optuna-dashboard", path=str(Path(sys.executable).parent))
    assert command is not None
    port = _free_port()
    server = subprocess.Popen(
        [command, storage, "--port", str(port), "--host", "127.0.0.1", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                studies = _get(f"{base}/api/studies")["study_summaries"]
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        names = {s["study_name"] for s in studies}
        assert "export/stocks-mlp/i-epoch[top_k=2]/seed=0" in names and len(names) == 6
        study_id = next(s["study_id"] for s in studies if s["study_name"].endswith("random/seed=0"))
        detail = _get(f"{base}/api/studies/{study_id}")
        assert len(detail["trials"]) == 4
        assert all(t["state"] == "Complete" for t in detail["trials"])
    finally:
        server.terminate()
        server.wait(timeout=10)
