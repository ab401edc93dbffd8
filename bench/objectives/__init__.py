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

- :mod:`.run_points`: a run's objective vectors. :class:`RunObjectives` for a replayed
  run (what a trial measured, told to the strategy; its config's table point, what the
  run is scored on); :class:`MeasuredObjectives` for a live or surrogate run (the
  trial's own metric and seconds, its config's ``params`` and ``flops`` from its model;
  scored as measured live, on the surrogate's noise-free prediction in surrogate
  mode), both in the fixed frame of the problem's table; and the run's front
  (non-dominated trials, hypervolume, regret).
- :mod:`.model_costs`: a built model's ``params`` and ``flops`` objectives.

What is done: entries with ``objectives`` run end to end in replay, live and surrogate
mode. The run loop (:mod:`tunebench.run.loop`) logs both vectors in each full trial's
``trial_end``, tells the strategy the measured one (:attr:`TrialResult.objectives`) and
hands every epoch's partial vector to ``Strategy.report_objectives``; ``run.json`` holds
the front, its hypervolume and regret, and the provenance
:meth:`HypervolumeReference.to_dict` of the frame's table (replay: the table served;
live: the entry's ``table``, else the problem's default table, recorded at the entry's
data settings; surrogate: the table the surrogate was fitted on). The multi-objective
strategies are ``mo-random``, ``nsga2``, ``mo-tpe``, ``random-scalarisation``,
``smac-parego`` and ``moasha``; the load-time checks refuse a single-objective strategy
on such an entry (and the reverse), a mode without objectives, and a frame table
without a needed column.

Reports (:mod:`tunebench.reports.analysis.fronts`) score every run in the frame its
provenance records (never with the runs' own worst values), so adding a strategy never
moves a score: anytime hypervolume regret over budget and simulated time, each
strategy's final front against :func:`true_front` with its median attainment surface
(``moocore.eaf``), and the leaderboard on hypervolume regret; ``tunebench collect``
writes the vectors and fronts into its tables; ``tunebench summary`` prints median
hypervolume regret and front size per strategy.

What remains: the table's metadata should hold the frame under ``hypervolume`` once
the shipped tables carry ``params``.
"""

from __future__ import annotations

from tunebench.objectives.catalog import (
    ADD_PARAMS_COMMAND,
    OBJECTIVES,
    TRAINING_PER_FORWARD,
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
from tunebench.objectives.model_costs import model_costs
from tunebench.objectives.run_points import (
    MeasuredObjectives,
    ObjectiveVectors,
    RunFront,
    RunObjectives,
    run_objectives,
    table_frame,
)
from tunebench.objectives.table_points import TablePoints, require_columns, table_points

__all__ = [
    "ADD_PARAMS_COMMAND",
    "OBJECTIVES",
    "REFERENCE",
    "TRAINING_PER_FORWARD",
    "HypervolumeReference",
    "MeasuredObjectives",
    "Objective",
    "ObjectiveError",
    "ObjectiveScale",
    "ObjectiveVectors",
    "RunFront",
    "RunObjectives",
    "TablePoints",
    "check_objectives",
    "hypervolume",
    "minimised",
    "model_costs",
    "reference_from_table",
    "require_columns",
    "run_objectives",
    "table_frame",
    "table_points",
    "true_front",
]
