"""One colour per strategy, the same in every figure of a report.

Colours are assigned by the sorted strategy labels of the whole matrix, so a label gets
the same colour in every figure, whatever subset a figure shows. Up to 10 labels use
seaborn's colour-blind-safe ``colorblind`` palette, up to 20 ``tab20``, more ``husl``.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["Palette", "line_styles", "strategy_palette"]

Colour = tuple[float, float, float]
Dash = tuple[float, tuple[float, ...]]
# matplotlib dash patterns, cycled with the colours so identical curves stay distinguishable
DASHES: tuple[Dash, ...] = ((0, ()), (0, (5, 2)), (0, (1, 1.5)), (0, (6, 2, 1, 2)))
Palette = dict[str, Colour]


def strategy_palette(labels: Iterable[str]) -> Palette:
    """Map each strategy label to a colour by its position in sorted order.

    Args:
        labels: Every strategy label of the matrix (duplicates are ignored).

    Returns:
        Label -> RGB triple in 0..1.
    """
    import seaborn as sns

    ordered = sorted(set(labels))
    n = len(ordered)
    if n <= 10:
        colours = sns.color_palette("colorblind", 10)
    elif n <= 20:
        colours = sns.color_palette("tab20", 20)
    else:
        colours = sns.color_palette("husl", n)
    palette: Palette = {}
    for i, label in enumerate(ordered):
        r, g, b = colours[i][:3]
        palette[label] = (float(r), float(g), float(b))
    return palette


def line_styles(labels: Iterable[str]) -> dict[str, Dash]:
    """Map each strategy label to a dash pattern by its position in sorted order.

    Two strategies whose curves coincide (e.g. TPE during its random start-up) would
    hide each other in colour alone; the dash pattern keeps both visible.
    """
    return {label: DASHES[i % len(DASHES)] for i, label in enumerate(sorted(set(labels)))}
