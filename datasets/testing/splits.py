"""Check the loaded splits: fixed whatever the run seed, disjoint, subsampled in training only.

Rules 3 to 5 in the package docs (rule 2, well-formed splits, runs on every load in
:meth:`~tunebench.datasets.testing.case.ProblemCase.load`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from tunebench.datasets.testing.case import ProblemCase
from tunebench.datasets.testing.contract import SPLITS


def check_splits_ignore_the_run_seed(case: ProblemCase) -> None:
    """Two full loads after different global seeds give byte-identical arrays."""
    a, b = case.full, case.full_again
    for name, digest in a.digests.items():
        if b.digests[name] != digest:
            raise case.fail(
                f"splits depend on the run seed: {name} differs between loads after global "
                f"seeds {a.seed} and {b.seed}; split with a fixed seed of your own "
                "(e.g. np.random.default_rng(SPLIT_SEED)), never the global generators"
            )


def _tolerated(h: bytes, rows: Mapping[str, Counter[bytes]]) -> bool:
    # Repeated within one split: the data itself has copies of this input.
    return any(counts[h] > 1 for counts in rows.values())


def check_splits_do_not_overlap(case: ProblemCase) -> None:
    """No input shared between splits, unless the data repeats it (see module docs)."""
    rows = case.full.rows
    for i, first in enumerate(SPLITS):
        for second in SPLITS[i + 1 :]:
            shared = rows[first].keys() & rows[second].keys()
            leaks = [h for h in shared if not _tolerated(h, rows)]
            if leaks:
                n = sum(rows[second][h] for h in leaks)
                raise case.fail(
                    f"{n} of {case.full.sizes[second]} {second} rows also occur in {first} "
                    "(identical inputs); the splits overlap"
                )


def check_subsample_keeps_val_and_test_whole(case: ProblemCase) -> None:
    """Subsampling changes training only: fewer rows, all taken from the full training split."""
    full, small, n = case.full, case.small, case.subsample
    for name in ("x_val", "y_val", "x_test", "y_test"):
        if small.digests[name] != full.digests[name]:
            raise case.fail(
                f"load(subsample={n}) changes {name}; subsample must keep validation and "
                "test whole so scores stay comparable"
            )
    rows = small.sizes["train"]
    if rows > n:
        raise case.fail(f"load(subsample={n}) keeps {rows} training rows, more than {n}")
    outside = sum(c for h, c in small.rows["train"].items() if h not in full.rows["train"])
    if outside:
        raise case.fail(
            f"load(subsample={n}): {outside} of its {rows} training rows are not rows of the "
            "full training split"
        )
