"""Check the models a problem builds: the default config, its metric, the edge configs.

Rules 8 (``default_config_builds``, ``metric_is_reported``) and 9
(``edge_configs_build``) in the package docs.
"""

from __future__ import annotations

import math

from tunebench.datasets.testing.case import ProblemCase
from tunebench.datasets.testing.contract import METRIC_DIRECTIONS, _exc
from tunebench.datasets.testing.edges import edge_configs
from tunebench.strategies.space import InvalidConfigError

TRAIN_ROWS = 128  # rows of the one-epoch metric check: one or two batches
VAL_ROWS = 128


def check_default_config_builds(case: ProblemCase) -> None:
    """The space's default config builds a compiled model (see :meth:`ProblemCase.build`)."""
    import keras

    case.build("defaults", case.space.canonical(case.space.defaults()))
    keras.backend.clear_session()


def check_metric_is_reported(case: ProblemCase) -> None:
    """One epoch of the default model reports ``val_<metric>``; the direction fits the metric."""
    import keras

    p = case.problem
    known = METRIC_DIRECTIONS.get(p.metric.lower())
    if known is not None and known != p.direction:
        raise case.fail(f"metric {p.metric!r} is to {known}, but direction is {p.direction!r}")
    config = case.space.canonical(case.space.defaults())
    model = case.build("defaults", config)
    s = case.small_splits
    try:
        history = model.fit(
            s.x_train[:TRAIN_ROWS],
            s.y_train[:TRAIN_ROWS],
            batch_size=p.batch_size(config),
            epochs=1,
            validation_data=(s.x_val[:VAL_ROWS], s.y_val[:VAL_ROWS]),
            verbose=0,
        )
        scores = model.evaluate(
            s.x_test[:VAL_ROWS], s.y_test[:VAL_ROWS], verbose=0, return_dict=True
        )
    except Exception as exc:
        raise case.fail(f"one epoch of the default model failed: {_exc(exc)}") from exc
    finally:
        keras.backend.clear_session()
    key = f"val_{p.metric}"
    logs = history.history
    if key not in logs:
        raise case.fail(
            f"the compiled model does not report the declared metric {p.metric!r}: training "
            f"logs hold {sorted(logs)}, the harness reads {key!r}; compile with "
            f"metrics=[{p.metric!r}]"
        )
    value = float(logs[key][-1])
    if not math.isfinite(value):
        raise case.fail(f"{key} is {value} after one epoch of the default config")
    if p.metric not in scores:
        raise case.fail(
            f"evaluate() on test rows reports {sorted(scores)}, not {p.metric!r} (the test score)"
        )


def check_edge_configs_build(case: ProblemCase) -> None:
    """Every edge config (see :func:`edge_configs`) builds a compiled model."""
    try:
        configs = edge_configs(case.space)
    except InvalidConfigError as exc:
        raise case.fail(f"an edge config of the space is invalid: {exc}") from exc
    for label, config in configs[1:]:  # the defaults were built by their own check
        case.build(label, config)
    import keras

    keras.backend.clear_session()
