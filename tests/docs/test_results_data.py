"""Results data files and the pages rendered from them (docs/results/)."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from tunebench.reports.results_data import (
    STAMP_KEYS,
    ResultsDataError,
    load_results,
    main,
    render_page,
    study_data,
    write_results,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "data"
RESULTS = ROOT / "docs" / "results"


def test_a_page_renders_from_a_fixture_file() -> None:
    page = "Speed:\n\n<!-- results: tiny speed -->\n\nRatio <!-- value: tiny ratio -->, " + (
        "first <!-- value: tiny first -->."
    )
    out = render_page(page, FIXTURE, shown_dir="tests/docs/data")
    assert "| problem | ms | runs |\n|---|---|---|---|" not in out
    assert "| problem | ms | runs |\n|---|---|---|\n| a | 0.12 | 1,200 |\n| b\\|c |  | 3 |" in out
    assert out.endswith("Ratio 1.88, first sha.")
    assert (
        "Data: `tests/docs/data/tiny.json`, 2026-01-01 00:00 UTC, commit `0123456789ab`, "
        "tunebench 0.1.0, Test CPU, 2 cores, load average 0.5. Command: `python "
        "bench/perf/tiny.py --json tests/docs/data/tiny.json`\n{: .results-stamp }"
    ) in out


def test_a_table_keeps_its_markers_indentation() -> None:
    out = render_page('??? info "x"\n\n    <!-- results: tiny speed -->\n', FIXTURE)
    lines = out.splitlines()[2:]
    assert lines[0].startswith("    | problem |") and all(
        line.startswith("    ") for line in lines if line
    )


@pytest.mark.parametrize("key", STAMP_KEYS)
def test_a_file_without_part_of_its_stamp_is_refused_in_one_line(key: str, tmp_path: Path) -> None:
    data = json.loads((FIXTURE / "tiny.json").read_text())
    del data["stamp"][key]
    (tmp_path / "tiny.json").write_text(json.dumps(data))
    with pytest.raises(ResultsDataError) as err:
        render_page("<!-- results: tiny speed -->", tmp_path)
    message = str(err.value)
    assert "\n" not in message
    assert f"its stamp lacks {key} (every results data file carries" in message


@pytest.mark.parametrize(
    ("page", "says"),
    [
        ("<!-- results: nope speed -->", "cannot read results data"),
        ("<!-- results: tiny nope -->", "no table 'nope' (it has: speed)"),
        ("<!-- value: tiny nope -->", "no value 'nope' (it has: first, ratio)"),
    ],
)
def test_a_missing_file_table_or_value_is_one_line(page: str, says: str) -> None:
    with pytest.raises(ResultsDataError, match=re.escape(says)) as err:
        render_page(page, FIXTURE)
    assert "\n" not in str(err.value)


def test_the_mkdocs_hook_stops_the_build_in_one_line(tmp_path: Path) -> None:
    # mkdocs is the docs extra: tox's docs env runs this, the tests env has no mkdocs
    PluginError = pytest.importorskip("mkdocs.exceptions").PluginError

    spec = importlib.util.spec_from_file_location("hook", ROOT / "docs/hooks/results_pages.py")
    assert spec is not None and spec.loader is not None
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    (tmp_path / "results" / "data").mkdir(parents=True)
    (tmp_path / "results" / "data" / "tiny.json").write_text('{"stamp": {"date": "x"}}')
    page = SimpleNamespace(file=SimpleNamespace(src_uri="results/x.md"))
    with pytest.raises(PluginError, match=r"^results/x.md: .*its stamp lacks commit"):
        hook.on_page_markdown("<!-- value: tiny a -->", page=page, config={"docs_dir": tmp_path})
    assert hook.on_page_markdown("no marker", page=page, config={}) == "no marker"


def test_written_files_carry_the_stamp(tmp_path: Path) -> None:
    path = write_results(tmp_path / "d" / "x.json", "cmd --json x", {}, {"n": 1})
    stamp = load_results(path)["stamp"]
    assert set(STAMP_KEYS) <= set(stamp) and stamp["command"] == "cmd --json x"
    assert stamp["machine"]["cores"] >= 1 and stamp["machine"]["cpu"]


def _report(folder: Path) -> Path:
    """A report's tables/ as `tunebench report` writes them, with three strategies."""
    tables = folder / "tables"
    tables.mkdir(parents=True)
    rows = []
    for budget, ranks in (("20 full evaluations", (1.2, 1.9, 2.9)), ("50", (1.1, 2.1, 2.8))):
        for strategy, rank in zip("abc", ranks, strict=True):
            rows.append(
                {
                    "budget": budget,
                    "blocks": 8,
                    "friedman_p": 0.01,
                    "nemenyi_cd": 1.17,
                    "significant_pairs": 1,
                    "pairs": 3,
                    "strategy": strategy,
                    "mean_rank": rank,
                    "regret_median": rank / 3,
                    "regret_low": 0.1,
                    "regret_high": 0.9,
                    "group": "a",
                    "wins": 1,
                    "losses": 0,
                }
            )
    pd.DataFrame(rows).to_csv(tables / "leaderboard.csv", index=False)
    pd.DataFrame(
        [
            {
                "scope": "overall",
                "p": 0.02,
                "nemenyi_cd": 1.17,
                "avg_rank[a]": 1.5,
                "avg_rank[b]": 1.1,
                "avg_rank[c]": 3.4,
            }
        ]
    ).to_csv(tables / "friedman_nemenyi.csv", index=False)
    pd.DataFrame(
        {"scope": ["overall"] * 3, "a": list("aab"), "b": list("bcc"), "significant": [0, 1, 1]}
    ).to_csv(tables / "wilcoxon_holm.csv", index=False)
    pd.DataFrame(
        {
            "problem": ["p"] * 3,
            "strategy": list("abc"),
            "runs": [4, 4, 4],
            "wall_seconds": [1.0, 2.0, 7.0],
        }
    ).to_csv(tables / "cost.csv", index=False)
    (tables / "fidelity.csv").write_text("")
    return folder


def test_the_study_producer_reads_a_reports_tables(tmp_path: Path) -> None:
    tables, values = study_data(_report(tmp_path / "rep"))
    assert tables["verdicts"]["rows"][1] == ["50", 8, 0.01, 1.17, "1 of 3", "a (1.10)", "c (2.80)"]
    assert [r[1] for r in tables["leaderboard_20"]["rows"]] == ["a", "b", "c"]
    assert [r[:2] for r in tables["test_ranks"]["rows"]] == [[1, "b"], [2, "a"], [3, "c"]]
    assert values["validation_first"] == "a" and values["test_first"] == "b"
    assert values["test_significant_pairs"] == "2 of 3" and values["runs"] == 12
    assert tables["run_time"]["rows"][0][:3] == ["p", 12, 40.0]
    assert "agreement" not in tables  # the report compared no modes
    assert "hypervolume_regret" not in tables  # nor was it multi-objective


def test_a_multi_objective_report_gets_hypervolume_regret_by_problem(tmp_path: Path) -> None:
    folder = _report(tmp_path / "rep")
    pd.DataFrame(
        {
            "problem": ["p"] * 4 + ["q"] * 2,
            "strategy": list("aabbab"),
            "seed": [0, 1, 0, 1, 0, 0],
            "hypervolume": [1.0] * 6,
            "regret": [0.1, 0.3, 0.01, 0.03, 0.5, 0.05],
            "front_size": [4, 6, 3, 3, 2, 9],
        }
    ).to_csv(folder / "tables" / "hypervolume_runs.csv", index=False)
    tables, _ = study_data(folder)
    board = tables["hypervolume_regret"]
    assert board["columns"] == ["strategy", "p", "q"]
    # b first: its median regret over every run is the lower
    assert board["rows"] == [
        ["b", "0.020 [0.015, 0.025], 3 points", "0.050 [0.050, 0.050], 9 points"],
        ["a", "0.200 [0.150, 0.250], 5 points", "0.500 [0.500, 0.500], 2 points"],
    ]


def test_the_producer_command_writes_a_file_and_refuses_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "study.json"
    assert main([str(_report(tmp_path / "rep")), "--out", str(out)]) == 0
    assert load_results(out)["stamp"]["command"].startswith(
        "python -m tunebench.reports.results_data "
    )
    assert main([str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no tables/ folder" in err


def test_every_committed_data_file_has_its_stamp_and_every_marker_resolves() -> None:
    for path in sorted((RESULTS / "data").glob("*.json")):
        load_results(path)
    for page in sorted(RESULTS.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        starts = [line for line in text.splitlines() if line.lstrip().startswith("<!-- value:")]
        assert not starts, f"{page.name}: a number starting a line can read as a list: {starts}"
        out = render_page(text, RESULTS / "data")
        assert "<!-- results:" not in out and "<!-- value:" not in out, page.name


def test_the_surrogates_producer_reads_the_files_metadata(tmp_path: Path) -> None:
    import gzip

    fid = {
        "configs": 30,
        "epochs": [1, 3],
        "value": {"1": {"spearman": 0.5, "r2": 0.1}, "3": {"spearman": 0.75, "r2": 0.4}},
        "seconds": {"1": {"spearman": 0.9, "r2": 0.8}, "3": {"spearman": 0.95, "r2": 0.9}},
        "out_of_range": 0.001,
        "noise": {"ratio": 1.1},
    }
    with gzip.open(tmp_path / "p.json.gz", "wt") as f:
        json.dump({"meta": {"problem": "p", "fidelity": fid}}, f)
    out = tmp_path / "s.json"
    assert main([str(tmp_path), "--surrogates", "--out", str(out)]) == 0
    tables = load_results(out)["tables"]
    assert tables["surrogates"]["rows"][0] == [
        "p", 30, "0.500 at 1", "0.750 at 3", 0.4, 0.95, 0.001, 1.1
    ]  # fmt: skip
    assert tables["surrogates_by_epoch"]["rows"] == [["p", 1, 0.5, 0.1], ["p", 3, 0.75, 0.4]]
    (tmp_path / "bad.json.gz").write_bytes(b"not gzip")
    with pytest.raises(ResultsDataError, match=r"bad.json.gz: not a readable surrogate"):
        from tunebench.reports.results_data import surrogates_data

        surrogates_data(tmp_path)
