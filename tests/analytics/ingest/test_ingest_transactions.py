"""Importing transaction lines: every rule refuses the whole file, and re-imports change nothing."""

from datetime import date, datetime
from pathlib import Path

import pytest

from kam.analytics.ingest import (
    ColumnMapping,
    ImportRefused,
    import_customers,
    import_transactions,
)
from kam.analytics.store import AnalyticsStore

FORMATS = ("csv", "parquet", "xlsx")
HEADER = ("invoice_id", "line_id", "customer_id", "date", "quantity", "revenue", "cost",
          "document_type")  # fmt: skip
GOOD: list[list[str | None]] = [
    ["I1", "1", "C1", "2024-01-05", "2", "100", "60", "invoice"],
    ["I1", "2", "C1", "2024-01-05", "1", "50.5", None, None],
    ["I2", "1", "C2", "2024-02-10", "3", "30", "20", "invoice"],
    ["CN1", "1", "C1", "2024-02-11", "-1", "-50", "-30", "credit_note"],
]


@pytest.fixture
def customers(store: AnalyticsStore, tmp_path: Path) -> AnalyticsStore:
    """The store with customers C1 and C2 imported."""
    path = tmp_path / "customers.csv"
    path.write_text("customer_id,name\nC1,Acme\nC2,Beta\n", encoding="utf-8")
    import_customers(store, path)
    return store


def with_row(index: int, row: list[str | None]) -> list[list[str | None]]:
    rows = [list(r) for r in GOOD]
    rows[index] = row
    return rows


RULES = [
    pytest.param(
        with_row(1, ["I1", "2", "C9", "2024-01-05", "1", "5", None, None]),
        1, "customer_id", "unknown customer 'C9'", id="unknown-customer",
    ),
    pytest.param(
        with_row(2, ["I2", "1", "C2", "2024-13-01", "3", "30", None, None]),
        2, "date", "unparseable date '2024-13-01' (expected YYYY-MM-DD)", id="bad-date",
    ),
    pytest.param(
        with_row(0, ["I1", "1", "C1", "2024-01-05", "two", "100", None, None]),
        0, "quantity", "not a number 'two'", id="non-numeric",
    ),
    pytest.param(
        with_row(0, ["I1", "1", "C1", "2024-01-05", "2", "NaN", None, None]),
        0, "revenue", "not a finite number 'NaN'", id="nan",
    ),
    pytest.param(
        with_row(2, ["I2", "1", "C2", "2024-02-10", "-3", "30", None, "invoice"]),
        2, "quantity", "negative quantity -3 on an invoice line", id="negative-quantity",
    ),
    pytest.param(
        with_row(2, ["I2", "1", "C2", "2024-02-10", "3", "30", None, "refund"]),
        2, "document_type", "unknown document_type 'refund'", id="unknown-document-type",
    ),
    pytest.param(
        with_row(2, ["I1", "1", "C2", "2024-02-10", "3", "30", None, None]),
        2, "line_id", "duplicate line: invoice 'I1' line '1' is already on", id="duplicate-line",
    ),
    pytest.param(
        with_row(3, ["CN1", "1", "C1", None, "-1", "-50", None, "credit_note"]),
        3, "date", "empty required value", id="empty-required",
    ),
]  # fmt: skip


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("rows", "bad_index", "column", "reason"), RULES)
@pytest.mark.parametrize("first_import", [True, False], ids=["into-empty", "into-existing"])
def test_a_bad_row_refuses_the_file_and_changes_nothing(
    customers, write_table, snapshot, location, fmt, rows, bad_index, column, reason, first_import
):
    if not first_import:
        import_transactions(customers, write_table("csv", HEADER, GOOD[:1]))
    before = snapshot()
    path = write_table(fmt, HEADER, rows)

    with pytest.raises(ImportRefused) as refused:
        import_transactions(customers, path)

    report = refused.value.report
    assert report.problem_count == 1, report.problems
    message = str(report.problems[0])
    assert message.startswith(f"{path.name}, {location(fmt, bad_index)}, column {column}: ")
    assert reason in message
    assert path.name in str(refused.value)
    assert snapshot() == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_columns_are_named_with_the_columns_found(customers, write_table, snapshot, fmt):
    before = snapshot()
    header = [h for h in HEADER if h not in ("date", "revenue")]
    rows = [[cell for h, cell in zip(HEADER, row, strict=True) if h in header] for row in GOOD]
    path = write_table(fmt, header, rows)

    with pytest.raises(ImportRefused) as refused:
        import_transactions(customers, path)

    messages = [str(p) for p in refused.value.report.problems]
    assert [p.column for p in refused.value.report.problems] == ["date", "revenue"]
    assert "missing required column date" in messages[0]
    assert "the file has columns: invoice_id, line_id, customer_id, quantity" in messages[0]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("raw", "line", "reason"),
    [
        (b"I2,1,C2,2024-02-10,3\n", 3, "wrong number of fields: expected 8, found 5"),
        (b"I2,1,C2,2024-02-10,3,30,1,invoice,extra\n", 3, "expected 8, found 9"),
        (b"I2,1,C\xe9,2024-02-10,3,30,1,invoice\n", 3, "not UTF-8 text"),
    ],
    ids=["too-few-fields", "too-many-fields", "latin-1"],
)
def test_structural_csv_problems_name_their_line(customers, tmp_path, snapshot, raw, line, reason):
    before = snapshot()
    path = tmp_path / "lines.csv"
    good = b"I1,1,C1,2024-01-05,2,100,60,invoice\n"
    path.write_bytes(",".join(HEADER).encode() + b"\n" + good + raw + good.replace(b"I1", b"I9"))

    with pytest.raises(ImportRefused) as refused:
        import_transactions(customers, path)

    assert str(refused.value.report.problems[0]).startswith(f"lines.csv, line {line}")
    assert reason in str(refused.value.report.problems[0])
    assert snapshot() == before


def test_every_bad_row_is_reported_and_written_to_the_problems_csv(customers, tmp_path):
    path = tmp_path / "many.csv"
    rows = [f"I{i},1,C1,2024-01-{i % 28 + 1:02d},1,10,,invoice" for i in range(1500)]
    rows += [f"B{i},1,C404,not-a-date,1,10,,invoice" for i in range(1200)]
    path.write_text(",".join(HEADER) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    problems_csv = tmp_path / "problems.csv"

    with pytest.raises(ImportRefused) as refused:
        import_transactions(customers, path, problems_csv=problems_csv)

    report = refused.value.report
    assert report.problem_count == 2400
    assert len(report.problems) == 1000
    assert str(report.problems[0]).startswith("many.csv, line 1502, column customer_id")
    written = problems_csv.read_text(encoding="utf-8").splitlines()
    assert written[0] == "file,line,column,reason,value"
    assert len(written) == 2401
    assert written[-1].startswith("many.csv,2701,date,unparseable date 'not-a-date'")


@pytest.mark.parametrize("fmt", FORMATS)
def test_reimporting_the_same_file_changes_nothing(customers, write_table, snapshot, fmt):
    path = write_table(fmt, HEADER, GOOD)
    first = import_transactions(customers, path)
    after_first = snapshot()

    again = import_transactions(customers, path)

    assert (first.inserted, first.updated, first.unchanged) == (4, 0, 0)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert snapshot() == after_first


def test_a_corrected_file_updates_lines_in_place_and_the_rollup_follows(customers, write_table):
    import_transactions(customers, write_table("csv", HEADER, GOOD))
    corrected = with_row(2, ["I2", "1", "C1", "2024-02-10", "3", "45", "20", "invoice"])
    corrected.append(["I3", "1", "C2", "2024-03-01", "1", "7", None, None])

    report = import_transactions(customers, write_table("xlsx", HEADER, corrected))

    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 3)
    with customers.connect(read_only=True) as backend:
        lines = backend.con.execute("SELECT count(*) FROM transactions").fetchone()
        months = backend.con.execute(
            "SELECT customer_id, month, revenue, cost, quantity, lines, orders FROM customer_month "
            "ORDER BY customer_id, month"
        ).fetchall()
    assert lines == (5,)
    assert months == [
        ("C1", date(2024, 1, 1), 150.5, 60.0, 3.0, 2, 1),
        ("C1", date(2024, 2, 1), -5.0, -10.0, 2.0, 2, 1),  # the moved line and a credit note
        ("C2", date(2024, 3, 1), 7.0, None, 1.0, 1, 1),  # C2's February line moved to C1
    ]


def test_a_column_mapping_and_date_format_read_a_foreign_file(customers, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "InvoiceNo;Line;Customer ID;InvoiceDate;Qty;Amount\n"
        "I1;1;C1;05/01/2024;2;100\nI1;2;C2;31/01/2024;1;50\n",
        encoding="utf-8",
    )
    mapping = ColumnMapping.parse(
        ["invoice_id=InvoiceNo", "line_id=Line", "date=InvoiceDate", "quantity=Qty",
         "revenue=Amount", "date_format=%d/%m/%Y"]
    )  # fmt: skip

    report = import_transactions(customers, path, mapping=mapping)

    assert report.inserted == 2
    with customers.connect(read_only=True) as backend:
        dates = backend.con.execute("SELECT date FROM transactions ORDER BY line_id").fetchall()
    assert dates == [(date(2024, 1, 5),), (date(2024, 1, 31),)]


def test_progress_is_reported_up_to_done(customers, write_table):
    first: list[tuple[str, float]] = []
    later: list[tuple[str, float]] = []

    path = write_table("csv", HEADER, GOOD)
    import_transactions(customers, path, progress=lambda s, f: first.append((s, f)))
    import_transactions(customers, path, progress=lambda s, f: later.append((s, f)))

    for seen in (first, later):
        fractions = [fraction for _, fraction in seen]
        assert fractions == sorted(fractions)
        assert seen[-1] == ("done", 1.0)
    # a clean file is read and checked in one pass, into an empty store or not
    for seen in (first, later):
        assert {stage for stage, _ in seen} - {"reading"} == {
            "loading",
            "summarising",
            "writing",
            "done",
        }


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("lines.json", b"{}", "cannot import a .json file"),
        ("empty.csv", b"", "the file is empty"),
        ("broken.xlsx", b"not a zip", "not a readable Excel workbook"),
        (
            "mac.csv",
            b"invoice_id,line_id,customer_id,date,quantity,revenue\rI1,1,C1,2024-03-01,1,9\r",
            "carriage return (CR) alone",
        ),
        (
            "cdnow.txt",
            b" customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n",
            "only spaces",
        ),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(customers, tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(ImportRefused) as refused:
        import_transactions(customers, path, file_label="upload.bin")

    assert str(refused.value.report.problems[0]).startswith("upload.bin: ")
    assert reason in str(refused.value.report.problems[0])


def test_windows_line_endings_import_like_unix_ones(customers, tmp_path):
    path = tmp_path / "windows.csv"
    path.write_bytes(
        b"invoice_id,line_id,customer_id,date,quantity,revenue\r\nI1,1,C1,2024-03-01,2,9.5\r\n"
    )

    report = import_transactions(customers, path)

    assert report.inserted == 1


def test_excel_date_and_number_cells_import_under_a_date_format(customers, tmp_path):
    import openpyxl

    path = tmp_path / "erp.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([])  # a blank first row: the header is the first row with something in it
    sheet.append(["Invoice", "Line", "Customer", "Date", "Qty", "Revenue"])
    sheet.append(["I1", 1, "C1", datetime(2024, 3, 1), 2, 99.5])
    sheet.append(["I1", 2, "C1", "02/03/2024", 1, "x"])
    workbook.save(path)
    mapping = ColumnMapping.parse(
        ["invoice_id=Invoice", "line_id=Line", "customer_id=Customer", "quantity=Qty",
         "date_format=%d/%m/%Y"]
    )  # fmt: skip

    with pytest.raises(ImportRefused) as refused:
        import_transactions(customers, path, mapping=mapping)

    assert [str(p) for p in refused.value.report.problems] == [
        "erp.xlsx, row 4, column Revenue: not a number 'x'"
    ]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (["I2\r\n", "1", "C2", "2024-02-10", "3", "30", None, None], "invoice_id",
         "an id may not contain a line break, tab or other control character: 'I2\\r\\n'"),
        (["I2", "1", "C2", "2024-02-10", "3", "30", None, "inv\x00oice"], "document_type",
         "contains a NUL byte (is this binary data rather than text?)"),
    ],
    ids=["crlf-in-id", "nul-in-text"],
)  # fmt: skip
@pytest.mark.parametrize("first_import", [True, False], ids=["into-empty", "into-existing"])
def test_control_characters_are_refused_on_both_paths(
    customers, write_table, snapshot, fmt, row, column, reason, first_import
):
    if not first_import:
        import_transactions(customers, write_table("csv", HEADER, GOOD[:1]))
    before = snapshot()
    if fmt == "csv" and "\r\n" in row[0]:
        row = [f'"{row[0]}"', *row[1:]]
    path = write_table(fmt, HEADER, with_row(2, row))

    with pytest.raises(ImportRefused) as refused:
        import_transactions(customers, path)

    problems = [p for p in refused.value.report.problems if p.column == column]
    assert reason in [p.reason for p in problems]
    assert snapshot() == before
