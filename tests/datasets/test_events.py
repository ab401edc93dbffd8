from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tunebench.datasets import events
from tunebench.datasets.events import FEATURES, EventsMLP, simulate_events
from tunebench.datasets.files import DatasetError

N = 60_000


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray]:
    return simulate_events(N, seed=0)


def test_simulator_is_deterministic_per_seed(sample: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = simulate_events(N, seed=0)
    np.testing.assert_array_equal(x, sample[0])
    np.testing.assert_array_equal(y, sample[1])
    other_x, _ = simulate_events(N, seed=1)
    assert not np.array_equal(other_x, x)
    small_x, small_y = simulate_events(1000, seed=0)  # a smaller sample is a prefix
    np.testing.assert_array_equal(small_x, x[:1000])
    np.testing.assert_array_equal(small_y, y[:1000])
    assert x.shape == (N, len(FEATURES)) and x.dtype == np.float32


def test_reconstructed_mass_peaks_near_the_z(sample: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = sample
    m_reco = x[:, FEATURES.index("m_reco")]
    counts, edges = np.histogram(m_reco, bins=np.arange(40.0, 250.0, 1.0))
    peak = edges[np.argmax(counts)] + 0.5
    assert 89.0 <= peak <= 93.0
    true_counts, _ = np.histogram(y, bins=edges)
    assert abs(edges[np.argmax(true_counts)] + 0.5 - 91.19) <= 1.0
    assert y.min() >= 40.0 and y.max() <= 250.0
    # the Drell-Yan continuum: a tail of high masses, falling
    high = np.mean(y > 120.0)
    assert 0.02 < high < 0.2 and np.mean(y > 200.0) < high / 2
    # FSR: a low-side tail of reconstructed mass below the true mass, from ~1 event in 4
    low = np.mean(m_reco < 0.95 * y)
    assert 0.08 < low < 0.3 and np.mean(m_reco > 1.05 * y) < 0.02


def test_acceptance_and_detector_effects(sample: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = sample
    col = {name: x[:, i] for i, name in enumerate(FEATURES)}
    assert (col["mu1_pt"] > 10).all() and (col["mu2_pt"] > 10).all()
    assert (np.abs(col["mu1_eta"]) < 2.4).all() and (np.abs(col["mu2_eta"]) < 2.4).all()
    assert (col["mu1_pt"] >= col["mu2_pt"]).all()  # leading muon first
    assert (col["n_vertices"] >= 1).all()
    # resolution is worse in the endcaps: compare the core of the mass residual
    resid = (col["m_reco"] - y) / y
    core = np.abs(resid) < 0.05
    barrel = (np.abs(col["mu1_eta"]) < 1.2) & (np.abs(col["mu2_eta"]) < 1.2) & core
    endcap = (np.abs(col["mu1_eta"]) > 1.2) & (np.abs(col["mu2_eta"]) > 1.2) & core
    assert np.std(resid[endcap]) > 1.3 * np.std(resid[barrel])
    # missing-energy noise grows with pileup
    met = np.hypot(col["met_x"], col["met_y"])
    assert np.mean(met[col["n_vertices"] > 45]) > 1.5 * np.mean(met[col["n_vertices"] < 15])


def test_generated_once_then_read_from_the_cache(sim_cache: Path) -> None:
    x1, y1, facts1 = events.load_simulated(2000, seed=5)
    cache_file = Path(facts1["cache_file"])
    assert cache_file.parent == sim_cache / "events" and cache_file.is_file()
    x2, y2, facts2 = events.load_simulated(2000, seed=5)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert facts2 == facts1
    cache_file.write_bytes(cache_file.read_bytes()[:-100])  # a damaged cache is regenerated
    x3, _, facts3 = events.load_simulated(2000, seed=5)
    np.testing.assert_array_equal(x1, x3)
    assert facts3["sha256"] == facts1["sha256"]


def test_problem_standardises_and_records_the_baseline(sim_cache: Path, train_one_epoch) -> None:
    problem = EventsMLP(n_events=20_000)
    splits = problem.load(subsample=1024)
    src = splits.source
    assert splits.sizes() == {"train": 1024, "val": 3000, "test": 3000}
    assert src["split_sizes"] == {"train": 14000, "val": 3000, "test": 3000}
    assert src["variant"] == "simulated-v1" and src["checksum"].startswith("sha256:")
    full = problem.load()
    assert abs(float(full.y_train.mean())) < 1e-4 and abs(float(full.y_train.std()) - 1) < 1e-3
    assert 15 < src["target_std"] < 40 and 85 < src["target_mean"] < 100
    assert 0 < src["baseline_test_mae"] < 0.3
    assert src["baseline_test_mae_gev"] == pytest.approx(
        src["baseline_test_mae"] * src["target_std"], rel=1e-9
    )
    model, history = train_one_epoch(problem, splits, depth=4, first_width=64, batch_size=256)
    assert np.isfinite(history["val_mae"][0])
    dense = [layer.units for layer in model.layers if layer.__class__.__name__ == "Dense"]
    assert dense == [64, 32, 16, 8, 1]


def test_funnel_halves_down_to_two() -> None:
    assert events.funnel_widths(9, 512) == [512, 256, 128, 64, 32, 16, 8, 4, 2]
    assert events.funnel_widths(6, 32) == [32, 16, 8, 4, 2, 2]


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".npz"])
def test_user_event_file_through_the_same_path(tmp_path: Path, suffix: str) -> None:
    x, y = simulate_events(3000, seed=2)
    frame = pd.DataFrame(x, columns=list(FEATURES)).assign(truth=y)
    path = tmp_path / f"my_events{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path)
    elif suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        np.savez(path, **{c: frame[c].to_numpy() for c in frame.columns})
    splits = EventsMLP(events_file=str(path), target="truth", baseline="m_reco").load()
    src = splits.source
    assert src["variant"] == f"file:my_events{suffix}" and src["features"] == list(FEATURES)
    assert splits.sizes() == {"train": 2100, "val": 450, "test": 450}
    assert 0 < src["baseline_val_mae"] < 0.3


def test_user_event_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "ev.csv"
    pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}).to_csv(path, index=False)
    with pytest.raises(DatasetError, match="no target column 'target'; columns: a, b"):
        EventsMLP(events_file=str(path)).load()
    with pytest.raises(DatasetError, match="no baseline column 'c'"):
        EventsMLP(events_file=str(path), target="a", baseline="c").load()
    with pytest.raises(DatasetError, match="not found"):
        EventsMLP(events_file=str(tmp_path / "none.parquet")).load()
    (tmp_path / "ev.txt").write_text("x", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"allowed: \.parquet"):
        EventsMLP(events_file=str(tmp_path / "ev.txt")).load()


def test_size_limits() -> None:
    with pytest.raises(ValueError, match="n_events"):
        EventsMLP(n_events=20_000_000)
