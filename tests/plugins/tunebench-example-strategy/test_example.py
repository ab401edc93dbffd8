"""The plug-in's own conformance test: the same suite the built-ins pass."""

from tunebench_example import ExampleStrategy

from tunebench.strategies.testing import check_strategy


def test_example_strategy_conforms() -> None:
    check_strategy(ExampleStrategy)
