from __future__ import annotations

import doctest
import os
import subprocess
import sys

import tunebench.strategies.space as space_module

# --- module hygiene ----------------------------------------------------------------------------


def test_import_does_not_pull_tensorflow_or_keras() -> None:
    code = (
        "import sys\n"
        "import tunebench.strategies.space\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('tensorflow', 'keras', 'keras_tuner'))\n"
        "print(heavy)"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]"


def test_module_docstring_example() -> None:
    result = doctest.testmod(space_module, raise_on_error=False)
    assert result.attempted >= 3 and result.failed == 0


def test_public_names() -> None:
    assert space_module.__all__ == [
        "Categorical",
        "Condition",
        "Float",
        "Int",
        "InvalidConfigError",
        "Param",
        "SearchSpace",
    ]
    assert all(hasattr(space_module, name) for name in space_module.__all__)
