"""Objectives from a recorded table: the params column, table points, the fixed frame."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from tunebench.curves.surrogate import file_sha256
from tunebench.curves.table import META_KEY, LearningCurveTable, read_table_meta
from tunebench.objectives import (
    REFERENCE,
    HypervolumeReference,
    ObjectiveError,
    check_objectives,
    reference_from_table,
    require_columns,
    table_points,
    true_front,
)
from tunebench.objectives.add_params import add_params_column, count_trainable, main


@pytest.fixture(scope="module")
def with_params(
    table_path: Path, tiny_registry: dict[str, type], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("with-params") / "tiny.parquet"
    shutil.copy(table_path, path)
    add_params_column(path, problems=tiny_registry)
    return path


def test_a_table_without_params_is_refused_naming_the_command(table_path: Path) -> None:
    with pytest.raises(ObjectiveError) as info:
        require_columns(table_path, check_objectives(["metric", "params"]))
    text = str(info.value)
    assert "no 'params' column, which objective 'params' needs" in text
    assert f"python -m tunebench.objectives.add_params {table_path}" in text
    assert "\n" not in text
    with pytest.raises(ObjectiveError, match="add_params"):
        table_points(table_path, ["metric", "params"])
    require_columns(table_path, check_objectives(["metric", "train_seconds", "flops"]))


def test_params_column_counts_each_configs_trainable_weights(
    table_path: Path, with_params: Path, tiny_registry: dict[str, type]
) -> None:
    before, after = pd.read_parquet(table_path), pd.read_parquet(with_params)
    pd.testing.assert_frame_equal(after.drop(columns="params"), before)
    n_features = tiny_registry["tiny-stocks"]().load(None, 200).x_train.shape[1]
    for key, rows in after.groupby("config_key"):
        units = json.loads(str(key))["units_1"]
        # one hidden Dense layer and a one-unit output: weights plus biases
        assert set(rows["params"]) == {units * n_features + units + units + 1}
    assert after["params"].dtype == np.int64


def test_params_column_keeps_the_metadata_and_says_it_was_added(
    table_path: Path, with_params: Path
) -> None:
    old, new = read_table_meta(table_path), read_table_meta(with_params)
    added = new.pop("added_columns")
    # the file as it was is named, so surrogates fitted on it still match its curves
    assert new.pop("same_curves_as") == [file_sha256(table_path)]
    assert new == old
    assert added["params"]["command"] == "python -m tunebench.objectives.add_params TABLE"
    assert {"created", "keras", "backend"} <= set(added["params"])
    assert not list(with_params.parent.glob("*.tmp"))
    table = LearningCurveTable(with_params, old["space_fingerprint"])  # still loads for replay
    assert len(table.config_keys) == 4


def test_adding_again_recomputes_in_place(with_params: Path, tiny_registry: dict[str, type],
                                          tmp_path: Path) -> None:  # fmt: skip
    path = tmp_path / "again.parquet"
    shutil.copy(with_params, path)
    add_params_column(path, problems=tiny_registry)
    pd.testing.assert_frame_equal(pd.read_parquet(path), pd.read_parquet(with_params))
    assert pq.read_schema(path).names.count("params") == 1
    # both earlier versions of the file keep their place in the lineage
    earlier = read_table_meta(path)["same_curves_as"]
    assert earlier == [*read_table_meta(with_params)["same_curves_as"], file_sha256(with_params)]


def test_count_trainable_leaves_out_non_trainable_weights() -> None:
    import keras

    inputs = keras.Input(shape=(3,))
    outputs = keras.layers.BatchNormalization()(keras.layers.Dense(4)(inputs))
    model = keras.Model(inputs, outputs)
    # Dense 3x4 + 4; BatchNormalization trains gamma and beta (8), not its moving stats (8)
    assert count_trainable(model) == 24
    assert model.count_params() == 32


def test_the_command_adds_the_column(
    table_path: Path,
    tiny_module: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "cmd.parquet"
    shutil.copy(table_path, path)
    assert main([str(path)]) == 2  # tiny-stocks is defined in the tests' problem file only
    err = capsys.readouterr().err
    assert "recorded for problem 'tiny-stocks', which is not installed" in err
    assert "--module FILE" in err
    assert err.count("\n") == 1 and "params" not in pq.read_schema(path).names
    assert main([str(path), "--module", "missing.py"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main([str(path), "--module", tiny_module]) == 0
    assert "params added for 4 configs" in capsys.readouterr().out
    assert main([str(tmp_path / "missing.parquet")]) == 2
    assert "learning-curve table not found" in capsys.readouterr().err


def _by_hand(path: Path, max_epochs: int) -> pd.DataFrame:
    """Per-config means over repeats, computed directly from the rows."""
    rows = pd.read_parquet(path)
    meta = read_table_meta(path)
    rows = rows[rows["epoch"] <= max_epochs]
    units = rows.groupby(["config_key", "repeat"])
    per_unit = pd.DataFrame(
        {
            "metric": units.apply(lambda u: u.loc[u["epoch"] == max_epochs, "value"].iloc[0]),
            "params": units["params"].first().astype(float),
            "train_seconds": units["seconds"].sum(),
            "flops": units.apply(lambda u: u.loc[u["epoch"] == 1, "flops"].iloc[0])
            / (3 * meta["split_sizes"]["train"]),
        }
    )
    return per_unit.groupby(level="config_key").mean()


@pytest.mark.parametrize("max_epochs", [None, 2])
def test_table_points_are_means_over_repeats_at_max_epochs(
    with_params: Path, max_epochs: int | None
) -> None:
    names = ["metric", "params", "train_seconds", "flops"]
    points = table_points(with_params, names, max_epochs)
    expected = _by_hand(with_params, max_epochs or 3)
    assert points.config_keys == tuple(expected.index)
    np.testing.assert_allclose(points.values, expected[names].to_numpy(), rtol=1e-12)
    assert points.minimise == (False, True, True, True)  # accuracy is maximised
    assert points.without_point == 0 and points.max_epochs == (max_epochs or 3)


def test_table_points_refuse_epochs_the_table_does_not_hold(with_params: Path) -> None:
    with pytest.raises(ObjectiveError, match=r"max_epochs 4 is outside the table's 1\.\.3"):
        table_points(with_params, ["metric", "params"], 4)


def _rewrite(source: Path, path: Path, frame: pd.DataFrame) -> None:
    import pyarrow as pa

    meta = pq.read_schema(source).metadata[META_KEY]

    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table.replace_schema_metadata({META_KEY: meta}), path)


def test_failed_repeats_are_left_out_and_a_config_without_any_has_no_point(
    with_params: Path, tmp_path: Path
) -> None:
    path = tmp_path / "failed.parquet"
    frame = pd.read_parquet(with_params)
    keys = sorted(frame["config_key"].unique())
    # keys[0]: repeat 1 diverged at epoch 2 (its rows stop there); keys[1]: both repeats did
    fail_at_2 = (frame["epoch"] == 2) & (
        ((frame["config_key"] == keys[0]) & (frame["repeat"] == 1))
        | (frame["config_key"] == keys[1])
    )
    frame.loc[fail_at_2, "failed"] = "loss is nan"
    frame.loc[fail_at_2, "value"] = np.nan
    gone = (frame["epoch"] == 3) & (
        ((frame["config_key"] == keys[0]) & (frame["repeat"] == 1))
        | (frame["config_key"] == keys[1])
    )
    _rewrite(with_params, path, frame[~gone].reset_index(drop=True))
    points = table_points(path, ["metric", "train_seconds"])
    assert points.without_point == 1 and keys[1] not in points.config_keys
    kept = frame[(frame["config_key"] == keys[0]) & (frame["repeat"] == 0)]
    row = points.config_keys.index(keys[0])
    assert points.values[row, 0] == kept.loc[kept["epoch"] == 3, "value"].iloc[0]
    assert points.values[row, 1] == pytest.approx(kept["seconds"].sum())
    # at epoch 1 nothing had failed yet: every config has a point
    assert table_points(path, ["metric", "train_seconds"], 1).without_point == 0


def test_the_fixed_frame_of_a_table(with_params: Path) -> None:
    names = ["metric", "params", "train_seconds"]
    frame = reference_from_table(with_params, names)
    points = table_points(with_params, names)
    normalised = frame.normalise(points.values)
    # min-max over the table: every objective spans exactly 0..1, params in log10
    assert normalised.min(axis=0) == pytest.approx(np.zeros(3))
    assert normalised.max(axis=0) == pytest.approx(np.ones(3))
    params = frame.scales[1]
    assert (params.low, params.high) == pytest.approx(np.log10(
        [points.values[:, 1].min(), points.values[:, 1].max()]))  # fmt: skip
    assert frame.reference == (REFERENCE,) * 3 == (1.1, 1.1, 1.1)
    assert frame.configs == 4 and frame.max_epochs == 3
    assert frame.table == {
        "problem": "tiny-stocks",
        "problem_params": {},
        "subsample": 200,
        "kind": "grid",
        "sample": None,
        "sample_seed": None,
        "space_fingerprint": read_table_meta(with_params)["space_fingerprint"],
        "epochs": 3,
        "repeats": 2,
    }
    assert HypervolumeReference.from_dict(json.loads(json.dumps(frame.to_dict()))) == frame


def test_regret_is_zero_at_the_true_front_and_positive_off_it(with_params: Path) -> None:
    names = ["metric", "params"]
    frame = reference_from_table(with_params, names)
    points = table_points(with_params, names)
    front = true_front(points)
    assert frame.front_size == len(front.config_keys) >= 1
    assert frame.regret(front.values) == pytest.approx(0.0, abs=1e-12)
    assert frame.regret(points.values) == pytest.approx(0.0, abs=1e-12)
    # nothing on the front dominates another front point
    signed = np.where(points.minimise, 1.0, -1.0) * front.values
    for i in range(len(signed)):
        others = np.delete(signed, i, axis=0)
        assert not ((others <= signed[i]).all(axis=1) & (others < signed[i]).any(axis=1)).any()
    # every subset of the table's points scores at most the front; without a front point, less
    rng = np.random.default_rng(0)
    for _ in range(20):
        mask = rng.random(len(points.config_keys)) < 0.5
        assert frame.regret(points.values[mask]) >= -1e-12
    on_front = set(front.config_keys)
    off = np.array([key not in on_front for key in points.config_keys])
    assert frame.regret(points.values[off]) > 0
    assert frame.regret(np.zeros((0, 2))) == pytest.approx(frame.front_hypervolume)


def test_params_of_a_sampled_table_follow_each_configs_layers(
    sampled_table_path: Path, tiny_registry: dict[str, type], tmp_path: Path
) -> None:
    # sampled from stocks-mlp's full space: 1..n hidden layers, units_k active only up to n
    path = tmp_path / "sampled.parquet"
    shutil.copy(sampled_table_path, path)
    counts = add_params_column(path, problems=tiny_registry)
    n_features = tiny_registry["tiny-stocks"]().load(None, 200).x_train.shape[1]
    assert len(counts) == 6
    for key, count in counts.items():
        config = json.loads(key)
        widths = [n_features] + [config[f"units_{k}"] for k in range(1, config["n_layers"] + 1)]
        expected = sum(a * b + b for a, b in zip(widths, [*widths[1:], 1], strict=True))
        assert count == expected, config


def test_flops_and_params_agree_for_a_dense_network(with_params: Path) -> None:
    # a dense problem's training FLOPs are 6 x its parameters per example, so its forward
    # FLOPs per example are 2 x its parameters: two columns recorded by different code
    points = table_points(with_params, ["params", "flops"])
    np.testing.assert_allclose(points.values[:, 1], 2.0 * points.values[:, 0], rtol=1e-12)
