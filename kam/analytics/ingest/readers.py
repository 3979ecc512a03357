"""Open an import file inside DuckDB, without pulling its rows into Python objects.

CSV files are read with every value as text (the checks cast them, so a bad value is a
reported problem rather than a failed read) and with DuckDB's reject tables collecting
lines that are not CSV-shaped or not UTF-8. Parquet files are read in place. Excel files
are read with python-calamine into one Arrow table and registered with DuckDB; Excel
caps a sheet at about a million rows, so this is bounded.
"""

import csv
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

CSV_SUFFIXES = (".csv", ".txt")
SUFFIXES = (*CSV_SUFFIXES, ".parquet", ".xlsx")

MAX_COLUMNS = 1_000
"""More columns than this in a header is no table kam imports (and would take the reader long)."""
SEPARATORS = (",", ";", "\t", "|")
"""The column separators a CSV file may use (DuckDB sniffs the same candidates)."""
MAX_HEADER_BYTES = 1 << 20

REJECTS_TABLE = "kam_rejects"
REJECTS_SCAN = "kam_rejects_scan"
EXCEL_VIEW = "kam_excel_rows"


class ReadError(Exception):
    """The file cannot be opened as a table at all (wrong suffix, empty, not a spreadsheet...)."""


@dataclass(frozen=True)
class Source:
    """A file opened in a DuckDB connection, ready to be selected from.

    ``relation`` is a SQL FROM item. ``columns`` maps each header to its DuckDB type, in
    file order. ``line_expr`` computes a row's line (or row) number from ``relation``;
    None for CSV files, whose line numbers come from the staging table's row order.
    """

    relation: str
    columns: dict[str, str]
    unit: Literal["line", "row"]
    line_expr: str | None
    is_csv: bool
    path: Path | None = None


def sql_string(value: str) -> str:
    """``value`` as a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_name(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def open_source(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """Describe ``path`` as a DuckDB relation, choosing the reader by its suffix."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ReadError(
            f"cannot import a {suffix or 'suffix-less'} file; "
            "use CSV (.csv, .txt), Parquet (.parquet) or Excel (.xlsx)"
        )
    if not path.is_file():
        raise ReadError(f"no such file: {path}")
    if suffix in CSV_SUFFIXES:
        check_csv_header(path)
        relation = csv_relation(path)
        return Source(relation, _describe(con, relation), "line", None, is_csv=True, path=path)
    if suffix == ".parquet":
        relation = f"read_parquet({sql_string(str(path))}, file_row_number = true)"
        columns = _describe(con, relation)
        columns.pop("file_row_number", None)
        return Source(relation, columns, "row", "file_row_number + 1", is_csv=False)
    con.register(EXCEL_VIEW, read_excel(path))
    columns = _describe(con, EXCEL_VIEW)
    columns.pop("__row", None)
    return Source(EXCEL_VIEW, columns, "row", "__row", is_csv=False)


def check_csv_header(path: Path, max_columns: int = MAX_COLUMNS) -> None:
    """Refuse, from the first line alone, an empty file or a header no table has.

    Reading the header before DuckDB does keeps a pathological file (a million columns,
    one endless line, binary data) from costing the reader minutes and memory.
    """
    with path.open("rb") as handle:
        head = handle.read(MAX_HEADER_BYTES + 1)
    if not head:
        raise ReadError("the file is empty (a header line is required)")
    if b"\x00" in head.split(b"\n", 1)[0]:
        raise ReadError("the header line contains NUL bytes: this is not a CSV text file")
    end = head.find(b"\n")
    carriage = head.find(b"\r")
    if carriage >= 0 and (end < 0 or carriage < end - 1):
        raise ReadError(
            "the lines of the file end with a carriage return (CR) alone, as on old Macs: "
            "save it with Windows (CRLF) or Unix (LF) line endings and import it again"
        )
    if end < 0 and len(head) > MAX_HEADER_BYTES:
        raise ReadError(
            f"the header line is longer than {MAX_HEADER_BYTES // (1 << 20)} MB: "
            "this is not a CSV file kam can import"
        )
    try:
        line = head[: end if end >= 0 else len(head)].decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReadError(
            "the header line is not UTF-8 text: this is not a CSV file, or it was saved in "
            "another encoding (save it as UTF-8 and import it again)"
        ) from None
    line = line.rstrip("\r")
    if not any(sep in line for sep in SEPARATORS) and re.search(r"\S\s{2,}\S", line):
        raise ReadError(
            "the header has no comma, semicolon, tab or bar between its columns, only "
            f"spaces ({line[:80]!r}): save the file as CSV and import it again"
        )
    fields = next(csv.reader([line], delimiter=_delimiter(line)), [])
    if len(fields) > max_columns:
        raise ReadError(
            f"the header has {len(fields):,} columns; kam reads files of at most "
            f"{max_columns:,} columns"
        )


def _delimiter(line: str) -> str:
    """The likeliest separator of a header line (DuckDB sniffs the same candidates)."""
    return max(SEPARATORS, key=line.count)


def csv_relation(path: Path, types: Mapping[str, str] | None = None) -> str:
    """The read_csv call for ``path``.

    Without ``types``: every column as text, and lines the reader cannot take (wrong field
    count, bad encoding) land in the rejects table with their line numbers. With ``types``
    (the first-import fast path): columns typed as given, and no rejects table, so a bad
    line stops the read with an error instead; DuckDB reads a file in parallel only when
    it does not collect rejects.
    """
    if types is None:
        return (
            f"read_csv({sql_string(str(path))}, all_varchar = true, header = true, "
            f"store_rejects = true, rejects_table = '{REJECTS_TABLE}', "
            f"rejects_scan = '{REJECTS_SCAN}')"
        )
    pairs = ", ".join(f"{sql_string(k)}: {sql_string(v)}" for k, v in types.items())
    return f"read_csv({sql_string(str(path))}, types = {{{pairs}}}, header = true)"


def _describe(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    except duckdb.Error as error:
        if "sniffing" in str(error):
            raise ReadError(
                "cannot read the file as CSV: no consistent separator and columns found"
            ) from error
        raise ReadError(_first_line(str(error))) from error
    return {str(name): str(type_) for name, type_, *_ in rows}


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unreadable file"


def read_excel(path: Path) -> pa.Table:
    """The first sheet of a workbook as an Arrow table of text, plus its Excel row numbers.

    The first non-empty row is the header; blank rows are skipped. Numbers that are whole
    are written without ``.0`` (ids typed into Excel become numbers), dates as ISO text.
    """
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.iter_rows()
        header: list[str] | None = None
        cells: list[list[str | None]] = []
        row_numbers: list[int] = []
        for index, raw in enumerate(rows):
            values = [_cell_text(value) for value in raw]
            if not any(value is not None for value in values):
                continue
            if header is None:
                header = _unique_headers(values)
                cells = [[] for _ in header]
                continue
            row_numbers.append(index + 1)  # calamine yields rows from the sheet's first row
            for column, value in zip(cells, values, strict=False):
                column.append(value)
            for column in cells[len(values) :]:
                column.append(None)
    except (CalamineError, ValueError, OSError) as error:  # zip/xml damage, not a workbook
        raise ReadError(f"not a readable Excel workbook: {error}") from error
    if header is None:
        raise ReadError("the first sheet is empty (a header row is required)")
    arrays = {
        name: pa.array(column, pa.string()) for name, column in zip(header, cells, strict=True)
    }
    arrays["__row"] = pa.array(row_numbers, pa.int64())
    return pa.table(arrays)


def _cell_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _unique_headers(values: list[str | None]) -> list[str]:
    seen: set[str] = set()
    headers = []
    for index, value in enumerate(values, start=1):
        name = (value or f"column{index}").strip()
        while name in seen:
            name = f"{name}_{index}"
        seen.add(name)
        headers.append(name)
    return headers
