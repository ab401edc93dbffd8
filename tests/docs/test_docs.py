"""The docs (docs/, README.md) against the code: every example compiles, parses or loads.

Run by tox's ``docs`` env beside ``mkdocs build --strict``, and collected by ``tests``.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = [README, *sorted(DOCS.rglob("*.md"))]
SNIPPET = re.compile(r'^(\s*)--8<-- "([^"]+)"\s*$')
FENCE = re.compile(r"^(\s*)```(\w*)")
ISO_DATE = re.compile(r"\b(19|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b")


def _expand(text: str) -> str:
    """Replace pymdownx.snippets lines (``--8<-- "path"``) by the file they include."""
    out = []
    for line in text.splitlines():
        m = SNIPPET.match(line)
        out.append((ROOT / m.group(2)).read_text(encoding="utf-8").rstrip("\n") if m else line)
    return "\n".join(out)


def blocks(page: Path) -> list[tuple[str, str, int]]:
    """Every fenced block of a page: (language, text, line of its opening fence)."""
    found, lang, indent, start, body = [], None, "", 0, []
    for number, line in enumerate(_expand(page.read_text(encoding="utf-8")).splitlines(), 1):
        m = FENCE.match(line)
        if lang is None and m:
            lang, indent, start, body = m.group(2), m.group(1), number, []
        elif lang is not None and line.strip() == "```":
            found.append((lang, "\n".join(b.removeprefix(indent) for b in body), start))
            lang = None
        elif lang is not None:
            body.append(line)
    return found


def _cases(language: str) -> list[object]:
    return [
        pytest.param(text, id=f"{page.relative_to(ROOT)}:{line}")
        for page in PAGES
        for lang, text, line in blocks(page)
        if lang == language
    ]


@pytest.mark.parametrize("code", _cases("python"))
def test_python_blocks_compile(code: str) -> None:
    compile(code, "<docs>", "exec")


def _tunebench_lines(script: str) -> list[list[str]]:
    """The argument lists of every ``tunebench ...`` command in a bash block."""
    commands = []
    for line in script.splitlines():
        for part in re.split(r"&&|;|\|", line):
            words = shlex.split(part, comments=True)
            if words and words[0] == "tunebench":
                commands.append(words[1:])
    return commands


def _check_cli(args: list[str]) -> None:
    """Resolve the subcommand chain against the real click group; parse, never run."""
    from tunebench.cli.click_app import cli  # typer's own copy of click: duck-typed below

    command: Any = cli
    ctx = cli.make_context("tunebench", list(args), resilient_parsing=True)
    words = list(args)
    while hasattr(command, "commands"):  # a group: the first word that is no option names one
        names = [i for i, w in enumerate(words) if not w.startswith("-")]
        if not names:
            _check_options(command, words)
            return  # `tunebench --version` and the like
        _check_options(command, words[: names[0]])
        name, words = words[names[0]], words[names[0] + 1 :]
        sub = command.get_command(ctx, name)
        assert sub is not None, f"no command {name!r} in {shlex.join(['tunebench', *args])}"
        command = sub
        ctx = sub.make_context(name, list(words), parent=ctx, resilient_parsing=True)
    _check_options(command, words)
    assert not ctx.args, f"{command.name}: unexpected arguments {ctx.args}"


def _check_options(command: Any, words: list[str]) -> None:
    known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    known |= {"--help"}
    for word in words:
        if word.startswith("-") and not re.fullmatch(r"-\d.*", word):
            assert word.split("=", 1)[0] in known, f"{command.name}: unknown option {word}"


@pytest.mark.parametrize("script", _cases("bash"))
def test_tunebench_lines_parse(script: str) -> None:
    for args in _tunebench_lines(script):
        _check_cli(args)


def test_an_unknown_option_is_caught() -> None:
    with pytest.raises(AssertionError, match="unknown option --bogus"):
        _check_cli(["run", "m.toml", "--bogus"])
    with pytest.raises(AssertionError, match="no command 'nope'"):
        _check_cli(["surrogate", "nope"])


@pytest.mark.parametrize("text", _cases("toml"))
def test_toml_blocks_load(text: str) -> None:
    data = tomllib.loads(text)
    if not {"name", "problems", "strategies"} <= set(data):
        return  # a fragment (an entry, a pyproject): valid TOML is enough
    from tunebench.datasets import available_problems
    from tunebench.matrix.load import parse_matrix
    from tunebench.strategies import available_strategies

    parse_matrix(
        text,
        source="docs",
        problems=available_problems(),
        strategies=available_strategies(),
        base_dir=ROOT,
    )


def test_readme_budget() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines; the budget is 150"


@pytest.mark.parametrize(
    "page",
    [p for p in PAGES if DOCS / "results" not in p.parents],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_dates_outside_the_results_pages(page: Path) -> None:
    dates = ISO_DATE.findall(page.read_text(encoding="utf-8"))
    assert not dates, f"{page.relative_to(ROOT)}: dated text belongs in docs/results/ or CHANGELOG"


def test_readme_links_exist() -> None:
    text = README.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if not re.match(r"\w+://", target):
            assert (ROOT / target).exists(), f"README.md links to a missing {target}"


def test_the_matrix_page_lists_every_schema_key() -> None:
    from tunebench.matrix import schema

    tables = {
        "top level": schema.Matrix,
        "`[budget]`": schema.Budget,
        "`[[problems]]`": schema.ProblemEntry,
        "`[[strategies]]`": schema.StrategyEntry,
        "`[final]`": schema.Final,
        "`[execution]`": schema.Execution,
    }
    page = (DOCS / "reference" / "matrix.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| (top level|`\[+\w+\]+`) \| `(\w+)` \|", page, re.MULTILINE))
    expected = {(table, key) for table, model in tables.items() for key in model.model_fields}
    assert listed == expected, f"missing: {expected - listed}; unknown: {listed - expected}"
