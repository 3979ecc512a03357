"""What every command shares: JSON without NaN, whole tables off a terminal, one as-of parser."""

import datetime as dt
import io
import json

import numpy as np
import pytest
import typer
from rich.table import Table

from kam.cli.common import KamConsole, jsonable, number, parse_as_of


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (float("nan"), None),
        (float("inf"), None),
        (-float("inf"), None),
        (np.float64("nan"), None),
        (np.float32(1.5), 1.5),
        (np.int64(7), 7),
        (dt.date(2024, 6, 28), "2024-06-28"),
        ({"clv": float("nan"), "p": [1.0, float("-inf")]}, {"clv": None, "p": [1.0, None]}),
        ((True, None, "x"), [True, None, "x"]),
    ],
)
def test_jsonable_turns_non_finite_numbers_into_null(value, expected):
    assert jsonable(value) == expected
    json.dumps(jsonable(value), allow_nan=False)  # raises on any NaN left


@pytest.mark.parametrize(
    ("value", "text"), [(float("nan"), "—"), (None, "—"), (1234.5, "1,234"), (np.inf, "—")]
)
def test_a_missing_figure_prints_as_a_dash(value, text):
    assert number(value, ",.0f") == text


def _wide_table() -> Table:
    table = Table()
    for index in range(10):
        table.add_column(f"column number {index}")
    table.add_row(*(f"value {index} of a long row" for index in range(10)))
    return table


def test_a_table_written_to_a_file_keeps_every_column(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    out = io.StringIO()
    KamConsole(file=out).print(_wide_table())
    lines = out.getvalue().splitlines()
    assert all(f"column number {i}" in lines[1] for i in range(10))
    assert all(f"value {i} of a long row" in lines[3] for i in range(10))
    assert len(lines) == 5  # top rule, header, rule, one row, bottom rule: nothing wrapped


def test_columns_still_sets_the_width_off_a_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    out = io.StringIO()
    KamConsole(file=out).print(_wide_table())
    assert max(len(line) for line in out.getvalue().splitlines()) <= 100


def test_as_of_is_read_as_an_iso_date_or_refused_by_name():
    assert parse_as_of(" 2024-02-29 ") == dt.date(2024, 2, 29)
    with pytest.raises(typer.BadParameter, match="'2023-02-29' is not a date; use YYYY-MM-DD"):
        parse_as_of("2023-02-29")
