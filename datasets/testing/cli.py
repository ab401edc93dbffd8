"""The kit's command line: ``python -m tunebench.datasets.testing``, the run-time checks."""

from __future__ import annotations

from pathlib import Path

from tunebench.datasets.testing.contract import ProblemConformanceError
from tunebench.datasets.testing.runner import check_problem_runs


def main(argv: list[str] | None = None) -> int:
    """The run-time checks in a process of its own; exit 1 and one line on a finding.

    ``python -m tunebench.datasets.testing NAME [--params JSON] [--module FILE]
    [--data-dir DIR]``, so that the caller's process never imports Keras for them.
    """
    import argparse
    import json
    import sys

    ap = argparse.ArgumentParser(prog="python -m tunebench.datasets.testing")
    ap.add_argument("name")
    ap.add_argument("--params", default="{}")
    ap.add_argument("--module")
    ap.add_argument("--data-dir")
    args = ap.parse_args(argv)
    from tunebench.datasets import available_problems
    from tunebench.datasets.problem_files import load_problem_file

    problems = available_problems()
    if args.module:
        problems.update(load_problem_file(Path(args.module)))
    try:
        problem = problems[args.name](**json.loads(args.params))
        check_problem_runs(problem, data_dir=args.data_dir)
    except ProblemConformanceError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0
