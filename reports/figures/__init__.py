"""The report's figures, drawn from an analysis, each saved as PNG and SVG.

One module per figure family (curves, scores, cost, evidence, fidelity), the shared look
in :mod:`~tunebench.reports.figures.style`, and :mod:`~tunebench.reports.figures.draw`
draws them all in report order. Strategy colours come from
:mod:`tunebench.reports.analysis.palette`, the same in every figure.
"""
