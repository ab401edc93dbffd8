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

What remains (the matrix refuses an entry with ``objectives`` until it is done):

- **The loop.** A trial's result becomes an objective vector: in replay and surrogate
  modes the table's point of the served config (:func:`table_points`; ``params`` and
  ``flops`` computed where a surrogate serves an unrecorded config, since they are
  deterministic), in live mode the metric, the model's ``count_trainable``, the
  ledger's training seconds and ``flops_per_example / 3``. The strategy protocol gains
  a multi-objective ``tell`` (the vector, in the catalog's order, with the minimised
  flags) while ``report`` keeps the per-epoch metric, so early stopping still sees a
  curve; a single-objective strategy on a multi-objective entry is refused at load
  time. The run's result becomes its non-dominated set of configs evaluated at
  ``max_epochs``, scored on the table's points (as ``full_value`` scores one config), and
  the run's provenance records :meth:`HypervolumeReference.to_dict` of its table, the
  table's metadata holding the same dict under ``hypervolume`` once the shipped tables
  carry ``params``.
- **Strategies next**, each an adapter of its library: optuna's NSGA-II
  (``NSGAIISampler``) and multi-objective TPE (``TPESampler`` on a multi-objective
  study; optuna cannot prune those, so both run every trial to ``max_epochs``), SMAC3's
  multi-objective facade with ParEGO, random search (unchanged, told vectors), a
  random-scalarisation baseline (a random weight vector per trial over the normalised
  objectives, driving a single-objective strategy), and a multi-fidelity one where a
  library already used offers it (syne-tune's multi-objective ASHA / MO-ASHA).
- **Reports** normalise every run's points with the problem's recorded
  :class:`HypervolumeReference` (never with the runs' own worst values), so adding a
  strategy never moves a score: anytime hypervolume regret over budget and simulated
  time, each strategy's final front against :func:`true_front`, median attainment
  surfaces (``moocore.eaf``), and the leaderboard on hypervolume regret.
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
from tunebench.objectives.table_points import TablePoints, require_columns, table_points

__all__ = [
    "ADD_PARAMS_COMMAND",
    "OBJECTIVES",
    "REFERENCE",
    "HypervolumeReference",
    "Objective",
    "ObjectiveError",
    "ObjectiveScale",
    "TablePoints",
    "check_objectives",
    "hypervolume",
    "minimised",
    "reference_from_table",
    "require_columns",
    "table_points",
    "true_front",
]
