"""A manager's worklist, *My accounts*: one row per account, its cells from the apps.

The page (``kam.engagement``) lists a manager's accounts; what each row says comes from
columns that apps register when they start, so a later app (health alerts, opportunities)
adds a column, or fills one the page reserves, without the page changing:

    register_column(Column("pipeline", "Open pipeline", 60, open_pipeline_cells))

A column's provider is asked once per page for all its accounts
(``cells(user, customer_ids, today) -> {customer_id: Cell}``) and must answer in a bounded
number of queries. A cell says how much its account needs attention (``attention``, with
the ``reason`` in words): the page sorts its rows by the sum over their cells.

Some columns are *reserved*: the page shows them from the start, each cell "—", until an
app registers a provider under their key (``RESERVED``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any


class Tone(StrEnum):
    """How a cell is coloured: plain, good news, worth a look, act now."""

    PLAIN = ""
    GOOD = "good"
    WARN = "warn"
    ALERT = "alert"


@dataclass(frozen=True)
class Cell:
    """What one column says about one account.

    ``attention`` is 0 when nothing needs doing; 1 means "watch", 2 "act now" (fractions
    order accounts within a level); ``reason`` says why in words. ``series`` draws a small
    trend line beside the text.
    """

    text: str
    note: str = ""
    tone: Tone = Tone.PLAIN
    url: str = ""
    attention: float = 0.0
    reason: str = ""
    series: tuple[float, ...] = ()


EMPTY = Cell("—")
"""A cell with nothing to say (no provider, or nothing known for the account)."""

CellsProvider = Callable[[Any, Sequence[str], date], Mapping[str, Cell]]
"""``cells(user, customer_ids, today)``: the column's cell for each account it knows."""


@dataclass(frozen=True)
class Column:
    """One column of *My accounts*: its key, heading, place (lower first) and provider;
    ``numeric`` right-aligns it."""

    key: str
    label: str
    position: int
    cells: CellsProvider | None = None
    numeric: bool = False


RESERVED: tuple[Column, ...] = (
    Column("pipeline", "Open pipeline", 60, numeric=True),
    Column("whitespace", "Biggest whitespace gap", 70),
)
"""Columns the page shows before an app fills them: the opportunities app's open pipeline
and biggest whitespace gap per account."""

COLUMNS: dict[str, Column] = {column.key: column for column in RESERVED}


def register_column(column: Column) -> None:
    """Add ``column``, or fill (replace) the one registered under its key."""
    COLUMNS[column.key] = column


def columns() -> list[Column]:
    """Every column, in page order."""
    return sorted(COLUMNS.values(), key=lambda column: (column.position, column.key))


@dataclass(frozen=True)
class Row:
    """One account of the worklist: its cells by column key, and how much it needs
    attention (the sum over its cells) with the reasons."""

    customer_id: str
    cells: dict[str, Cell]
    attention: float
    reasons: tuple[str, ...]


def worklist(user: Any, customer_ids: Sequence[str], today: date) -> list[Row]:
    """A row per account with every column's cell, in no particular order (the page sorts)."""
    found: dict[str, dict[str, Cell]] = {customer_id: {} for customer_id in customer_ids}
    for column in columns():
        answers = column.cells(user, customer_ids, today) if column.cells else {}
        for customer_id in customer_ids:
            found[customer_id][column.key] = answers.get(customer_id, EMPTY)
    rows = []
    for customer_id, cells in found.items():
        ranked = sorted(cells.values(), key=lambda cell: -cell.attention)
        rows.append(
            Row(
                customer_id,
                cells,
                attention=sum(cell.attention for cell in cells.values()),
                reasons=tuple(cell.reason for cell in ranked if cell.attention and cell.reason),
            )
        )
    return rows


PanelRenderer = Callable[[Any, Sequence[str]], str]
"""``render(request, customer_ids)``: a block of HTML shown above the worklist's table."""

PANELS: dict[str, PanelRenderer] = {}


def register_panel(key: str, render: PanelRenderer) -> None:
    """Add a block above *My accounts*' table (the health app's alerts, with their forms)."""
    PANELS[key] = render


def panels(request: Any, customer_ids: Sequence[str]) -> list[str]:
    """Each registered block's HTML for the page's accounts, in key order."""
    return [PANELS[key](request, customer_ids) for key in sorted(PANELS)]
