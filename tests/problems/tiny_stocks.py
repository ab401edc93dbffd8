"""Tiny problems for the tests, in a problem file as a user's own would be.

Matrices name it in an entry's ``module``; table recordings in ``TabulateJob``'s
``problem_module``; nothing registers it anywhere.
"""

from __future__ import annotations

from tunebench.datasets.stocks import StocksMLP
from tunebench.strategies.space import Categorical, SearchSpace


class TinyStocks(StocksMLP):
    """stocks-mlp with a 4-config table grid (2 widths x 2 learning rates)."""

    name = "tiny-stocks"

    def table_space(self) -> SearchSpace:
        return SearchSpace(
            [
                Categorical("n_layers", (1,)),
                Categorical("units_1", (8, 16)),
                Categorical("optimizer", ("adam",)),
                Categorical("learning_rate", (0.01, 0.1)),
                Categorical("batch_size", (64,)),
            ]
        )


class TinyStocksB(TinyStocks):
    """The same grid under a second name (a second problem of a report)."""

    name = "tiny-stocks-b"
