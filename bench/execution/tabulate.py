"""Record a problem's learning-curve table: every config x repeat, trained live.

The configs are the problem's table grid (``table_space().grid()``), or with
``TabulateJob.sample`` a seeded Sobol sample of its full ``space()``
(:func:`tunebench.strategies.space.sampling.sample_configs`).

Each (config, repeat) is one unit of work: a fresh model trained epoch by
epoch with its own seed, the validation and test metric read after every
epoch, its cost measured. Units are written as small Parquet shards into
``<out>.parts/`` as they finish, and every :data:`CHUNK_UNITS` shards are merged
into one ``chunk-NNNNN.parquet`` there, so a killed tabulation resumes where it
stopped and a long one can be committed chunk by chunk; when all are done they
are joined into ``<out>`` (written atomically, with the metadata
:mod:`tunebench.curves.table` documents) and the parts folder removed.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import math
import multiprocessing as mp
import shutil
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tunebench.backends.keras_training import LiveTrainer
from tunebench.backends.registry import problem_data
from tunebench.backends.session import EpochOutcome
from tunebench.curves.shipped import portable_source
from tunebench.curves.table import COLUMNS, META_KEY, TableError
from tunebench.datasets import Problem, Splits
from tunebench.datasets.problem_files import known_problems, problem_file_provenance
from tunebench.execution.keras_env import configure
from tunebench.execution.pools import RecyclingPool
from tunebench.provenance import cpu_model, package_versions
from tunebench.seeding import seed_for
from tunebench.strategies.space import SearchSpace
from tunebench.strategies.space.sampling import sample_configs

__all__ = [
    "CHUNK_UNITS",
    "UNITS_PER_WORKER",
    "TabulateJob",
    "compact_shards",
    "tabulate",
    "train_unit",
]

# Units a worker process trains before a fresh one takes over (TensorFlow keeps memory
# for every model it built, see bench/perf/backends.py; only a new process returns it).
UNITS_PER_WORKER = 50


@dataclass(frozen=True)
class TabulateJob:
    """What to record (picklable, sent to workers)."""

    problem: str
    problem_params: dict[str, Any]
    epochs: int
    repeats: int
    subsample: int | None
    data_dir: str | None
    backend: str
    threads: int
    sample: int | None = None
    sample_seed: int = 0
    problem_module: str | None = None

    def problem_class(self) -> type[Problem]:
        """The class recorded: a registered problem, or one of ``problem_module``'s."""
        return known_problems(self.problem_module)[self.problem]

    def space(self, problem: Problem) -> SearchSpace:
        """The space the table covers: the full space when sampled, else the table grid."""
        return problem.space() if self.sample is not None else problem.table_space()

    def configs(self, problem: Problem) -> list[dict[str, Any]]:
        """The configs to record, in a fixed order (shard index = position)."""
        space = self.space(problem)
        if self.sample is None:
            return space.grid()
        return sample_configs(space, self.sample, self.sample_seed)


# Loose shards (one per unit) are merged into one chunk file once this many have
# finished: a few chunk files instead of thousands of tiny ones, so the shards of a long
# recording can be committed as they land.
CHUNK_UNITS = 100
_SHARD_GLOB = "[0-9]*-[0-9]*.parquet"
_CHUNK_GLOB = "chunk-*.parquet"


def _shard(parts: Path, i: int, r: int) -> Path:
    return parts / f"{i:06d}-{r:03d}.parquet"


def _units_of(frame: pd.DataFrame, index: dict[str, int]) -> set[tuple[int, int]]:
    pairs = frame[["config_key", "repeat"]].drop_duplicates()
    return {(index[k], int(r)) for k, r in zip(pairs["config_key"], pairs["repeat"], strict=True)}


def _chunked_units(parts: Path, index: dict[str, int]) -> set[tuple[int, int]]:
    done: set[tuple[int, int]] = set()
    for chunk in parts.glob(_CHUNK_GLOB):
        done |= _units_of(pd.read_parquet(chunk, columns=["config_key", "repeat"]), index)
    return done


def compact_shards(parts: Path, index: dict[str, int]) -> None:
    """Merge the loose unit shards in ``parts`` into one new chunk file, then remove them.

    Safe to kill at any point: the chunk is written atomically before any shard is
    removed, and a unit found both in a chunk and as a shard is counted once.

    Args:
        parts: The ``<out>.parts`` folder.
        index: Config key -> position in the job's config list.
    """
    shards = sorted(parts.glob(_SHARD_GLOB))
    if not shards:
        return
    chunked = _chunked_units(parts, index)
    frames = [pd.read_parquet(s) for s in shards]
    fresh = [f for f in frames if not _units_of(f, index) <= chunked]
    if fresh:
        seq = 1 + max((int(c.stem.split("-")[1]) for c in parts.glob(_CHUNK_GLOB)), default=-1)
        chunk = parts / f"chunk-{seq:05d}.parquet"
        tmp = chunk.with_suffix(".tmp")
        pd.concat(fresh, ignore_index=True).to_parquet(tmp, index=False, compression="zstd")
        tmp.replace(chunk)
    for shard in shards:
        shard.unlink()


def _data(job: TabulateJob) -> tuple[Problem, Splits]:
    return problem_data(
        job.problem, job.problem_params, job.subsample, job.data_dir, module=job.problem_module
    )


def unit_seed(config_key: str, repeat: int) -> int:
    """The training seed of one (config, repeat): independent of grid order."""
    return seed_for(repeat, "training", zlib.crc32(config_key.encode("utf-8")))


def train_unit(job: TabulateJob, config: dict[str, Any], repeat: int) -> list[dict[str, Any]]:
    """Train one config for ``job.epochs`` epochs; one row per epoch (fewer if it fails)."""
    configure(job.backend, job.threads)
    problem, splits = _data(job)
    key = job.space(problem).config_key(config)
    session = LiveTrainer(problem, splits).open(config, key, unit_seed(key, repeat))
    rows: list[dict[str, Any]] = []
    seen: list[EpochOutcome] = []

    def keep(out: EpochOutcome) -> bool:
        seen.append(out)
        return True

    try:
        for epoch in range(1, job.epochs + 1):
            session.fit(epoch, keep)
            out = seen[-1]
            failed = "" if out.finite else out.why_not_finite()
            test = session.evaluate_test() if not failed else math.nan
            rows.append(
                {
                    "config_key": key,
                    "repeat": repeat,
                    "epoch": epoch,
                    "value": out.value if not failed else math.nan,
                    "test_value": test,
                    "loss": out.loss,
                    "seconds": out.seconds,
                    "flops": out.flops,
                    "setup_seconds": session.setup_seconds,
                    "failed": failed,
                    **{f"hp_{k}": v for k, v in config.items()},
                }
            )
            if failed:
                break
    finally:
        session.close()
    return rows


def _meta(job: TabulateJob, problem: Problem, splits: Splits, seconds: float) -> dict[str, Any]:
    space = job.space(problem)
    meta: dict[str, Any] = {
        "problem": job.problem,
        "problem_params": job.problem_params,
        "kind": "grid" if job.sample is None else "sampled",
        "space_fingerprint": space.fingerprint(),
        "space": space.to_dict(),
        "grid_size": space.grid_size() if job.sample is None else None,
        "sample": job.sample,
        "sample_seed": job.sample_seed if job.sample is not None else None,
        "epochs": job.epochs,
        "repeats": job.repeats,
        "subsample": job.subsample,
        "metric": problem.metric,
        "direction": problem.direction,
        # no absolute path of this machine in a table that may ship
        "data": portable_source(splits.source, job.data_dir),
        "split_sizes": splits.sizes(),
        "packages": package_versions(),
        "cpu": cpu_model(),
        "backend": job.backend,
        "threads": job.threads,
        "tabulate_seconds": seconds,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if job.problem_module is not None:
        # the file's name and SHA-256 say which code made the curves; its folder is local
        file = problem_file_provenance(Path(job.problem_module))
        meta["problem_file"] = {"name": Path(file["path"]).name, "sha256": file["sha256"]}
    return meta


def tabulate(
    job: TabulateJob,
    out: Path,
    *,
    workers: int = 1,
    on_unit: Callable[[int, int], None] | None = None,
    chunk_units: int = CHUNK_UNITS,
) -> Path:
    """Record the table, resuming from shards of an earlier, interrupted call.

    Args:
        job: What to record.
        out: The Parquet file to write.
        workers: Worker processes (1: train in this process).
        on_unit: Called with (units done, units total) after every unit.
        chunk_units: Loose shards merged into one chunk file (see :data:`CHUNK_UNITS`).

    Returns:
        ``out``.

    Raises:
        TableError: Shards in ``<out>.parts`` belong to a different job.
    """
    problem = job.problem_class()(**job.problem_params)
    space = job.space(problem)
    grid = job.configs(problem)
    parts = out.with_name(out.name + ".parts")
    parts.mkdir(parents=True, exist_ok=True)
    # where the data and the problem's file lie is not what the table holds
    local = ("data_dir", "threads", "problem_module")
    stamp = {k: v for k, v in job.__dict__.items() if k not in local}
    stamp["space_fingerprint"] = space.fingerprint()
    stamp_file = parts / "job.json"
    if stamp_file.is_file() and json.loads(stamp_file.read_text()) != stamp:
        raise TableError(
            f"{parts} holds shards of a different tabulation; remove it or choose another --out"
        )
    stamp_file.write_text(json.dumps(stamp, sort_keys=True))

    units = [(i, r) for r in range(job.repeats) for i in range(len(grid))]
    index = {space.config_key(c): i for i, c in enumerate(grid)}
    compact_shards(parts, index)
    chunked = _chunked_units(parts, index)
    todo = [u for u in units if u not in chunked and not _shard(parts, *u).is_file()]
    done = len(units) - len(todo)
    t0 = time.perf_counter()

    def save(i: int, r: int, rows: list[dict[str, Any]]) -> None:
        nonlocal done
        shard = _shard(parts, i, r)
        tmp = shard.with_suffix(".tmp")
        pd.DataFrame(rows).to_parquet(tmp, index=False)
        tmp.replace(shard)  # a shard exists only when complete
        done += 1
        if on_unit is not None:
            on_unit(done, len(units))
        if len(list(parts.glob(_SHARD_GLOB))) >= chunk_units:
            compact_shards(parts, index)

    if on_unit is not None:
        on_unit(done, len(units))
    if workers <= 1:
        for i, r in todo:
            save(i, r, train_unit(job, grid[i], r))
    else:
        ctx = mp.get_context("spawn")
        # A fresh pool per generation of UNITS_PER_WORKER units per worker gives back
        # TensorFlow's per-model memory (why not max_tasks_per_child: see
        # tunebench.execution.pools). A generation is submitted only when the one before
        # is done, so one pool's workers run at a time.
        step = UNITS_PER_WORKER * workers
        pools = RecyclingPool(
            lambda: cf.ProcessPoolExecutor(workers, mp_context=ctx), step, wait_on_retire=True
        )
        try:
            for start in range(0, len(todo), step):
                futures = {
                    pools.submit(train_unit, job, grid[i], r): (i, r)
                    for i, r in todo[start : start + step]
                }
                for fut in cf.as_completed(futures):
                    i, r = futures[fut]
                    save(i, r, fut.result())
        finally:
            pools.close()

    import pyarrow as pa
    import pyarrow.parquet as pq

    compact_shards(parts, index)
    frame = pd.concat([pd.read_parquet(c) for c in sorted(parts.glob(_CHUNK_GLOB))])
    frame = frame.drop_duplicates(["config_key", "repeat", "epoch"], keep="first")
    order = frame["config_key"].map(index) + len(grid) * frame["repeat"]
    frame = frame.assign(_order=order).sort_values(["_order", "epoch"], kind="stable")
    frame = frame.drop(columns="_order").reset_index(drop=True)
    frame = frame[list(COLUMNS) + [c for c in frame.columns if c not in COLUMNS]]
    _, splits = _data(job)  # loading data needs no Keras
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = _meta(job, problem, splits, time.perf_counter() - t0)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), META_KEY: json.dumps(meta).encode()}
    )
    tmp = out.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(out)
    shutil.rmtree(parts)
    return out
