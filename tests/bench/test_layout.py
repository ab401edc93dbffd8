"""The layout stays findable: few top-level modules in bench/, no module over 600 lines."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bench", "strategies", "datasets", "reports")
MAX_LINES = 600


def test_bench_keeps_at_most_eight_top_level_modules() -> None:
    modules = sorted(p.name for p in (ROOT / "bench").glob("*.py"))
    assert len(modules) <= 8, modules


def test_no_module_is_over_600_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "perf" not in path.parts  # measurement scripts, not the package
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these by job: {long}"
