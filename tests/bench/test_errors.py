from __future__ import annotations

import pytest

import tunebench.cli as cli
from tunebench.backend import BackendError
from tunebench.datasets.files import DatasetError
from tunebench.errors import TunebenchError, describe_exception
from tunebench.executor import ResultsMismatchError
from tunebench.ledger import BudgetExceeded
from tunebench.matrix import MatrixError
from tunebench.reports.data import NoResultsError, ReportError
from tunebench.results_dir import ResultsFolderError
from tunebench.runner import ProtocolError
from tunebench.strategies.space import InvalidConfigError
from tunebench.table import TableError


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
