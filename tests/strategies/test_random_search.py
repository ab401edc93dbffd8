from __future__ import annotations

import numpy as np

from tunebench.datasets.stocks import mlp_space
from tunebench.strategies import BudgetView, Fidelity, Proposal, RandomSearch, TrialResult
from tunebench.strategies.base import TrialStatus

VIEW = BudgetView(used=0.0, total=100.0, remaining_epochs=400, seconds_used=0.0,
                  seconds_total=None)  # fmt: skip


def sample(seed: int, n: int) -> list[Proposal]:
    strategy = RandomSearch()
    strategy.setup(mlp_space(), Fidelity(1, 4), "maximize", seed)
    out = []
    for _ in range(n):
        p = strategy.ask(VIEW)
        assert isinstance(p, Proposal)
        out.append(p)
        strategy.tell(p.trial_id, TrialResult(TrialStatus.COMPLETE, (0.5,) * 4))
    return out


def test_full_evaluations_only() -> None:
    assert {p.target_epochs for p in sample(0, 20)} == {4}
    assert all(p.resume_from is None for p in sample(0, 5))


def test_covers_the_space_uniformly() -> None:
    proposals = sample(11, 300)
    layers = [p.config["n_layers"] for p in proposals]
    assert set(layers) == {1, 2, 3}
    assert {p.config["optimizer"] for p in proposals} == {"adam", "rmsprop", "sgd"}
    # log-uniform learning rate: about half the draws below the geometric middle 10**-2.5
    below = np.mean([p.config["learning_rate"] < 10**-2.5 for p in proposals])
    assert 0.4 < below < 0.6
    # conditional units exist exactly when the layer does
    for p in proposals:
        assert ("units_3" in p.config) == (p.config["n_layers"] == 3)
