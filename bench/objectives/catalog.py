"""The objectives a benchmark may score, each defined once: name, direction, unit, source.

An :class:`Objective` says everything the rest of the suite needs to know about one
objective without looking anything up elsewhere: whether it is minimised (every objective
is, except a maximised problem metric), its unit, whether it is deterministic per config
(the same config always gives the same value, so a surrogate may compute it instead of
predicting it), whether it is compared in log scale, and which table column provides it.
:func:`check_objectives` validates a matrix entry's ``objectives`` list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tunebench.errors import TunebenchError

__all__ = [
    "ADD_PARAMS_COMMAND",
    "OBJECTIVES",
    "TRAINING_PER_FORWARD",
    "Objective",
    "ObjectiveError",
    "check_objectives",
    "minimised",
]

#: The command that adds the ``params`` column to a recorded table (no retraining).
ADD_PARAMS_COMMAND = "python -m tunebench.objectives.add_params TABLE"


#: Training FLOPs per forward FLOP (forward, then a backward pass of twice its cost): a
#: problem's ``flops_per_example`` counts training FLOPs, the ``flops`` objective forward
#: FLOPs.
TRAINING_PER_FORWARD = 3.0


class ObjectiveError(TunebenchError, ValueError):
    """A bad ``objectives`` list, or a table that cannot provide an objective."""


@dataclass(frozen=True)
class Objective:
    """One objective of a multi-objective benchmark.

    Attributes:
        name: As a matrix's ``objectives`` list spells it.
        description: One line for listings and reports.
        unit: Unit of the raw value (``"metric"``: the problem's own metric's unit).
        minimise: Whether smaller is better; ``None`` for ``metric``, whose direction is
            the problem's (:func:`minimised` resolves it).
        deterministic: The same config always gives the same value (no training noise,
            no machine dependence), so it can be computed rather than measured.
        log_scale: Shown, and normalised for hypervolume, as ``log10`` of the value: it
            spans orders of magnitude across a search space.
        column: The table column it is computed from.
        table_rule: How a table provides the per-config value at ``max_epochs``.
        adds_column: The command that adds ``column`` to a table recorded without it;
            ``None`` when every table has it.
    """

    name: str
    description: str
    unit: str
    minimise: bool | None
    deterministic: bool
    log_scale: bool
    column: str
    table_rule: str
    adds_column: str | None = None


OBJECTIVES: dict[str, Objective] = {
    o.name: o
    for o in (
        Objective(
            name="metric",
            description="the problem's own validation metric, in its own direction",
            unit="metric",
            minimise=None,
            deterministic=False,
            log_scale=False,
            column="value",
            table_rule="validation value at max_epochs",
        ),
        Objective(
            name="params",
            description="trainable parameters of the built model",
            unit="parameters",
            minimise=True,
            deterministic=True,
            log_scale=True,
            column="params",
            table_rule="the config's trainable parameter count",
            adds_column=ADD_PARAMS_COMMAND,
        ),
        Objective(
            name="train_seconds",
            description="seconds to train to max_epochs (the epochs' wall seconds, summed)",
            unit="seconds",
            minimise=True,
            deterministic=False,
            log_scale=False,
            column="seconds",
            table_rule="sum of the epochs' seconds 1..max_epochs (model setup excluded)",
        ),
        Objective(
            name="flops",
            description="forward FLOPs per example",
            unit="FLOPs",
            minimise=True,
            deterministic=True,
            log_scale=True,
            column="flops",
            # A table records each epoch's training FLOPs: the problem's training FLOPs
            # per example (3 x forward, Problem.flops_per_example) x training rows.
            table_rule="first epoch's training FLOPs / (3 x training rows)",
        ),
    )
}


def minimised(objective: Objective, direction: str) -> bool:
    """Whether ``objective`` is minimised on a problem whose metric goes in ``direction``.

    Args:
        objective: The objective.
        direction: The problem's ``"maximize"`` or ``"minimize"``.
    """
    if objective.minimise is not None:
        return objective.minimise
    return direction == "minimize"


def check_objectives(names: Sequence[object]) -> tuple[Objective, ...]:
    """Validate an ``objectives`` list: known names, each once, at least two.

    Args:
        names: The list as the matrix file gives it.

    Returns:
        The objectives, in the list's order.

    Raises:
        ObjectiveError: One line: a name that is not a string or not known (with the
            allowed ones), a name listed twice, or fewer than two objectives.
    """
    allowed = ", ".join(OBJECTIVES)
    seen: dict[str, int] = {}
    chosen: list[Objective] = []
    for index, name in enumerate(names):
        if not isinstance(name, str) or name not in OBJECTIVES:
            raise ObjectiveError(f"unknown objective {name!r}; allowed: {allowed}")
        if name in seen:
            raise ObjectiveError(
                f"objective {name!r} listed twice (positions {seen[name]} and {index})"
            )
        seen[name] = index
        chosen.append(OBJECTIVES[name])
    if len(seen) < 2:
        raise ObjectiveError(
            f"a multi-objective entry needs at least two objectives, got {len(seen)}; "
            "leave objectives out for a single-objective run"
        )
    return tuple(chosen)
