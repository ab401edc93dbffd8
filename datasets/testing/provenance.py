"""Check what a load records about itself: ``splits.source`` as provenance, and time order.

Rules 6 (``source_is_provenance``) and 7 (``time_ordered_splits``) in the package docs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunebench.datasets.testing.case import ProblemCase
from tunebench.datasets.testing.contract import REQUIRED_SOURCE_KEYS, SPLITS
from tunebench.errors import one_line

_TIME_WORDS = re.compile(r"\b(by time|time[- ]ordered|chronological(ly)?|temporal)\b", re.I)
_CHECKSUM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*:\S+$")


def _json_problem(source: Mapping[str, Any]) -> str | None:
    """Why ``source`` is not JSON-able (the first offending key), or ``None``."""

    def walk(value: Any, path: str) -> str | None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str):
                    return f"{path} has the non-string key {key!r}"
                found = walk(item, f"{path}[{key!r}]")
                if found:
                    return found
            return None
        if isinstance(value, (list, tuple)):
            for k, item in enumerate(value):
                found = walk(item, f"{path}[{k}]")
                if found:
                    return found
            return None
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            return f"{path} is {type(value).__name__} {value!r:.60}, not JSON"
        return None

    return walk(source, "source")


def check_source_is_provenance(case: ProblemCase) -> None:
    """``splits.source`` is JSON-able and names the data, its origin and its checksum."""
    for load in (case.full, case.small):
        call = f"load(subsample={load.subsample})"
        source = load.source
        if not isinstance(source, dict):
            raise case.fail(f"{call}: splits.source is {type(source).__name__}, not a dict")
        why = _json_problem(source)
        if why:
            raise case.fail(f"{call}: {why}; run records store the source as JSON")
        missing = [k for k in REQUIRED_SOURCE_KEYS if k not in source]
        if missing:
            raise case.fail(
                f"{call}: splits.source lacks {', '.join(missing)} (required: "
                f"{', '.join(REQUIRED_SOURCE_KEYS)})"
            )
        for key in REQUIRED_SOURCE_KEYS:
            if not isinstance(source[key], str) or not source[key].strip():
                raise case.fail(f"{call}: source[{key!r}] must be a non-empty str")
        if not _CHECKSUM.match(source["checksum"]):
            raise case.fail(
                f"{call}: source['checksum'] = {source['checksum']!r:.80} is not "
                "'<scheme>:<digest>' (e.g. 'sha256:...')"
            )
        variant = source.get("variant")
        if variant is not None and (not isinstance(variant, str) or not variant):
            raise case.fail(f"{call}: source['variant'] must be a non-empty str")
        if "subsample" in source and source["subsample"] != load.subsample:
            raise case.fail(
                f"{call}: source['subsample'] = {source['subsample']!r}, but {load.subsample!r} "
                "was asked for"
            )
    sizes = case.full.source.get("split_sizes")
    if sizes is not None and dict(sizes) != case.full.sizes:
        raise case.fail(
            f"source['split_sizes'] = {sizes} differ from the full load's sizes {case.full.sizes}"
        )


def _time(value: Any) -> Any:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, (str, np.datetime64)):
        return np.datetime64(value)
    raise ValueError(f"{value!r} is not an ISO date or a number")


def _ranges(case: ProblemCase, source: Mapping[str, Any]) -> dict[str, tuple[Any, Any]] | None:
    keys = [f"{s}_dates" for s in SPLITS]
    present = [k for k in keys if k in source]
    if not present:
        return None
    if len(present) < len(keys):
        missing = sorted(set(keys) - set(present))
        raise case.fail(f"splits.source has {', '.join(present)} but not {', '.join(missing)}")
    out: dict[str, tuple[Any, Any]] = {}
    kinds: set[type] = set()
    for s, key in zip(SPLITS, keys, strict=True):
        value = source[key]
        try:
            if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
                raise ValueError("expected a non-empty list of dates")
            times = [_time(v) for v in value]
            kinds.update(type(t) for t in times)
            if len(kinds) > 1:  # dates and numbers do not compare
                raise ValueError("mixes dates and numbers")
            out[s] = (min(times), max(times))
        except (ValueError, TypeError) as exc:
            raise case.fail(f"source[{key!r}] = {value!r:.80}: {one_line(str(exc))}") from exc
    return out


def check_time_ordered_splits(case: ProblemCase) -> None:
    """Ordered problems split by time; problems whose source says so declare ``ordered``."""
    p, source = case.problem, case.full.source
    ranges = _ranges(case, source)
    in_order = ranges is not None and all(
        ranges[a][1] < ranges[b][0] for a, b in (("train", "val"), ("val", "test"))
    )
    if p.ordered and ranges is not None and not in_order:
        t, v, e = (f"{ranges[s][0]}..{ranges[s][1]}" for s in SPLITS)
        raise case.fail(
            f"ordered = True, but the splits are not in time order (train {t}, val {v}, "
            f"test {e}); split by time, never shuffled across a boundary"
        )
    if not p.ordered:
        split = source.get("split")
        says = isinstance(split, str) and _TIME_WORDS.search(split) is not None
        if says or source.get("ordered") is True or in_order:
            why = (
                f"source['split'] says {split!r}"
                if says
                else "source['ordered'] is true"
                if source.get("ordered") is True
                else "its splits fall in consecutive date ranges"
            )
            raise case.fail(
                f"the split is by time ({why}), but the problem does not declare "
                "ordered = True (K-fold evaluation would then mix future rows into training)"
            )
