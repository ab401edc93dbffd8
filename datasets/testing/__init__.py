"""Conformance kit: the checks every benchmark problem, built-in or plug-in, must pass.

Like :mod:`tunebench.strategies.testing`, this ships with the package so that the author
of a problem can run the same suite on their own one::

    from tunebench.datasets.testing import check_problem
    from my_package import MyProblem

    def test_my_problem_conforms():
        check_problem(MyProblem, params={"window": 5}, subsample=200)

or one pytest case per check::

    import pytest
    from tunebench.datasets.testing import CHECKS, ProblemCase

    @pytest.mark.parametrize("check", list(CHECKS))
    def test_conformance(check):
        CHECKS[check](ProblemCase(MyProblem()))

What is checked is the contract with the harness (fixed splits, comparable scores,
models that build and report the metric the strategies optimise, provenance that a run
record can hold), not how good the model is. Every finding is a
:class:`ProblemConformanceError` with one line naming the check, the problem and what is
wrong. Data that cannot be found raises the loader's own ``DatasetError`` unchanged:
that is the machine's state, not the problem's.

The rules, in the order they are checked:

1. **Attributes** (``declares_attributes``): ``name`` and ``metric`` non-empty strings,
   ``direction`` ``"maximize"`` or ``"minimize"``, ``max_epochs`` an int >= 1,
   ``ordered`` a bool; :meth:`~tunebench.datasets.problem.Problem.space` and
   ``table_space`` return a :class:`~tunebench.strategies.space.SearchSpace` whose
   defaults are a valid config; ``get_params()`` returns the constructor's arguments
   unchanged.
2. **Well-formed splits** (on every load): a ``Splits`` whose six fields are numpy
   arrays, ``len(x) == len(y)`` per split, no split empty, the same input shape in all
   three.
3. **Fixed splits** (``splits_ignore_the_run_seed``): two loads after seeding Python's,
   numpy's and Keras' global generators differently give byte-identical arrays (shape,
   dtype and content) in every split.
4. **No overlap** (``splits_do_not_overlap``): ``Splits`` exposes no row ids, so rows
   are compared by a hash of their input bytes (labels left out: a copy of an input
   with another label leaks too). An input found in two splits is a leak unless it also
   occurs at least twice *within* one split: then the data itself carries copies of it
   (real tables can), and a fixed split cannot keep every copy on one side. Hence an
   input that occurs exactly twice in all the data, once in train and once in test, is
   reported; deduplicate such data or split it by group.
5. **Subsample** (``subsample_keeps_val_and_test_whole``): with ``subsample=n``,
   validation and test are byte-identical to the full load's, training has 1..n rows,
   and every one of them is a row of the full training split.
6. **Provenance** (``source_is_provenance``): ``splits.source`` is a dict with string
   keys that ``json.dumps`` accepts (non-finite floats pass: the run writer stores them
   as ``null``), holding :data:`REQUIRED_SOURCE_KEYS`, each a non-empty string:
   ``dataset`` (which data), ``origin`` (where it came from, with a version or path) and
   ``checksum`` (``"<scheme>:<digest>"``, e.g. ``sha256:...``), the set all four
   built-in problems record and ``run.json`` and ``tunebench datasets`` show. When
   present, ``variant`` is a non-empty string (results folders refuse mixed variants),
   ``split_sizes`` equals the full load's sizes and ``subsample`` the subsample asked
   for.
7. **Time order** (``time_ordered_splits``): when ``source`` holds ``train_dates``,
   ``val_dates`` and ``test_dates`` (each a list of ISO dates or numbers, e.g. the
   first and last target date, as ``stocks-mlp`` records), an ``ordered`` problem must
   have every training date before every validation date, and those before every test
   date; an unordered problem whose dates fall in such disjoint, consecutive ranges
   must declare ``ordered = True``. A problem whose ``source["split"]`` says the split is
   by time (``by time``, ``time-ordered``, ``chronological``, ``temporal``) or whose
   ``source["ordered"]`` is true must declare it too. Limitation: a time-ordered problem
   that records no dates and does not say so in ``source`` cannot be told from an iid
   one, and passes.
8. **Default config builds** (``default_config_builds``), then **metric**
   (``metric_is_reported``): the model of the space's defaults, trained one epoch on a
   slice of training rows with a slice of validation rows, reports ``val_<metric>`` (a
   finite number, which the harness reads), and ``evaluate(return_dict=True)`` on test
   rows reports ``<metric>``; a metric named in :data:`METRIC_DIRECTIONS` must have that
   direction (metrics not in it pass this sub-check).
9. **Edge configs build** (``edge_configs_build``): one config per edge value (see
   :func:`edge_configs`): every ``Int``/``Float`` at its low and at its high end, every
   ``Categorical`` choice, each with the rest at defaults and a conditional parameter
   activated through its parent (the parent's default when that activates it, else the
   first value that does). So the builds grow with the number of edge values, never
   with their product. ``keras.backend.clear_session()`` runs before each build.

Every model the kit builds must be a compiled ``keras.Model`` that accepts two training
rows, with ``batch_size(config)`` a positive int and ``flops_per_example(model)`` a
positive, finite number (the ledger's FLOP count).

The kit seeds the global generators (Python, numpy, Keras) while it runs; Python's and
numpy's states are restored afterwards.

The kit is a package, one module a job, imported one way (each only from those above it):
``contract`` (constants, the error), ``edges`` (edge configs), ``case`` (the problem under
test, its loads and builds), the checks by what they check (``attributes``, ``splits``,
``provenance``, ``models``), ``runner`` (the checks in order) and ``cli`` (``python -m``).
"""

from __future__ import annotations

from tunebench.datasets.testing.attributes import (
    check_declares_attributes as check_declares_attributes,
)
from tunebench.datasets.testing.case import Check as Check
from tunebench.datasets.testing.case import ProblemCase
from tunebench.datasets.testing.cli import main as main
from tunebench.datasets.testing.contract import (
    DEFAULT_SUBSAMPLE,
    LOAD_SEEDS,
    METRIC_DIRECTIONS,
    REQUIRED_SOURCE_KEYS,
    ProblemConformanceError,
)
from tunebench.datasets.testing.contract import SPLITS as SPLITS
from tunebench.datasets.testing.edges import edge_configs
from tunebench.datasets.testing.models import TRAIN_ROWS as TRAIN_ROWS
from tunebench.datasets.testing.models import VAL_ROWS as VAL_ROWS
from tunebench.datasets.testing.models import (
    check_default_config_builds as check_default_config_builds,
)
from tunebench.datasets.testing.models import check_edge_configs_build as check_edge_configs_build
from tunebench.datasets.testing.models import check_metric_is_reported as check_metric_is_reported
from tunebench.datasets.testing.provenance import (
    check_source_is_provenance as check_source_is_provenance,
)
from tunebench.datasets.testing.provenance import (
    check_time_ordered_splits as check_time_ordered_splits,
)
from tunebench.datasets.testing.runner import CHECKS, check_problem
from tunebench.datasets.testing.runner import RUN_CHECKS as RUN_CHECKS
from tunebench.datasets.testing.runner import check_problem_runs as check_problem_runs
from tunebench.datasets.testing.splits import (
    check_splits_do_not_overlap as check_splits_do_not_overlap,
)
from tunebench.datasets.testing.splits import (
    check_splits_ignore_the_run_seed as check_splits_ignore_the_run_seed,
)
from tunebench.datasets.testing.splits import (
    check_subsample_keeps_val_and_test_whole as check_subsample_keeps_val_and_test_whole,
)

__all__ = [
    "CHECKS",
    "DEFAULT_SUBSAMPLE",
    "LOAD_SEEDS",
    "METRIC_DIRECTIONS",
    "REQUIRED_SOURCE_KEYS",
    "ProblemCase",
    "ProblemConformanceError",
    "check_problem",
    "edge_configs",
]
