"""Helpers for the import tests: small files in every format, and snapshots of the store."""

from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kam.analytics.store import AnalyticsStore

Cell = str | None
WriteTable = Callable[[str, Sequence[str], Sequence[Sequence[Cell]]], Path]
Snapshot = Callable[[], dict[str, list[tuple]]]


def _location(fmt: str, index: int) -> str:
    if fmt == "csv":
        return f"line {index + 2}"  # the header is line 1
    if fmt == "xlsx":
        return f"row {index + 2}"  # as Excel numbers it, header in row 1
    return f"row {index + 1}"


@pytest.fixture
def location() -> Callable[[str, int], str]:
    """How a problem names the data row at 0-based ``index`` in a file of format ``fmt``."""
    return _location


@pytest.fixture
def write_table(tmp_path: Path) -> WriteTable:
    """Write ``header`` and ``rows`` (text cells, None for empty) as ``name.<fmt>``."""

    def write(fmt: str, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> Path:
        path = tmp_path / f"upload-{len(list(tmp_path.iterdir()))}.{fmt}"
        if fmt == "csv":
            lines = [",".join(header)]
            lines += [",".join("" if cell is None else cell for cell in row) for row in rows]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        elif fmt == "parquet":
            columns = {name: [row[i] for row in rows] for i, name in enumerate(header)}
            pq.write_table(
                pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()}), path
            )
        else:
            workbook = openpyxl.Workbook()
            sheet = workbook.active
            assert sheet is not None
            sheet.append(list(header))
            for row in rows:
                sheet.append(list(row))
            workbook.save(path)
        return path

    return write


@pytest.fixture
def snapshot(store: AnalyticsStore) -> Snapshot:
    """Every row of the store's tables, sorted: equal snapshots mean nothing changed."""

    def take() -> dict[str, list[tuple]]:
        with store.connect() as backend:
            return {
                table: sorted(backend.con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
                for table in ("customers", "transactions", "customer_month", "customer_day")
            }

    return take
