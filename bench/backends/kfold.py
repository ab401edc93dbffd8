"""K-fold cross-validation of a trial: K models trained in lockstep, scores averaged.

A matrix problem entry with ``evaluation = "kfold:K"`` scores every trial by
K-fold cross-validation instead of the fixed holdout split. The training and
validation rows (after ``subsample``) are pooled and cut into K folds, once per
problem and the same for every run, so every strategy and seed sees the same
folds. Fold k's model trains on the other folds and is validated on fold k:

- iid problems: :class:`sklearn.model_selection.KFold`, shuffled with a fixed seed;
- time-ordered problems (``Problem.ordered``): :class:`~sklearn.model_selection.
  TimeSeriesSplit`, so a model never trains on rows later than the ones it is
  validated on.

A trial's epoch is one epoch of each of the K models. What strategies see is the
mean validation value. The epoch's seconds and FLOPs are the sums over the folds,
so a ``seconds`` budget buys about K times fewer trials than with holdout; a
``full_evaluations`` budget counts evaluations of configs, and one K-fold
evaluation of a config is one evaluation (every strategy of a problem entry is
scored the same way, so budgets stay matched).
A trial's test value is the mean of the K models' test scores. The test split is
never part of a fold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from tunebench.backends.keras_training import LiveTrainer, TrialSession
from tunebench.backends.session import EpochOutcome, Snapshot
from tunebench.datasets import Problem, Splits
from tunebench.runspec import parse_evaluation
from tunebench.seeding import seed_for

__all__ = ["FOLD_SEED", "KFoldSession", "KFoldTrainer", "fold_splits", "parse_evaluation"]

# Seeds the fold assignment of iid problems: fixed, so folds never depend on a run.
FOLD_SEED = 0


def fold_splits(splits: Splits, k: int, ordered: bool = False) -> list[Splits]:
    """The K (train, validation) pairs cut from the pooled training and validation rows.

    Args:
        splits: The problem's holdout splits.
        k: Number of folds.
        ordered: Rows are in time order (use forward-chaining folds).

    Raises:
        ValueError: Fewer pooled rows than ``k + 1``.
    """
    from sklearn.model_selection import KFold, TimeSeriesSplit

    x = np.concatenate([splits.x_train, splits.x_val])
    y = np.concatenate([splits.y_train, splits.y_val])
    if len(x) <= k:
        raise ValueError(f"kfold:{k} needs more than {k} training + validation rows, got {len(x)}")
    cutter = (
        TimeSeriesSplit(n_splits=k) if ordered else KFold(k, shuffle=True, random_state=FOLD_SEED)
    )
    folds = []
    for train_idx, val_idx in cutter.split(x):
        source = {**splits.source, "evaluation": f"kfold:{k}", "folds_ordered": ordered}
        folds.append(
            replace(
                splits,
                x_train=x[train_idx],
                y_train=y[train_idx],
                x_val=x[val_idx],
                y_val=y[val_idx],
                source=source,
            )
        )
    return folds


class KFoldSession:
    """One trial's K fold models, trained epoch by epoch in lockstep.

    The folds' models share TensorFlow's global random state, so a fold trained in
    lockstep shuffles differently than the same fold trained alone; the sequence is
    fixed, so a K-fold trial is as reproducible as a holdout one.

    Attributes:
        start_epoch: Epochs the weights had seen when the session opened.
        epochs: Epochs every fold model has seen now.
        setup_seconds: Wall seconds spent building (and restoring) the K models.
        fold_values: Per epoch trained in this session, each fold's validation value.
    """

    def __init__(self, sessions: list[TrialSession]) -> None:
        self._sessions = sessions
        self.start_epoch = sessions[0].start_epoch
        self.epochs = sessions[0].epochs
        self.setup_seconds = sum(s.setup_seconds for s in sessions)
        self.served: tuple[str, float] | None = None  # trained (or made) as proposed
        self.fold_values: list[list[float]] = []  # per epoch trained here, per fold

    def fit(self, target_epochs: int, on_epoch: Callable[[EpochOutcome], bool]) -> None:
        """Train every fold one epoch at a time up to ``target_epochs``.

        ``on_epoch`` sees the fold-mean outcome; returning ``False`` stops all folds.
        """
        for epoch in range(self.epochs + 1, target_epochs + 1):
            outcomes: list[EpochOutcome] = []

            def keep(out: EpochOutcome, outcomes: list[EpochOutcome] = outcomes) -> bool:
                outcomes.append(out)
                return True  # the fold-mean outcome decides, below

            for session in self._sessions:
                session.fit(epoch, keep)
            self.epochs = epoch
            values = [o.value for o in outcomes]
            self.fold_values.append(values)
            merged = EpochOutcome(
                epoch=epoch,
                value=float(np.mean(values)) if all(map(math.isfinite, values)) else math.nan,
                loss=float(np.mean([o.loss for o in outcomes])),
                seconds=sum(o.seconds for o in outcomes),
                flops=sum(o.flops for o in outcomes),
                weights_finite=all(o.weights_finite for o in outcomes),
            )
            if not on_epoch(merged):
                return

    def evaluate_test(self) -> float:
        """Mean test metric of the K fold models."""
        return float(np.mean([s.evaluate_test() for s in self._sessions]))

    def full_length(self, max_epochs: int) -> tuple[float, float] | None:
        """Not known without training on: live runs score what they trained."""
        return None

    def snapshot(self) -> Snapshot:
        """All K models' weights and optimizer states, fold after fold."""
        snaps = [s.snapshot() for s in self._sessions]
        return Snapshot(
            config_key=snaps[0].config_key,
            epochs=self.epochs,
            weights=[w for s in snaps for w in s.weights],
            optimizer=[v for s in snaps for v in s.optimizer],
        )

    def close(self) -> None:
        """Release every fold model."""
        for session in self._sessions:
            session.close()


class KFoldTrainer:
    """Opens K-fold sessions: one :class:`LiveTrainer` per fold.

    Args:
        problem: The problem.
        splits: Its holdout splits (pooled and cut into folds here).
        k: Number of folds.
    """

    def __init__(self, problem: Problem, splits: Splits, k: int) -> None:
        self.k = k
        self.costs: dict[str, dict[str, float]] = {}  # every fold builds the same model
        self.folds = [
            LiveTrainer(problem, fold, self.costs)
            for fold in fold_splits(splits, k, problem.ordered)
        ]

    def open(
        self,
        config: Mapping[str, Any],
        config_key: str,
        seed: int,
        resume: Snapshot | None = None,
    ) -> KFoldSession:
        """Build (or restore) the K fold models of ``config``, each with its own seed."""
        parts: list[Snapshot | None] = [None] * self.k
        if resume is not None:
            if len(resume.weights) % self.k or len(resume.optimizer) % self.k:
                raise ValueError(f"snapshot does not hold {self.k} fold models")
            nw, no = len(resume.weights) // self.k, len(resume.optimizer) // self.k
            parts = [
                Snapshot(
                    resume.config_key,
                    resume.epochs,
                    resume.weights[i * nw : (i + 1) * nw],
                    resume.optimizer[i * no : (i + 1) * no],
                )
                for i in range(self.k)
            ]
        sessions = [
            trainer.open(config, config_key, seed_for(seed, "training", fold), parts[fold])
            for fold, trainer in enumerate(self.folds)
        ]
        return KFoldSession(sessions)
