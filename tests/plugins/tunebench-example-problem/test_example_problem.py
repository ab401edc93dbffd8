"""The plug-in's own conformance test: the kit every built-in problem passes."""

from tunebench_example_problem import Spirals

from tunebench.datasets.testing import check_problem


def test_spirals_conforms() -> None:
    check_problem(Spirals)
