"""Mode fidelity: pairing, ranks and Kendall's tau, and the report sections."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from tunebench.datasets import available_problems
from tunebench.matrix.load import parse_matrix
from tunebench.matrix.schema import Matrix
from tunebench.reports.analysis.agreement import settings_difference
from tunebench.reports.analysis.analyze import analyze
from tunebench.reports.analysis.fidelity import compare, fidelity, pairs
from tunebench.reports.inputs.load import ProblemInfo, load_results
from tunebench.reports.report import build_report
from tunebench.strategies import available_strategies


def _info(
    name: str,
    mode: str,
    registered: str = "stocks-mlp",
    direction: str = "maximize",
    max_epochs: int = 10,
    params: dict[str, object] | None = None,
) -> ProblemInfo:
    return ProblemInfo(
        name=name,
        registered=registered,
        metric="accuracy",
        direction=direction,
        max_epochs=max_epochs,
        mode=mode,
        params=params or {},
    )


def _final(scores: dict[str, list[float]], offset: float = 0.0) -> pd.DataFrame:
    """Runs with the given test scores per strategy (seeds 0..); val = score + offset."""
    rows = [
        {"strategy": s, "seed": seed, "score": v, "val": v + offset}
        for s, values in scores.items()
        for seed, v in enumerate(values)
    ]
    return pd.DataFrame(rows)


REPLAY = _info("stocks-mlp", "replay")
LIVE = _info("stocks-mlp@live", "live")
PAIR = ("stocks-mlp", "stocks-mlp@live")


# --------------------------------------------------------------------------------------
# pairing
# --------------------------------------------------------------------------------------


def test_pairs_live_with_replay_of_the_same_problem() -> None:
    infos = {
        "stocks-mlp": REPLAY,
        "mnist-cnn": _info("mnist-cnn", "replay", registered="mnist-cnn"),
        "stocks-mlp@live": LIVE,
    }
    assert pairs(infos) == [(REPLAY, LIVE)]


def test_a_surrogate_entry_is_paired_with_the_table_and_with_live() -> None:
    surrogate = _info("stocks-mlp@surrogate", "surrogate")
    other = _info("mnist-cnn@surrogate", "surrogate", registered="mnist-cnn")
    infos = {"stocks-mlp": REPLAY, "stocks-mlp@surrogate": surrogate, "stocks-mlp@live": LIVE}
    assert pairs({**infos, "mnist-cnn@surrogate": other}) == [
        (REPLAY, LIVE),
        (surrogate, REPLAY),
        (surrogate, LIVE),
    ]
    assert pairs({"stocks-mlp@surrogate": surrogate, "stocks-mlp@live": LIVE}) == [
        (surrogate, LIVE)
    ]
    finals = {label: _final(SCORES) for label in infos}
    results = fidelity(infos, finals)
    assert [r.title for r in results] == [
        "Does replay predict live?",
        "Does the surrogate predict the table?",
        "Does the surrogate predict live?",
    ]
    assert [r.anchor for r in results] == [
        "replay-vs-live",
        "surrogate-vs-table",
        "surrogate-vs-live",
    ]
    assert [(r.tested_mode, r.reference_mode) for r in results] == [
        ("replay", "live"),
        ("surrogate", "replay"),
        ("surrogate", "live"),
    ]
    assert len({r.key for r in results}) == 3  # one figure each
    assert all(r.tau == pytest.approx(1.0) for r in results)


def test_no_pair_without_both_modes_or_with_other_epochs() -> None:
    assert pairs({"stocks-mlp": REPLAY}) == []
    assert pairs({"stocks-mlp@live": LIVE}) == []
    other_epochs = _info("stocks-mlp", "replay", max_epochs=6)
    assert pairs({"stocks-mlp": other_epochs, "stocks-mlp@live": LIVE}) == []
    other_problem = _info("mnist-cnn", "replay", registered="mnist-cnn")
    assert pairs({"mnist-cnn": other_problem, "stocks-mlp@live": LIVE}) == []


def test_pairs_prefer_the_replay_entry_with_the_same_options() -> None:
    # two entries of one problem (only one can use the plain label; the other differs)
    plain = _info("events-mlp", "replay", registered="events-mlp")
    big = _info("events-mlp@replay", "replay", registered="events-mlp", params={"n_events": 9})
    live = _info("events-mlp@live", "live", registered="events-mlp", params={"n_events": 9})
    infos = {"events-mlp": plain, "events-mlp@replay": big, "events-mlp@live": live}
    assert pairs(infos) == [(big, live)]
    live_plain = _info("events-mlp@live", "live", registered="events-mlp")
    assert pairs({**infos, "events-mlp@live": live_plain}) == [(plain, live_plain)]


def test_pairs_fall_back_to_the_label_when_no_registered_name_is_recorded() -> None:
    # older tables have no problem_name: the registered name defaults to the label
    live = _info("stocks-mlp@live", "live", registered="stocks-mlp@live")
    (pair,) = pairs({"stocks-mlp": REPLAY, "stocks-mlp@live": live})
    assert pair == (REPLAY, live)
    finals = {label: _final({"a": [1.0], "b": [2.0], "c": [3.0]}) for label in PAIR}
    (res,) = fidelity({"stocks-mlp": REPLAY, "stocks-mlp@live": live}, finals)
    assert (res.problem, res.tested, res.reference) == ("stocks-mlp", *PAIR)


# --------------------------------------------------------------------------------------
# ranks and Kendall's tau
# --------------------------------------------------------------------------------------

SCORES = {"a": [0.5, 0.7, 0.6], "b": [0.8, 0.9, 0.1], "c": [0.3, 0.2, 0.4], "d": [0.95, 0.9, 1.0]}


def test_identical_rankings_give_tau_one() -> None:
    # live medians differ from replay's, the order does not
    live = {s: [v - 0.05 for v in values[:2]] for s, values in SCORES.items()}
    res = compare(REPLAY, _final(SCORES), LIVE, _final(live))
    assert res.tau == pytest.approx(1.0) and res.val_tau == pytest.approx(1.0)
    assert res.pvalue is not None and res.pvalue < 0.1
    assert res.strategies == ["a", "b", "c", "d"] and res.n == 4
    assert (res.tested_seeds, res.reference_seeds) == (3, 2)
    table = res.table.set_index("strategy")
    for s, values in SCORES.items():
        assert table.loc[s, "tested_median"] == pytest.approx(np.median(values))
        assert table.loc[s, "tested_runs"] == 3 and table.loc[s, "reference_runs"] == 2
    # maximize: the largest median is rank 1
    assert table["tested_rank"].to_dict() == {"a": 3.0, "b": 2.0, "c": 4.0, "d": 1.0}
    assert (table["tested_rank"] == table["reference_rank"]).all()
    assert res.note == ""


def test_different_backends_are_flagged() -> None:
    replay = dataclasses.replace(REPLAY, backend="tensorflow")
    same = compare(
        replay, _final(SCORES), dataclasses.replace(LIVE, backend="tensorflow"), _final(SCORES)
    )
    assert same.backend_flag == "" and same.reference_backend == "tensorflow"
    other = compare(
        replay, _final(SCORES), dataclasses.replace(LIVE, backend="torch"), _final(SCORES)
    )
    assert other.backend_flag.startswith("the table was recorded on tensorflow and the live")
    assert compare(REPLAY, _final(SCORES), LIVE, _final(SCORES)).backend_flag == ""  # unknown


def test_reversed_rankings_give_tau_minus_one() -> None:
    medians = {s: np.median(v) for s, v in SCORES.items()}
    live = {s: [1.0 - m] for s, m in medians.items()}
    res = compare(REPLAY, _final(SCORES), LIVE, _final(live))
    assert res.tau == pytest.approx(-1.0)
    table = res.table.set_index("strategy")
    assert (table["tested_rank"] + table["reference_rank"] == len(SCORES) + 1).all()


def test_minimize_ranks_the_lowest_first() -> None:
    replay = _info("loss", "replay", registered="loss", direction="minimize")
    live = _info("loss@live", "live", registered="loss", direction="minimize")
    replay_final = _final({"a": [0.1], "b": [0.2], "c": [0.3], "d": [0.4], "e": [0.5]})
    live_final = _final({"a": [1.0], "b": [2.0], "c": [3.0], "d": [5.0], "e": [4.0]})
    res = compare(replay, replay_final, live, live_final)
    table = res.table.set_index("strategy")
    assert table["tested_rank"].to_dict() == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}
    assert table["reference_rank"].to_dict() == {"a": 1, "b": 2, "c": 3, "d": 5, "e": 4}
    # one discordant pair of 10: (9 - 1) / 10
    assert res.tau == pytest.approx(0.8)
    assert res.pvalue == pytest.approx(sps.kendalltau([1, 2, 3, 4, 5], [1, 2, 3, 5, 4]).pvalue)


def test_ties_share_the_mean_rank_and_use_tau_b() -> None:
    replay_final = _final({"a": [0.9], "b": [0.8], "c": [0.7], "d": [0.6]})
    live_final = _final({"a": [0.9], "b": [0.8], "c": [0.8], "d": [0.6]})
    res = compare(REPLAY, replay_final, LIVE, live_final)
    assert res.table.set_index("strategy")["reference_rank"].to_dict() == {
        "a": 1.0,
        "b": 2.5,
        "c": 2.5,
        "d": 4.0,
    }
    # tau-b: 5 concordant, 0 discordant, one pair tied in live only
    assert res.tau == pytest.approx(5 / np.sqrt(6 * 5))


def test_only_strategies_scored_in_both_modes_are_compared() -> None:
    replay_final = _final({"a": [0.9], "b": [0.8], "c": [0.7], "only-replay": [0.5]})
    live_final = _final({"a": [0.9], "b": [0.8], "c": [float("nan")], "only-live": [0.1]})
    live_final = pd.concat([live_final, _final({"c": [0.6]})], ignore_index=True)
    res = compare(REPLAY, replay_final, LIVE, live_final)
    assert res.strategies == ["a", "b", "c"]
    assert res.table.set_index("strategy").loc["c", "reference_runs"] == 1
    assert res.tau == pytest.approx(1.0)


def test_fewer_than_three_strategies_give_no_tau() -> None:
    res = compare(REPLAY, _final({"a": [0.9], "b": [0.8]}), LIVE, _final({"a": [0.9], "b": [0.1]}))
    assert res.tau is None and res.pvalue is None and res.val_tau is None
    assert "2 strategies" in res.note and "at least 3" in res.note
    assert "not computed" in res.tau_text()
    assert len(res.table) == 2
    disjoint = compare(REPLAY, _final({"a": [0.9]}), LIVE, _final({"b": [0.9]}))
    assert disjoint.strategies == [] and disjoint.table.empty and disjoint.tau is None


def test_a_mode_where_every_strategy_ties_gives_no_tau() -> None:
    res = compare(
        REPLAY,
        _final({"a": [0.9], "b": [0.8], "c": [0.7]}),
        LIVE,
        _final({"a": [0.5], "b": [0.5], "c": [0.5]}),
    )
    assert res.tau is None and "same median" in res.note and "live" in res.note


def test_validation_tau_can_differ_from_test_tau() -> None:
    replay_final = _final({"a": [0.9], "b": [0.8], "c": [0.7]})
    live_final = _final({"a": [0.9], "b": [0.8], "c": [0.7]})
    live_final["val"] = [0.1, 0.2, 0.3]  # validation order reversed, test order kept
    res = compare(REPLAY, replay_final, LIVE, live_final)
    assert res.tau == pytest.approx(1.0) and res.val_tau == pytest.approx(-1.0)


# --------------------------------------------------------------------------------------
# the same experiment but for the mode: settings that differ refuse the comparison
# --------------------------------------------------------------------------------------

SAME = {
    "seeds": (0, 1, 2),
    "budget": (20.0, None),
    "data": {"checksum": "sha256:ab", "subsample": 20000},
}


def test_settings_difference_names_each_setting_that_differs() -> None:
    replay = dataclasses.replace(REPLAY, **SAME)  # type: ignore[arg-type]
    live = dataclasses.replace(LIVE, **SAME)  # type: ignore[arg-type]
    assert settings_difference(replay, live) == ""
    assert settings_difference(replay, dataclasses.replace(live, budget=(50.0, None))) == (
        "budget: 20 full evaluations in replay, 50 full evaluations in live"
    )
    assert settings_difference(replay, dataclasses.replace(live, seeds=(0, 1, 2, 3, 4))) == (
        "seeds: 3 seeds (0-2) in replay, 5 seeds (0-4) in live"
    )
    other = dataclasses.replace(live, data={"checksum": "sha256:ab", "subsample": 5000})
    assert settings_difference(replay, other) == "data subsample: 20000 in replay, 5000 in live"
    both = dataclasses.replace(other, seeds=(0, 2, 4))
    assert settings_difference(replay, both) == (
        "seeds: 3 seeds (0-2) in replay, 3 seeds (0, 2, 4) in live; "
        "data subsample: 20000 in replay, 5000 in live"
    )
    other_space = dataclasses.replace(live, data={**SAME["data"], "space": "f00d"})
    assert settings_difference(
        dataclasses.replace(replay, data={**SAME["data"], "space": "beef"}), other_space
    ) == ("search space (fingerprint): beef in replay, f00d in live")
    # a setting one side does not record is not held against the pair
    assert settings_difference(replay, dataclasses.replace(live, data={}, budget=None)) == ""


def test_entries_that_differ_are_not_compared() -> None:
    replay = dataclasses.replace(REPLAY, **SAME)  # type: ignore[arg-type]
    live = dataclasses.replace(LIVE, **{**SAME, "budget": (10.0, None)})  # type: ignore[arg-type]
    res = compare(replay, _final(SCORES), live, _final(SCORES))
    assert res.refused == "budget: 20 full evaluations in replay, 10 full evaluations in live"
    assert res.tau is None and res.rank_tau is None and res.table.empty and res.verdicts.empty
    assert res.note.startswith("not compared, the entries differ in budget")


# --------------------------------------------------------------------------------------
# mean ranks over paired seeds, their tau with a bootstrap interval, pairwise verdicts
# --------------------------------------------------------------------------------------


def _seeded(base: dict[str, float], n: int, noise: float, seed: int) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    return {s: list(v + noise * rng.standard_normal(n)) for s, v in base.items()}


def test_mean_rank_tau_has_a_bootstrap_interval_over_seeds() -> None:
    base = {"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.6}
    replay = _seeded(base, 12, 0.02, 1)
    live = _seeded(base, 12, 0.02, 2)
    res = compare(REPLAY, _final(replay), LIVE, _final(live))
    assert res.paired_seeds == 12
    table = res.table.set_index("strategy")
    ranks = pd.DataFrame(replay).rank(axis=1, ascending=False).mean()
    assert np.allclose(table["tested_mean_rank"], ranks.reindex(table.index))
    assert res.rank_tau == pytest.approx(1.0)
    assert res.rank_tau_interval is not None
    low, high = res.rank_tau_interval
    assert -1.0 <= low <= high <= 1.0 and high == pytest.approx(1.0)
    assert "Kendall's tau-b of mean ranks = 1.00 (95% bootstrap interval" in res.rank_tau_text()
    # the same inputs give the same interval (the bootstrap is seeded by the pair)
    again = compare(REPLAY, _final(replay), LIVE, _final(live))
    assert again.rank_tau_interval == res.rank_tau_interval
    # noise as large as the differences widens the interval
    noisy = compare(REPLAY, _final(replay), LIVE, _final(_seeded(base, 12, 0.3, 3)))
    assert noisy.rank_tau_interval is not None
    assert noisy.rank_tau_interval[0] < low


def test_only_seeds_complete_in_both_modes_are_paired() -> None:
    replay = {"a": [0.9, 0.9, 0.9], "b": [0.5, 0.5, 0.5], "c": [0.1, 0.1, float("nan")]}
    live = {"a": [0.9, 0.9], "b": [0.5, 0.5], "c": [0.1, 0.1]}
    res = compare(REPLAY, _final(replay), LIVE, _final(live))
    assert res.paired_seeds == 2  # seed 2: no live runs; c's replay score there is missing


def test_pairwise_verdicts_in_each_mode_and_their_agreement() -> None:
    n = 8
    seeds = np.arange(n) * 0.001  # every block keeps the same order, so p = 2 / 2**8
    replay = {"a": list(0.9 + seeds), "b": list(0.6 + seeds), "c": list(0.3 + seeds)}
    live = {"a": list(0.9 + seeds), "b": list(0.3 + seeds), "c": list(0.6 + seeds)}
    res = compare(REPLAY, _final(replay), LIVE, _final(live))
    v = res.verdicts.set_index(["a", "b"])
    assert v.loc[("a", "b"), "agreement"] == "agree"
    assert v.loc[("a", "c"), "agreement"] == "agree"
    assert v.loc[("b", "c"), "tested_winner"] == "b"
    assert v.loc[("b", "c"), "reference_winner"] == "c"
    assert v.loc[("b", "c"), "agreement"] == "disagree"
    assert res.verdict_counts() == {
        "pairs": 3,
        "both": 3,
        "agree": 2,
        "disagree": 1,
        "one": 0,
        "one_same_way": 0,
        "neither": 0,
    }
    # live with c and b alternating: significant in replay only, and it leans b's way
    mixed = [0.6 if i % 2 else 0.3 for i in range(n)]
    live2 = {
        "a": list(0.9 + seeds),
        "b": [0.61 if i < 5 else 0.3 for i in range(n)],
        "c": mixed,
    }
    res2 = compare(REPLAY, _final(replay), LIVE, _final(live2))
    v2 = res2.verdicts.set_index(["a", "b"])
    assert bool(v2.loc[("b", "c"), "tested_significant"])
    assert not bool(v2.loc[("b", "c"), "reference_significant"])
    assert v2.loc[("b", "c"), "agreement"] == "only replay, same way"
    # minimize flips every winner
    low = dataclasses.replace(REPLAY, direction="minimize")
    res3 = compare(
        low, _final(replay), dataclasses.replace(LIVE, direction="minimize"), _final(live)
    )
    assert res3.verdicts.set_index(["a", "b"]).loc[("a", "b"), "tested_winner"] == "b"


# --------------------------------------------------------------------------------------
# end to end: a tiny results folder with the same problem replayed and live
# --------------------------------------------------------------------------------------

# strategies that pick different configs on a 6-config sampled table with a 2-evaluation budget
STRATEGIES = ("random", "grid", "one-at-a-time")
SEEDS = 2  # the same in both modes, or the report would not compare them


@pytest.fixture(scope="module")
def fidelity_results(
    tmp_path_factory: pytest.TempPathFactory,
    sampled_table_path: Path,
    tiny_module: str,
    run_matrix: Callable[[Matrix, Path, dict[str, type], Path], Path],
) -> Path:
    """``results/fid``: tiny-stocks replayed and trained live on the table's subsample."""
    registry = dict(available_strategies())
    text = (
        f'name = "fid"\nmode = "replay"\nseeds = {SEEDS}\n'
        "[budget]\nfull_evaluations = 2\n"
        f'[[problems]]\nname = "tiny-stocks"\nmodule = "{tiny_module}"\nmax_epochs = 2\n'
        f'table = "{sampled_table_path.name}"\n'
        f'[[problems]]\nname = "tiny-stocks"\nmodule = "{tiny_module}"\nmode = "live"\n'
        "max_epochs = 2\nsubsample = 200\n"
    )
    text += "".join(f'[[strategies]]\nname = "{s}"\n' for s in STRATEGIES)
    matrix = parse_matrix(
        text, source="fid.toml", problems=available_problems(), strategies=registry
    )
    root = tmp_path_factory.mktemp("fidelity-results")
    return run_matrix(matrix, root, registry, sampled_table_path.parent)


@pytest.fixture(scope="module")
def fidelity_report(
    tmp_path_factory: pytest.TempPathFactory,
    fidelity_results: Path,
) -> Path:
    out = tmp_path_factory.mktemp("fidelity-report") / "fid"
    build_report(fidelity_results, out)
    return out


def test_analysis_pairs_the_live_entry_with_the_replay_entry(fidelity_results: Path) -> None:
    a = analyze(load_results(fidelity_results))
    assert set(a.problems) == {"tiny-stocks", "tiny-stocks@live"}
    (res,) = a.fidelity
    assert (res.problem, res.tested, res.reference) == (
        "tiny-stocks",
        "tiny-stocks",
        "tiny-stocks@live",
    )
    assert res.refused == ""
    assert (res.tested_seeds, res.reference_seeds) == (SEEDS, SEEDS) == (res.paired_seeds, SEEDS)
    assert len(res.verdicts) == 3  # every pair of the three strategies
    assert res.strategies == sorted(STRATEGIES)
    # the medians are those of the report's final test scores in each mode
    for label, column in (
        ("tiny-stocks", "tested_median"),
        ("tiny-stocks@live", "reference_median"),
    ):
        expected = a.problems[label].final_table.set_index("strategy")["median"]
        got = res.table.set_index("strategy")[column]
        assert np.allclose(got.to_numpy(), expected.reindex(got.index).to_numpy())
    if res.tau is None:  # every strategy may tie in a mode on so tiny a problem
        assert "same median" in res.note
    else:
        assert -1.0 <= res.tau <= 1.0 and res.pvalue is not None and 0.0 <= res.pvalue <= 1.0


def test_report_shows_live_versus_replay(fidelity_results: Path, fidelity_report: Path) -> None:
    md = (fidelity_report / "report.md").read_text()
    html = (fidelity_report / "index.html").read_text()
    table = pd.read_csv(fidelity_report / "tables" / "fidelity.csv")
    assert list(table["strategy"]) == sorted(STRATEGIES)
    assert set(table["reference"]) == {"tiny-stocks@live"} and set(table["tested"]) == {
        "tiny-stocks"
    }
    summary = next(p for p in md.split("\n\n") if p.startswith("- Matrix "))
    assert "Does replay predict live? On tiny-stocks, over the 2 seeds complete in both" in summary
    section = md.split("### Does replay predict live?")[1]
    assert 'id="replay-vs-live"' in html
    assert "Pairwise verdicts (two-sided Wilcoxon signed-rank over those seeds" in section
    assert "| strategy A | strategy B | better in replay |" in section
    verdicts = pd.read_csv(fidelity_report / "tables" / "fidelity_verdicts.csv")
    assert len(verdicts) == 3 and set(verdicts["tested_mode"]) == {"replay"}
    assert table["paired_seeds"].iloc[0] == SEEDS
    assert "](figures/fidelity_tiny-stocks_live.png)" in md
    assert 'id="fig-fidelity_tiny-stocks_live"' in html
    for ext in ("png", "svg"):
        assert (fidelity_report / "figures" / f"fidelity_tiny-stocks_live.{ext}").stat().st_size
    tau = table["tau"].iloc[0]
    if pd.notna(tau):
        text = f"Kendall's tau-b = {tau:.2f}"
        assert text in summary and text in section
        assert html.count(text.replace("'", "&#x27;")) >= 2
        val_tau = table["val_tau"].iloc[0]
        if pd.notna(val_tau):
            assert f"median validation accuracy with tau-b = {val_tau:.2f}" in summary
    else:
        assert "not compared" in summary and "Kendall's tau not computed" in md
    # the live entry followed its table's backend, and the section says so
    assert list(table[["tested_backend", "reference_backend"]].iloc[0]) == ["tensorflow"] * 2
    assert "Both modes' curves come from Keras on tensorflow." in md


def test_report_refuses_entries_that_differ_in_one_line(
    tmp_path: Path, fidelity_results: Path
) -> None:
    # the same runs, but a matrix that plans a third live seed: the seeds differ
    results = tmp_path / "fid"
    shutil.copytree(fidelity_results, results)
    recorded = json.loads((results / "matrix.json").read_text())
    recorded["matrix"]["problems"][1]["seeds"] = 3
    (results / "matrix.json").write_text(json.dumps(recorded))
    out = tmp_path / "report"
    build_report(results, out)
    md = (out / "report.md").read_text()
    line = "they differ in seeds: 2 seeds (0-1) in replay, 3 seeds (0-2) in live"
    assert f"tiny-stocks@live (trained live) are not compared, {line}." in md
    summary = next(p for p in md.split("\n\n") if p.startswith("- Matrix "))
    assert "Does replay predict live? On tiny-stocks the entries are not compared" in summary
    assert "fidelity_tiny-stocks_live.png" not in md


def test_no_section_without_a_live_and_replay_pair(report_dir: Path) -> None:
    md = (report_dir / "report.md").read_text()
    assert "Does replay predict live?" not in md
    assert pd.read_csv(report_dir / "tables" / "fidelity.csv").empty
