"""The docs (docs/, README.md) against the code: every example runs, parses or loads.

Run by tox's ``docs`` env beside ``mkdocs build --strict``, and collected by ``tests``.

Python blocks: every block runs, in a fresh interpreter, in a temporary folder, within
``RUN_TIMEOUT`` seconds, unless its first line says why it cannot:

- ``# fragment: <why>``: not self-contained (it names your own package, or continues
  the block above); it is parsed only;
- ``# not run: <why>``: self-contained but too slow for the docs check (it trains for
  minutes); it is parsed only.

A block included from a file (``--8<-- "tests/plugins/..."``) runs beside that file, with
its folder on the import path, as it would in that package's checkout.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
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
NOT_RUN = re.compile(r"#\s*(fragment|not run):\s*\S")
RUN_TIMEOUT = 120  # seconds; a block that needs longer is marked "# not run: ..."


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


def _included_dirs(page: Path) -> list[str]:
    """The folders of the files a page includes (their blocks import their neighbours)."""
    found = [SNIPPET.match(line) for line in page.read_text(encoding="utf-8").splitlines()]
    return sorted({str((ROOT / m.group(2)).parent) for m in found if m})


def _python_cases() -> list[object]:
    return [
        pytest.param(text, _included_dirs(page), id=f"{page.relative_to(ROOT)}:{line}")
        for page in PAGES
        for lang, text, line in blocks(page)
        if lang == "python"
    ]


def _marker(code: str) -> str | None:
    """``fragment`` or ``not run`` where the block's first line says so, else None."""
    first = code.lstrip().splitlines()[0] if code.strip() else ""
    m = NOT_RUN.match(first)
    return m.group(1) if m else None


def run_block(code: str, folder: Path, path: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a block as a script in ``folder``, with ``path`` first on the import path."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([*path, os.environ.get("PYTHONPATH", "")]))
    script = folder / "block.py"
    script.write_text(code, encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )


@pytest.mark.parametrize(("code", "path"), _python_cases())
def test_python_blocks_run(code: str, path: list[str], tmp_path: Path) -> None:
    compile(code, "<docs>", "exec")  # every block parses, fragments included
    if _marker(code):
        return
    done = run_block(code, tmp_path, path)
    tail = (done.stderr.strip().splitlines() or [""])[-1]
    assert done.returncode == 0, f"the block failed (exit {done.returncode}): {tail}"


def test_a_failing_block_is_caught_and_markers_are_read(tmp_path: Path) -> None:
    assert run_block("raise SystemExit(3)", tmp_path, []).returncode == 3
    assert run_block("open('here.txt', 'w').write('x')", tmp_path, []).returncode == 0
    assert (tmp_path / "here.txt").is_file()  # blocks run in their temporary folder
    assert _marker("# fragment: continues the block above\nx = 1") == "fragment"
    assert _marker("# not run: trains for minutes\nx = 1") == "not run"
    assert _marker("# fragment\nx = 1") is None  # a marker says why
    assert _marker("import os") is None


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
