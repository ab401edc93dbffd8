from __future__ import annotations

import pytest

import tunebench.cli.commands as cli
from tunebench.curves.table import TableError
from tunebench.datasets.files import DatasetError
from tunebench.errors import TunebenchError, describe_exception, one_line
from tunebench.execution.keras_env import BackendError
from tunebench.execution.matrix_runner import ResultsMismatchError
from tunebench.matrix.schema import MatrixError
from tunebench.records.layout import ResultsFolderError
from tunebench.reports.inputs.load import NoResultsError, ReportError
from tunebench.run.execute import ProtocolError
from tunebench.run.ledger import BudgetExceeded
from tunebench.strategies.space import InvalidConfigError


@pytest.mark.parametrize(
    "cls",
    [BackendError, DatasetError, ResultsMismatchError, BudgetExceeded, ProtocolError,
     ReportError, NoResultsError, ResultsFolderError, TableError, InvalidConfigError],
)  # fmt: skip
def test_every_user_facing_error_derives_from_the_one_base(cls: type) -> None:
    assert issubclass(cls, TunebenchError) and cls.exit_code in (1, 2)
    assert issubclass(MatrixError, TunebenchError)


def test_main_turns_any_tunebench_error_into_one_line_and_its_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken() -> None:
        raise ProtocolError("strategy 'x' broke\nthe protocol")

    monkeypatch.setattr(cli, "app", broken)
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == ProtocolError.exit_code == 1
    assert capsys.readouterr().err == "tunebench: error: strategy 'x' broke the protocol\n"


@pytest.mark.parametrize(
    ("exc", "text"),
    [(MemoryError(), "MemoryError"), (ValueError(" \n "), "ValueError"),
     (RuntimeError("first\nsecond"), "RuntimeError: first")],
)  # fmt: skip
def test_describe_exception_never_fails(exc: BaseException, text: str) -> None:
    assert describe_exception(exc) == text


@pytest.mark.parametrize(
    ("value", "limit", "text"),
    [(ValueError("a\n  b\tc "), None, "a b c"), (ValueError(" \n "), None, "ValueError"),
     (" \n ", None, ""), (RuntimeError("abcdef"), 3, "abc"), ("x\ny", None, "x y")],
)  # fmt: skip
def test_one_line_folds_whitespace_and_names_a_blank_exception(
    value: object, limit: int | None, text: str
) -> None:
    assert one_line(value, limit) == text
