"""A typed hyperparameter search space shared by every strategy.

A :class:`SearchSpace` is an ordered tuple of parameters (:class:`Int`, :class:`Float`,
:class:`Categorical`). A parameter may carry a :class:`Condition` on a parameter defined
earlier; it is *active* only when that parent is active and takes one of the listed values.
A config holds exactly the active parameters.

The same space is translated for each backend: Optuna distributions and define-by-run
suggestions, keras-tuner ``HyperParameters`` (with conditional scopes), and a finite grid
(used by grid search and by replay mode, see :meth:`SearchSpace.with_grid`).

The package holds one module per job, imported one way (``params`` <- ``unit``,
``convert`` <- ``search_space``; ``sampling`` on top):

* :mod:`~tunebench.strategies.space.params`: the parameters and their conditions;
* :mod:`~tunebench.strategies.space.unit`: a value's position in [0, 1] and the value at a
  position, the one common scale of every parameter;
* :mod:`~tunebench.strategies.space.convert`: the translations into the libraries' terms;
  the space's methods of the same names call them;
* :mod:`~tunebench.strategies.space.search_space`: :class:`SearchSpace` and
  :class:`InvalidConfigError`;
* :mod:`~tunebench.strategies.space.sampling`: space-filling samples of a whole space.

This package re-exports the public names of the first three. Importing it does not import
TensorFlow or Keras; keras-tuner is imported only inside
:func:`~tunebench.strategies.space.convert.to_keras_tuner`.

Example:
    An MLP whose layer widths depend on its depth:

    >>> space = SearchSpace(
    ...     [
    ...         Int("n_layers", 1, 3),
    ...         Int("units_1", 4, 128, log=True),
    ...         Int("units_2", 4, 128, log=True, condition=Condition("n_layers", (2, 3))),
    ...         Int("units_3", 4, 128, log=True, condition=Condition("n_layers", (3,))),
    ...         Categorical("optimizer", ("adam", "rmsprop", "sgd")),
    ...         Float("learning_rate", 1e-4, 1e-1, log=True),
    ...         Categorical("batch_size", (32, 64, 128, 256)),
    ...     ]
    ... )
    >>> space.defaults()["units_1"], space.active_names({"n_layers": 2})[:3]
    (23, ['n_layers', 'units_1', 'units_2'])
    >>> space["units_1"].grid_values()
    (4, 8, 16, 32, 64, 128)
    >>> space.grid_size()  # (6 + 6**2 + 6**3) widths x 3 optimizers x 4 rates x 4 sizes
    12384
"""

from __future__ import annotations

from tunebench.strategies.space.params import Categorical, Condition, Float, Int, Param
from tunebench.strategies.space.search_space import InvalidConfigError, SearchSpace

__all__ = [
    "Categorical",
    "Condition",
    "Float",
    "Int",
    "InvalidConfigError",
    "Param",
    "SearchSpace",
]
