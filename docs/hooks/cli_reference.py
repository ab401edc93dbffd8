"""mkdocs hook: the CLI reference generated from the Typer app at build time.

``docs/reference/cli.md`` holds the marker below; this hook replaces it with every
command's usage, arguments and options, read from ``tunebench.cli.click_app.cli`` (the
click group the ``tunebench`` command runs as). mkdocs-click is not used: it recognises
options by ``isinstance`` against the click package, and Typer brings its own copy.
"""

from __future__ import annotations

import html
import re
from typing import Any

MARKER = "<!-- tunebench-cli-reference -->"


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Replace the marker with the generated reference."""
    if MARKER not in markdown:
        return markdown
    from tunebench.cli.click_app import cli

    return markdown.replace(MARKER, "\n".join(_command(cli, "tunebench", None, 3)))


def _cell(text: object) -> str:
    """One table cell: one line, HTML-escaped (``<path>``), pipes as entities."""
    text = re.sub(r"\s+", " ", str(text)).strip()
    return html.escape(text, quote=False).replace("|", "&#124;")


def _command(command: Any, name: str, parent: Any, level: int) -> list[str]:
    ctx = command.context_class(command, info_name=name, parent=parent)
    lines = [f"{'#' * level} `{ctx.command_path}`", ""]
    if command.help:
        lines += [_cell(command.help.split("\f")[0]), ""]
    usage = " ".join([ctx.command_path, *command.collect_usage_pieces(ctx)])
    lines += ["```text", usage, "```", ""]
    rows = []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)  # what `--help` prints: names, help, default
        if record is None or getattr(param, "hidden", False) or "--help" in param.opts:
            continue
        names, help_text = record
        kind = param.param_type_name
        rows.append(f"| <code>{_cell(names)}</code> | {kind} | {_cell(help_text)} |")
    if rows:
        lines += ["| name | kind | what (as `--help` prints it) |", "|---|---|---|", *rows, ""]
    if hasattr(command, "commands"):
        for sub in command.list_commands(ctx):
            lines += _command(command.get_command(ctx, sub), sub, ctx, min(level + 1, 4))
    return lines
