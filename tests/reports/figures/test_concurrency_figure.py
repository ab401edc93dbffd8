"""The report's trials-in-flight figure: one strategy at several concurrency levels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tunebench.datasets import available_problems
from tunebench.matrix.load import parse_matrix
from tunebench.matrix.schema import Matrix
from tunebench.reports.analysis.analyze import analyze
from tunebench.reports.figures.curves import concurrency_groups
from tunebench.reports.inputs.load import load_results
from tunebench.reports.report import build_report
from tunebench.strategies import available_strategies


@pytest.fixture(scope="module")
def concurrency_results(
    tmp_path_factory: pytest.TempPathFactory,
    table_path: Path,
    tiny_module: str,
    run_matrix: Callable[[Matrix, Path, dict[str, type], Path], Path],
) -> Path:
    """random and sha on the tiny table at concurrency 1 and 3, 3 seeds."""
    text = 'name = "conc"\nmode = "replay"\nseeds = 3\n[budget]\nfull_evaluations = 3\n'
    for level in (None, 3):
        text += (
            f'[[problems]]\nname = "tiny-stocks"\nmodule = "{tiny_module}"\nmax_epochs = 3\n'
            f'table = "{table_path.name}"\n'
        )
        if level is not None:
            text += f"concurrency = {level}\n"
    text += '[[strategies]]\nname = "random"\n[[strategies]]\nname = "sha"\n'
    registry = dict(available_strategies())
    matrix = parse_matrix(text, source="c.toml", problems=available_problems(), strategies=registry)
    return run_matrix(matrix, tmp_path_factory.mktemp("conc"), registry, table_path.parent)


def test_entries_that_differ_only_in_concurrency_form_one_group(
    concurrency_results: Path,
) -> None:
    a = analyze(load_results(concurrency_results))
    groups = concurrency_groups(a)
    assert list(groups) == ["tiny-stocks@replay"]
    members = groups["tiny-stocks@replay"]
    assert [m.info.concurrency for m in members] == [1, 3]
    assert [m.info.name for m in members] == ["tiny-stocks", "tiny-stocks@c3"]
    # In flight, the same budget ends sooner on the simulated clock.
    ends = [m.anytime[m.anytime["axis"] == "seconds"]["x"].max() for m in members]
    assert ends[1] < ends[0]


def test_the_report_shows_the_figure_in_the_overall_section(
    concurrency_results: Path,
    tmp_path: Path,
) -> None:
    index = build_report(concurrency_results, tmp_path / "r")
    assert (tmp_path / "r" / "figures" / "concurrency_tiny-stocks_replay.png").is_file()
    md = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "Trials in flight" in md and "with 1, 3 trials in flight" in md
    assert 'id="fig-concurrency_tiny-stocks_replay"' in index.read_text(encoding="utf-8")
