"""Results data files: the numbers the docs' results pages are generated from.

A results data file (``docs/results/data/<name>.json``) is JSON with three keys:

- ``stamp``: where the numbers came from: ``date``, ``commit``, ``version``, ``machine``
  (CPU model, cores, load) and ``command`` (see :func:`tunebench.provenance.results_stamp`);
- ``tables``: named tables, each ``{"columns": [...], "rows": [[...]], "formats": {...}}``,
  with raw numbers and an optional format spec per column (``".3g"``);
- ``values``: named single numbers or words, for the prose around the tables.

Producers write them (this module's command for a report's ``tables/*.csv``; the
``bench/perf`` scripts' ``--json OUT``); :func:`render_page`, called by the docs' mkdocs
hook, replaces the page's markers with the tables and values and states each table's
stamp under it. A file without a complete stamp is refused in one line.

Markers, in a page's Markdown:

- ``<!-- results: study leaderboard -->``: table ``leaderboard`` of ``study.json``, then
  its stamp line;
- ``<!-- value: study test_first -->``: one value, inline.

Usage (the producers for a study's report, and for the shipped surrogates' fidelity)::

    python -m tunebench.reports.results_data REPORT_DIR --out docs/results/data/study.json
    python -m tunebench.reports.results_data datasets/surrogates --surrogates --out FILE
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tunebench.errors import TunebenchError

__all__ = [
    "STAMP_KEYS",
    "ResultsDataError",
    "load_results",
    "main",
    "render_page",
    "render_table",
    "stamp_line",
    "study_data",
    "surrogates_data",
    "table",
    "write_results",
]

STAMP_KEYS = ("date", "commit", "version", "machine", "command")
MARKER = re.compile(r"<!--\s*(results|value):\s*([\w.-]+)\s+([\w.-]+)\s*-->")


class ResultsDataError(TunebenchError, ValueError):
    """A results data file that is missing, unreadable or lacks part of its stamp."""


def table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], formats: dict[str, str] | None = None
) -> dict[str, Any]:
    """One table of a data file: columns, rows of raw values, format specs by column."""
    return {"columns": list(columns), "rows": [list(r) for r in rows], "formats": formats or {}}


def write_results(
    path: Path,
    command: str,
    tables: dict[str, dict[str, Any]],
    values: dict[str, Any] | None = None,
) -> Path:
    """Write a results data file, stamped with date, commit, version, machine and command.

    Args:
        path: The JSON file to write (its folder is created).
        command: The command line that produced the numbers.
        tables: Named tables (see :func:`table`).
        values: Named single values.

    Returns:
        ``path``.
    """
    from tunebench.provenance import results_stamp

    data = {"stamp": results_stamp(command), "tables": tables, "values": values or {}}
    _check(data, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    return path


def _check(data: Any, source: str) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("stamp"), dict):
        raise ResultsDataError(f"{source}: no 'stamp' object; a results data file carries one")
    stamp = data["stamp"]
    missing = [k for k in STAMP_KEYS if stamp.get(k) in (None, "", {})]
    if missing:
        raise ResultsDataError(
            f"{source}: its stamp lacks {', '.join(missing)} (every results data file "
            f"carries {', '.join(STAMP_KEYS)})"
        )
    for name, t in (data.get("tables") or {}).items():
        if not isinstance(t, dict) or not isinstance(t.get("columns"), list):
            raise ResultsDataError(f"{source}: table {name!r} has no 'columns' list")
        width = len(t["columns"])
        if any(not isinstance(r, list) or len(r) != width for r in t.get("rows", [])):
            raise ResultsDataError(f"{source}: table {name!r} has a row not {width} cells wide")


def load_results(path: Path) -> dict[str, Any]:
    """Read and check a results data file.

    Raises:
        ResultsDataError: Missing, not JSON, or a stamp without date, commit, version,
            machine or command (one line).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultsDataError(f"cannot read results data {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ResultsDataError(f"{path}: not JSON ({exc})") from None
    _check(data, str(path))
    return dict(data)


def _fmt(value: Any, spec: str | None = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if spec:
        return format(value, spec)
    return f"{value:,}" if isinstance(value, int) else f"{value:.4g}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def stamp_line(data: dict[str, Any], source: str) -> str:
    """One small line under a table: its file, date, commit, version, machine and command.

    It carries the ``results-stamp`` class (the docs' ``extra.css`` sets it in small grey
    type), so the provenance is on the page without outweighing the table.
    """
    s = data["stamp"]
    m = s["machine"]
    machine = m if isinstance(m, str) else f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores"
    if isinstance(m, dict) and m.get("load_average_1min") is not None:
        machine += f", load average {m['load_average_1min']}"
    return (
        f"Data: `{source}`, {s['date']}, commit `{s['commit']}`, tunebench {s['version']}, "
        f"{machine}. Command: `{s['command']}`\n{{: .results-stamp }}"
    )


def render_table(data: dict[str, Any], name: str, source: str) -> str:
    """A Markdown table of one of the file's tables, followed by its stamp line."""
    t = (data.get("tables") or {}).get(name)
    if t is None:
        known = ", ".join(sorted(data.get("tables") or {})) or "none"
        raise ResultsDataError(f"{source}: no table {name!r} (it has: {known})")
    cols, formats = t["columns"], t.get("formats") or {}
    lines = ["| " + " | ".join(_cell(str(c)) for c in cols) + " |", "|" + "---|" * len(cols)]
    for row in t["rows"]:
        cells = [_cell(_fmt(v, formats.get(c))) for c, v in zip(cols, row, strict=True)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n" + stamp_line(data, source)


def _value(data: dict[str, Any], name: str, source: str) -> str:
    values = data.get("values") or {}
    if name not in values:
        known = ", ".join(sorted(values)) or "none"
        raise ResultsDataError(f"{source}: no value {name!r} (it has: {known})")
    v = values[name]
    if isinstance(v, dict):  # {"value": 0.1, "format": ".3g"}
        return _fmt(v.get("value"), v.get("format"))
    return _fmt(v)


def render_page(markdown: str, data_dir: Path, shown_dir: str = "docs/results/data") -> str:
    """Replace every results and value marker of a page by what its data file holds.

    Args:
        markdown: The page's Markdown.
        data_dir: Where the data files are (``<name>.json``).
        shown_dir: How the stamp lines name that folder.

    Raises:
        ResultsDataError: A missing file, table or value, or an incomplete stamp.
    """
    cache: dict[str, dict[str, Any]] = {}

    def replace(m: re.Match[str]) -> str:
        kind, file, name = m.groups()
        if file not in cache:
            cache[file] = load_results(data_dir / f"{file}.json")
        source = f"{shown_dir}/{file}.json"
        if kind == "value":
            return _value(cache[file], name, source)
        # a table inside an admonition or a list keeps the marker's indentation
        indent = markdown[markdown.rfind("\n", 0, m.start()) + 1 : m.start()]
        text = render_table(cache[file], name, source)
        return text.replace("\n", "\n" + indent) if not indent.strip() else text

    return MARKER.sub(replace, markdown)


# --- the producer for a report's tables ------------------------------------------------


def _read_csv(folder: Path, name: str) -> Any:
    import pandas as pd

    path = folder / f"{name}.csv"
    if not path.is_file():
        raise ResultsDataError(f"{path} is missing: is {folder.parent} a `tunebench report`?")
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _py(v: Any) -> Any:
    """A numpy scalar as a JSON-safe Python value (NaN as null)."""
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _budget_key(label: str) -> str:
    """``"50 full evaluations"`` -> ``"50"``: how a page names a leaderboard budget."""
    m = re.match(r"[\d.]+", str(label))
    return m.group(0) if m else re.sub(r"\W+", "_", str(label)).strip("_")


def study_data(report: Path) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The tables and values of the results pages, from a report's ``tables/*.csv``.

    Args:
        report: A folder that ``tunebench report`` wrote.

    Returns:
        (tables, values): the leaderboard's verdicts per budget, its full table per
        budget, validation against test ranks, runs' cost per problem, the agreement
        between modes where the report compared any, and on a multi-objective report
        each strategy's final hypervolume regret per problem.
    """
    folder = report / "tables"
    if not folder.is_dir():
        raise ResultsDataError(f"{report} has no tables/ folder: is it a `tunebench report`?")
    board = _read_csv(folder, "leaderboard")
    if board.empty:
        raise ResultsDataError(f"{folder / 'leaderboard.csv'} is empty: no leaderboard to show")
    tables: dict[str, dict[str, Any]] = {}
    values: dict[str, Any] = {}
    verdicts = []
    budgets = list(dict.fromkeys(board["budget"]))
    for label in budgets:
        rows = board[board["budget"] == label].sort_values(["mean_rank", "strategy"])
        top, last = rows.iloc[0], rows.iloc[-1]
        key = _budget_key(label)
        verdicts.append(
            [
                str(label),
                _py(top["blocks"]),
                _py(top["friedman_p"]),
                _py(top["nemenyi_cd"]),
                f"{int(top['significant_pairs'])} of {int(top['pairs'])}",
                f"{top['strategy']} ({top['mean_rank']:.2f})",
                f"{last['strategy']} ({last['mean_rank']:.2f})",
            ]
        )
        tables[f"leaderboard_{key}"] = table(
            [
                "#",
                "strategy",
                "mean rank",
                "median regret",
                "95% interval",
                "group",
                "wins",
                "losses",
            ],
            [
                [
                    i + 1,
                    r["strategy"],
                    _py(r["mean_rank"]),
                    _py(r["regret_median"]),
                    f"[{r['regret_low']:.3f}, {r['regret_high']:.3f}]",
                    r["group"],
                    _py(r["wins"]),
                    _py(r["losses"]),
                ]
                for i, r in enumerate(rows.to_dict("records"))
            ],
            {"mean rank": ".2f", "median regret": ".3f"},
        )
        values[f"strategies_{key}"] = len(rows)
    tables["verdicts"] = table(
        [
            "budget",
            "blocks",
            "Friedman p",
            "Nemenyi CD",
            "pairs that differ (Wilcoxon-Holm)",
            "first (mean rank)",
            "last (mean rank)",
        ],
        verdicts,
        {"Friedman p": ".3g", "Nemenyi CD": ".2f"},
    )
    values["blocks"] = verdicts[0][1]
    values["budgets"] = " and ".join(str(b) for b in budgets)
    _test_ranks(folder, board, budgets[-1], tables, values)
    _cost(folder, tables, values)
    _agreement(folder, tables)
    _hypervolume(folder, tables)
    return tables, values


def _test_ranks(
    folder: Path, board: Any, last: str, tables: dict[str, Any], values: dict[str, Any]
) -> None:
    """Validation-regret ranks at the last budget beside final-test ranks (the CD diagram)."""
    friedman = _read_csv(folder, "friedman_nemenyi")
    overall = friedman[friedman["scope"] == "overall"] if len(friedman) else friedman
    if overall.empty:
        return
    o = overall.iloc[0]
    test = {
        c[len("avg_rank[") : -1]: float(o[c]) for c in overall.columns if c.startswith("avg_rank[")
    }
    test = {s: r for s, r in test.items() if not math.isnan(r)}
    val = board[board["budget"] == last].set_index("strategy")["mean_rank"]
    order = sorted(test, key=lambda s: (test[s], s))
    val_order = sorted(val.index, key=lambda s: (float(val[s]), s))
    rows = [
        [i + 1, s, _py(val.get(s)), val_order.index(s) + 1 if s in val.index else None, test[s]]
        for i, s in enumerate(order)
    ]
    tables["test_ranks"] = table(
        [
            "# by test",
            "strategy",
            f"mean rank, validation regret at {last}",
            "# by validation",
            "mean rank, final test regret",
        ],
        rows,
        {f"mean rank, validation regret at {last}": ".2f", "mean rank, final test regret": ".2f"},
    )
    values["test_friedman_p"] = {"value": _py(o["p"]), "format": ".3g"}
    values["test_nemenyi_cd"] = {"value": _py(o["nemenyi_cd"]), "format": ".2f"}
    values["test_first"] = order[0]
    values["validation_first"] = val_order[0]
    same = sum(a == b for a, b in zip(order, val_order, strict=False))
    values["same_place"] = same
    wil = _read_csv(folder, "wilcoxon_holm")
    if len(wil) and "scope" in wil:
        w = wil[wil["scope"] == "overall"]
        values["test_significant_pairs"] = f"{int(w['significant'].sum())} of {len(w)}"


def _cost(folder: Path, tables: dict[str, Any], values: dict[str, Any]) -> None:
    """Per problem: summed run seconds, and the strategies that take most of them."""
    cost = _read_csv(folder, "cost")
    if cost.empty:
        return
    cost = cost.assign(total=cost["runs"] * cost["wall_seconds"])
    rows = []
    for problem, grp in cost.groupby("problem", sort=False):
        total = float(grp["total"].sum())
        top = grp.sort_values("total", ascending=False).head(3)
        shares = ", ".join(
            f"{r.strategy} {r.total / total:.0%} ({r.wall_seconds:.1f} s)"
            for r in top.itertuples(index=False)
        )
        rest = grp[~grp["strategy"].isin(top["strategy"])]["wall_seconds"]
        rows.append(
            [
                problem,
                int(grp["runs"].sum()),
                total,
                shares,
                f"{rest.min():.2g}-{rest.max():.2g} s" if len(rest) else "",
            ]
        )
    tables["run_time"] = table(
        [
            "problem",
            "runs",
            "summed run seconds",
            "largest shares (mean seconds a run)",
            "the other strategies, mean seconds a run",
        ],
        rows,
        {"summed run seconds": ",.0f"},
    )
    values["runs"] = int(cost["runs"].sum())
    values["strategies"] = int(cost["strategy"].nunique())
    values["problems"] = int(cost["problem"].nunique())


def _agreement(folder: Path, tables: dict[str, Any]) -> None:
    """Kendall's tau-b between compared modes' rankings, where the report compared any."""
    fid = _read_csv(folder, "fidelity")
    if fid.empty:
        return
    pairs = fid.drop_duplicates(["problem", "tested", "reference"])
    tables["agreement"] = table(
        [
            "problem",
            "tested",
            "reference",
            "seeds (tested / reference)",
            "strategies",
            "tau-b by test",
            "p",
            "tau-b by validation",
            "p (validation)",
        ],
        [
            [
                r["problem"],
                r["tested"],
                r["reference"],
                f"{int(r['tested_seeds'])} / {int(r['reference_seeds'])}",
                _py(r["strategies"]),
                _py(r["tau"]),
                _py(r["p"]),
                _py(r["val_tau"]),
                _py(r["val_p"]),
            ]
            for r in pairs.to_dict("records")
        ],
        {"tau-b by test": ".2f", "p": ".3g", "tau-b by validation": ".2f", "p (validation)": ".3g"},
    )


def _hypervolume(folder: Path, tables: dict[str, Any]) -> None:
    """A multi-objective report's final hypervolume regret, strategy by problem."""
    if not (folder / "hypervolume_runs.csv").is_file():
        return  # a single-objective report
    runs = _read_csv(folder, "hypervolume_runs")
    if runs.empty:
        return
    problems = list(dict.fromkeys(runs["problem"]))
    order = runs.groupby("strategy")["regret"].median().sort_values().index
    rows = []
    for strategy in order:
        row: list[Any] = [strategy]
        for problem in problems:
            mine = runs[(runs["problem"] == problem) & (runs["strategy"] == strategy)]
            if mine.empty:
                row.append("")
                continue
            low, mid, high = mine["regret"].quantile([0.25, 0.5, 0.75])
            size = mine["front_size"].median()
            row.append(f"{mid:.3f} [{low:.3f}, {high:.3f}], {size:g} points")
        rows.append(row)
    tables["hypervolume_regret"] = table(["strategy", *problems], rows, {})


def surrogates_data(folder: Path) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The held-out fidelity each surrogate file in ``folder`` records, one row per problem.

    Reads only the files' metadata (``tunebench surrogate fit`` measured the fidelity on
    configs held out from the fit and stored it there); no model is built.
    """
    import gzip

    paths = sorted(folder.glob("*.json.gz"))
    if not paths:
        raise ResultsDataError(f"{folder}: no surrogate files (*.json.gz)")
    rows, by_epoch = [], []
    for path in paths:
        try:
            with gzip.open(path, "rt", encoding="utf-8") as f:
                meta = json.load(f)["meta"]
            fid = meta["fidelity"]
            epochs = [str(e) for e in fid["epochs"]]
            first, last = epochs[0], epochs[-1]
            rows.append(
                [
                    meta["problem"],
                    fid["configs"],
                    f"{fid['value'][first]['spearman']:.3f} at {first}",
                    f"{fid['value'][last]['spearman']:.3f} at {last}",
                    fid["value"][last]["r2"],
                    fid["seconds"][last]["spearman"],
                    fid["out_of_range"],
                    fid["noise"]["ratio"],
                ]
            )
            by_epoch += [
                [meta["problem"], int(e), fid["value"][e]["spearman"], fid["value"][e]["r2"]]
                for e in epochs
            ]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ResultsDataError(f"{path}: not a readable surrogate ({exc!r})") from None
    columns = ["problem", "configs", "validation Spearman, first epoch checked",
               "validation Spearman, last epoch", "R^2 at the last", "seconds Spearman (last)",
               "outside range", "noise ratio (medians)"]  # fmt: skip
    formats = {"R^2 at the last": ".3f", "seconds Spearman (last)": ".3f",
               "outside range": ".2%", "noise ratio (medians)": ".2f"}  # fmt: skip
    tables = {
        "surrogates": table(columns, rows, formats),
        "surrogates_by_epoch": table(
            ["problem", "epoch", "validation Spearman", "validation R^2"],
            by_epoch,
            {"validation Spearman": ".3f", "validation R^2": ".3f"},
        ),
    }
    return tables, {"surrogates": len(rows)}


def main(argv: Sequence[str] | None = None) -> int:
    """Write a results data file from a report's tables; one line on bad input."""
    ap = argparse.ArgumentParser(
        prog="python -m tunebench.reports.results_data",
        description="Write the docs' results data (JSON) from a `tunebench report` folder.",
    )
    ap.add_argument(
        "folder",
        type=Path,
        help="A folder that `tunebench report` wrote (or of surrogate files, --surrogates).",
    )
    ap.add_argument(
        "--surrogates",
        action="store_true",
        help="Read the held-out fidelity recorded in the folder's surrogate files instead.",
    )
    ap.add_argument("--out", type=Path, required=True, help="The JSON file to write.")
    ap.add_argument(
        "--command",
        help="The command to record as the data's origin (default: this one, as run).",
    )
    args = ap.parse_args(argv)
    command = args.command or shlex.join(
        ["python", "-m", "tunebench.reports.results_data", *(argv or sys.argv[1:])]
    )
    try:
        read = surrogates_data if args.surrogates else study_data
        tables, values = read(args.folder)
        write_results(args.out, command, tables, values)
    except TunebenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"wrote {args.out}: {len(tables)} tables, {len(values)} values")
    return 0


if __name__ == "__main__":
    sys.exit(main())
