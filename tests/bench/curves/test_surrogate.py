"""Surrogates fitted on the shipped sampled mnist-cnn table: fit, fidelity, file, refusals."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tunebench.cli.commands import app
from tunebench.curves.surrogate import Surrogate, SurrogateError, file_sha256
from tunebench.curves.surrogate_fit import fit_surrogate
from tunebench.curves.table import META_KEY, SAME_CURVES_KEY
from tunebench.datasets.mnist import MnistCNN
from tunebench.matrix.plan import shipped_table

TABLE = shipped_table("mnist-cnn", "sampled")


@pytest.fixture(scope="module")
def fitted() -> Surrogate:
    return fit_surrogate(MnistCNN(), TABLE, folds=3, rounds=30, seed=0)


def test_fidelity_is_measured_on_held_out_configs(fitted: Surrogate) -> None:
    fid = fitted.meta["fidelity"]
    assert fid["folds"] == 3 and fid["configs"] == 300
    assert fid["epochs"] == [2, 3, 4, 6]  # three intermediate epochs and the last
    for e in fid["epochs"]:
        # far better than chance on configs it never saw, short of the repeats' 0.94
        assert 0.4 < fid["value"][str(e)]["spearman"] < 0.95
        assert fid["seconds"][str(e)]["spearman"] > 0.5
    assert 0.5 < fid["noise"]["ratio"] < 2.0
    assert fitted.meta["space_fingerprint"] == MnistCNN().space().fingerprint()
    assert set(fitted.meta["versions"]) == {"xgboost", "scikit-learn", "scipy", "numpy"}


def test_curves_are_whole_plausible_and_follow_the_draw(fitted: Surrogate) -> None:
    space = MnistCNN().space()
    configs = [space.defaults(), *(json.loads(k) for k in _keys()[:20])]
    mean = fitted.predict(space, configs, np.zeros(len(configs)))
    assert mean.value.shape == (len(configs), 6)
    assert np.all((mean.value >= 0) & (mean.value <= 1))
    assert np.all(mean.seconds > 0) and np.all(mean.loss >= 0)
    lucky = fitted.predict(space, configs, np.full(len(configs), 2.0))
    assert np.all(lucky.value >= mean.value) and np.any(lucky.value > mean.value)
    again = fitted.predict(space, configs, np.full(len(configs), 2.0))
    assert np.array_equal(lucky.value, again.value)


def test_curves_stay_inside_what_the_table_recorded(fitted: Surrogate) -> None:
    import pandas as pd

    from tunebench.strategies.space.sampling import sample_configs

    space = MnistCNN().space()
    rows = pd.read_parquet(TABLE, columns=["config_key", "repeat", "epoch", "value"])
    by_epoch = rows.groupby("epoch")["value"]
    means = rows.groupby(["epoch", "config_key"])["value"].mean().groupby("epoch")
    configs = sample_configs(space, 300, seed=7)  # none of them recorded
    mean = fitted.predict(space, configs, np.zeros(len(configs))).value
    lucky = fitted.predict(space, configs, np.full(len(configs), 3.0)).value
    # accuracy: no mean curve beats the table's best config, no draw its best repeat
    assert np.all(mean <= means.max().to_numpy() + 1e-12)
    assert np.all(lucky <= by_epoch.max().to_numpy() + 1e-12)
    assert np.all(mean >= means.min().to_numpy() - 1e-12)
    assert np.any(lucky > mean)  # the draw still moves curves inside the range
    assert fitted.meta["link"] == "identity"
    noise = fitted.meta["fidelity"]["noise"]
    assert noise["recorded_median_abs_diff"] > 0 and noise["drawn_median_abs_diff"] > 0


def test_links_round_trip_and_follow_the_metric() -> None:
    from tunebench.curves.surrogate import from_link, link_of, to_link

    assert link_of("accuracy") == "identity" and link_of("mae") == "log"
    values = np.array([0.01, 0.5, 0.97])
    for link in ("identity", "logit", "log"):
        assert np.allclose(from_link(link, to_link(link, values)), values)
    assert np.isfinite(to_link("logit", np.array([0.0, 1.0]))).all()  # clipped, not infinite


def test_the_file_round_trips_and_refuses_what_does_not_match(
    fitted: Surrogate, tmp_path: Path
) -> None:
    path = tmp_path / "s.json.gz"
    fitted.save(path)
    space = MnistCNN().space()
    loaded = Surrogate.load(path, space.fingerprint(), TABLE)
    configs = [space.defaults()]
    draws = np.array([0.5])
    same = (
        loaded.predict(space, configs, draws).value == fitted.predict(space, configs, draws).value
    )
    assert same.all()
    with pytest.raises(SurrogateError, match=r"fitted for another search space"):
        Surrogate.load(path, "0" * 64)
    other = tmp_path / "other.parquet"
    other.write_bytes(TABLE.read_bytes() + b"x")
    with pytest.raises(SurrogateError, match=r"fitted on another version of .*other.parquet"):
        Surrogate.load(path, table=other)
    # A column added without retraining (add_params) names the file it was added to.
    grown = tmp_path / "grown.parquet"
    table = pq.read_table(TABLE)
    meta = json.loads(table.schema.metadata[META_KEY])
    table = table.append_column("params", pa.array(np.zeros(table.num_rows, dtype=np.int64)))
    pq.write_table(table.replace_schema_metadata({META_KEY: json.dumps(meta).encode()}), grown)
    with pytest.raises(SurrogateError, match=r"fitted on another version of .*grown.parquet"):
        Surrogate.load(path, table=grown)
    meta[SAME_CURVES_KEY] = ["0" * 64, file_sha256(TABLE)]
    pq.write_table(table.replace_schema_metadata({META_KEY: json.dumps(meta).encode()}), grown)
    assert Surrogate.load(path, table=grown).meta["table_sha256"] == file_sha256(TABLE)
    truncated = tmp_path / "cut.json.gz"
    truncated.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(SurrogateError, match=r"cut.json.gz: corrupt or truncated") as exc:
        Surrogate.load(truncated)
    assert "\n" not in str(exc.value)
    with pytest.raises(SurrogateError, match=r"not found \(fit it with tunebench surrogate fit\)"):
        Surrogate.load(tmp_path / "missing.json.gz")
    with gzip.open(tmp_path / "old.json.gz", "wt") as f:
        json.dump({"format": "tunebench-surrogate/0", "meta": {}, "models": {}}, f)
    with pytest.raises(SurrogateError, match=r"format 'tunebench-surrogate/0'"):
        Surrogate.load(tmp_path / "old.json.gz")


def test_a_grid_table_is_refused() -> None:
    with pytest.raises(SurrogateError, match=r"a grid table; a surrogate needs configs sampled"):
        fit_surrogate(MnistCNN(), shipped_table("mnist-cnn", "grid"))


def test_cli_fits_and_shows(tmp_path: Path) -> None:
    out = tmp_path / "m.json.gz"
    fit = CliRunner().invoke(app, ["surrogate", "fit", "mnist-cnn", "--out", str(out),
                                   "--rounds", "10", "--folds", "2", "-q"])  # fmt: skip
    assert fit.exit_code == 0, fit.output
    assert out.is_file() and f"wrote {out}" in fit.stdout
    shown = CliRunner().invoke(app, ["surrogate", "show", "mnist-cnn", "--file", str(out)])
    assert shown.exit_code == 0
    assert "held out by config, 2 folds" in shown.stdout and "validation rho" in shown.stdout
    missing = CliRunner().invoke(
        app, ["surrogate", "show", "mnist-cnn", "--file", str(tmp_path / "none.json.gz")]
    )
    assert missing.exit_code == 2
    assert missing.stderr.count("\n") == 1 and "tunebench surrogate fit" in missing.stderr


def test_cli_fit_without_out_writes_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tunebench.matrix.plan import shipped_surrogate

    shipped = shipped_surrogate("mnist-cnn")
    before = (shipped.stat().st_mtime_ns, shipped.read_bytes())
    monkeypatch.chdir(tmp_path)
    fit = CliRunner().invoke(app, ["surrogate", "fit", "mnist-cnn", "--rounds", "5",
                                   "--folds", "2", "-q"])  # fmt: skip
    assert fit.exit_code == 0, fit.output
    assert (tmp_path / "mnist-cnn.json.gz").is_file() and "wrote mnist-cnn.json.gz" in fit.stdout
    assert (shipped.stat().st_mtime_ns, shipped.read_bytes()) == before


def test_cli_fit_into_a_read_only_folder_is_one_line_exit_1(
    tmp_path: Path, read_only: Callable[[Path], AbstractContextManager[None]]
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    args = ["surrogate", "fit", "mnist-cnn", "--rounds", "5", "--folds", "2", "-q"]
    with read_only(folder):
        fit = CliRunner().invoke(app, [*args, "--out", str(folder / "s.json.gz")])
    assert fit.exit_code == 1, fit.output
    assert fit.stderr.count("\n") == 1 and "cannot write" in fit.stderr


def _keys() -> list[str]:
    import pandas as pd

    return sorted(pd.read_parquet(TABLE, columns=["config_key"])["config_key"].unique())


def _events(run_dir: Path) -> list[dict[str, object]]:
    """The trial log without its wall-clock stamps."""
    lines = (run_dir / "trials.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k != "t"} for line in lines]


def test_surrogate_mode_serves_any_config_like_replay_and_repeats_itself(
    fitted: Surrogate, tmp_path: Path
) -> None:
    fitted.save(tmp_path / "m.json.gz")
    matrix = tmp_path / "s.toml"
    matrix.write_text(
        'name = "s"\nmode = "surrogate"\nseeds = 2\n[budget]\nfull_evaluations = 4\n'
        '[[problems]]\nname = "mnist-cnn"\nsurrogate = "m.json.gz"\n'
        '[[strategies]]\nname = "random"\n[[strategies]]\nname = "pbt"\n'
    )
    logs = []
    for out in ("a", "b"):
        result = CliRunner().invoke(app, ["run", str(matrix), "--results", str(tmp_path / out),
                                          "-q"])  # fmt: skip
        assert result.exit_code == 0, result.output
        runs = sorted((tmp_path / out / "s" / "mnist-cnn").glob("*/seed=*"))
        assert len(runs) == 4
        logs.append([_events(r) for r in runs])
        record = json.loads((runs[0] / "run.json").read_text())
        assert record["status"] == "complete"
        assert record["spec"]["mode"] == "surrogate"
        assert record["provenance"]["data"]["table_sha256"] == fitted.meta["table_sha256"]
        assert record["provenance"]["data"]["fidelity"] == fitted.meta["fidelity"]
        assert record["ledger"]["epochs"] <= 4 * 6 and record["ledger"]["train_seconds"] > 0
    assert logs[0] == logs[1]  # the same seeds, the same trial logs
    report = CliRunner().invoke(app, ["report", str(tmp_path / "a" / "s"),
                                      "--out", str(tmp_path / "rep")])  # fmt: skip
    assert report.exit_code == 0, report.output
    text = (tmp_path / "rep" / "report.md").read_text()
    assert "## Surrogate fidelity" in text and "validation Spearman" in text
    seeds = logs[0]
    assert seeds[0] != seeds[1]  # another seed, another run
    # each epoch is the surrogate's prediction for that config, shifted by the run's draw
    from tunebench.backends.surrogate import SurrogateTrainer

    space = MnistCNN().space()
    trainer = SurrogateTrainer(fitted, space, run_seed=0)
    first = seeds[0]  # pbt, seed 0
    start = next(e for e in first if e["event"] == "trial_start")
    values = [e["value"] for e in first if e["event"] == "epoch" and e["trial"] == start["trial"]]
    expected = trainer.curve(start["config"], space.config_key(start["config"])).value
    assert values and np.allclose(values, expected[: len(values)])


def test_a_problem_without_a_surrogate_is_refused_at_load_time(tmp_path: Path) -> None:
    matrix = tmp_path / "s.toml"
    matrix.write_text(
        'name = "s"\nmode = "surrogate"\nseeds = 1\n[budget]\nfull_evaluations = 2\n'
        '[[problems]]\nname = "covertype-mlp"\nsurrogate = "none.json.gz"\n'
        '[[strategies]]\nname = "random"\n'
    )
    result = CliRunner().invoke(app, ["run", str(matrix), "--results", str(tmp_path / "r")])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line and "s.toml:8: problems[0].surrogate" in line
    assert "fit one with tunebench surrogate fit covertype-mlp" in line
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("path", sorted((TABLE.parent.parent.parent / "surrogates").glob("*.gz")))
def test_every_shipped_surrogate_fits_its_problem_and_table(path: Path) -> None:
    from tunebench.datasets import available_problems

    name = path.name.removesuffix(".json.gz")
    problem = available_problems()[name]()
    loaded = Surrogate.load(path, problem.space().fingerprint(), shipped_table(name, "sampled"))
    # shipped with the defaults of tunebench surrogate fit
    assert loaded.meta["rounds"] == 200 and loaded.meta["fidelity"]["folds"] == 5
    assert loaded.meta["models"]["value"] == {"rounds": 200, "eta": 0.1}
    assert loaded.meta["models"]["noise"] == {"rounds": 100, "eta": 0.2}
    assert all(b.num_boosted_rounds() == loaded.meta["models"][n]["rounds"]
               for n, b in loaded.boosters.items())  # fmt: skip
    shown = CliRunner().invoke(app, ["surrogate", "show", name])
    assert shown.exit_code == 0 and "held out by config, 5 folds" in shown.stdout
    assert "200 rounds (value, test value; 100 for the others)" in shown.stdout
