"""Split helpers shared by the problems: fixed splits and constant-predictor baselines."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "SPLIT_SEED",
    "class_counts",
    "majority_baseline",
    "stratified_sizes",
    "stratified_split",
]

SPLIT_SEED = 20240607
"""Seed of every fixed shuffled split. A constant: the split belongs to the problem, never
to the run seed, so every strategy and seed sees the same rows."""


def stratified_split(
    y: np.ndarray, fractions: tuple[float, float] = (0.70, 0.15), seed: int = SPLIT_SEED
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of a stratified train / validation / test split.

    Each class is shuffled and cut by ``fractions`` (train, validation; test gets the
    rest), rounding per class. Each split's indices are then shuffled, so the first
    ``n`` training rows (a subsample) are close to stratified too.

    Args:
        y: Class labels.
        fractions: Train and validation fractions.
        seed: Seed of the fixed shuffle.

    Returns:
        ``(train, val, test)`` index arrays.
    """
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        n_train = round(len(idx) * fractions[0])
        n_val = round(len(idx) * fractions[1])
        parts[0].append(idx[:n_train])
        parts[1].append(idx[n_train : n_train + n_val])
        parts[2].append(idx[n_train + n_val :])
    train, val, test = (rng.permutation(np.concatenate(p)) for p in parts)
    return train, val, test


def stratified_sizes(
    counts: tuple[int, ...], fractions: tuple[float, float] = (0.70, 0.15)
) -> dict[str, int]:
    """Split sizes :func:`stratified_split` gives for these class counts (without the data)."""
    train = sum(round(c * fractions[0]) for c in counts)
    val = sum(round(c * fractions[1]) for c in counts)
    return {"train": train, "val": val, "test": sum(counts) - train - val}


def class_counts(y: np.ndarray) -> dict[str, int]:
    """Rows per class label, as a JSON-able dict (labels as strings)."""
    labels, counts = np.unique(np.asarray(y), return_counts=True)
    return {str(_py(label)): int(count) for label, count in zip(labels, counts, strict=True)}


def majority_baseline(y_train: np.ndarray, y_val: np.ndarray, y_test: np.ndarray) -> dict[str, Any]:
    """Accuracy of always predicting the training split's most frequent class.

    A strategy's score means little next to 50% on a near-balanced task unless
    this figure sits beside it. Ties go to the smallest label.

    Returns:
        ``majority_class``, ``majority_val_accuracy`` and ``majority_test_accuracy``.
    """
    labels, counts = np.unique(np.asarray(y_train), return_counts=True)
    majority = labels[int(np.argmax(counts))]
    return {
        "majority_class": _py(majority),
        "majority_val_accuracy": float(np.mean(np.asarray(y_val) == majority)),
        "majority_test_accuracy": float(np.mean(np.asarray(y_test) == majority)),
    }


def _py(value: Any) -> Any:
    """A numpy scalar as a Python scalar (whole floats as ints, e.g. label 1.0 -> 1)."""
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
