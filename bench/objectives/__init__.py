"""Multi-objective benchmarks (issue 39): objectives, table points, hypervolume.

What is here, each tested on its own:

- :mod:`.catalog`: the objectives, defined once (:data:`OBJECTIVES`: ``metric``,
  ``params``, ``train_seconds``, ``flops``; direction, unit, determinism, log scale,
  table column) and :func:`check_objectives`, the one-line validation of an
  ``objectives`` list.
- :mod:`.table_points`: a table's configs as objective vectors at ``max_epochs``
  (mean over repeats), and :func:`require_columns`, which names the command that adds a
  missing column.
- :mod:`.add_params`: ``python -m tunebench.objectives.add_params TABLE`` adds the
  ``params`` column to a recorded table by building each config's model (no training).
- :mod:`.hypervolume`: :func:`hypervolume` (moocore), the table's :func:`true_front`,
  and :class:`HypervolumeReference`, the problem's fixed frame (normalisation,
  reference point 1.1, the front's hypervolume) as JSON-able data, with
  :meth:`~HypervolumeReference.regret`.

- :mod:`.run_points`: a replay run's objective vectors (:class:`RunObjectives`:
  what a trial measured, told to the strategy; its config's table point, what the run
  is scored on) and the run's front (non-dominated trials, hypervolume, regret).

What is done: replay entries with ``objectives`` run end to end. The run loop
(:mod:`tunebench.run.loop`) logs both vectors in each full trial's ``trial_end``, tells
the strategy the measured one (:attr:`TrialResult.objectives`) and hands every epoch's
partial vector to ``Strategy.report_objectives``; ``run.json`` holds the front, its
hypervolume and regret, and the provenance :meth:`HypervolumeReference.to_dict` of the
table. The multi-objective strategies are ``mo-random``, ``nsga2``, ``mo-tpe``,
``random-scalarisation``, ``smac-parego`` and ``moasha``; the load-time checks refuse a
single-objective strategy on such an entry (and the reverse), a mode other than replay,
and a table without a needed column.

Reports (:mod:`tunebench.reports.analysis.fronts`) score every run in the frame its
provenance records (never with the runs' own worst values), so adding a strategy never
moves a score: anytime hypervolume regret over budget and simulated time, each
strategy's final front against :func:`true_front` with its median attainment surface
(``moocore.eaf``), and the leaderboard on hypervolume regret; ``tunebench collect``
writes the vectors and fronts into its tables.

What remains:

- **Live and surrogate modes**: in live mode the metric, the model's
  ``count_trainable``, the ledger's training seconds and ``flops_per_example / 3``; in
  surrogate mode predicted metric and seconds, computed ``params`` and ``flops``. The
  table's metadata should hold the frame under ``hypervolume`` once the shipped tables
  carry ``params``.
"""

from __future__ import annotations

from tunebench.objectives.catalog import (
    ADD_PARAMS_COMMAND,
    OBJECTIVES,
    Objective,
    ObjectiveError,
    check_objectives,
    minimised,
)
from tunebench.objectives.hypervolume import (
    REFERENCE,
    HypervolumeReference,
    ObjectiveScale,
    hypervolume,
    reference_from_table,
    true_front,
)
from tunebench.objectives.run_points import RunFront, RunObjectives, run_objectives
from tunebench.objectives.table_points import TablePoints, require_columns, table_points

__all__ = [
    "ADD_PARAMS_COMMAND",
    "OBJECTIVES",
    "REFERENCE",
    "HypervolumeReference",
    "Objective",
    "ObjectiveError",
    "ObjectiveScale",
    "RunFront",
    "RunObjectives",
    "TablePoints",
    "check_objectives",
    "hypervolume",
    "minimised",
    "reference_from_table",
    "require_columns",
    "run_objectives",
    "table_points",
    "true_front",
]
