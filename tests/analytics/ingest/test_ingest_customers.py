"""Importing the customer master: hierarchy rules, idempotency, and the mirror's veto."""

from pathlib import Path

import pyarrow as pa
import pytest

from kam.analytics.ingest import ColumnMapping, ImportRefused, MappingError, import_customers
from kam.analytics.store import AnalyticsStore

FORMATS = ("csv", "parquet", "xlsx")
HEADER = ("customer_id", "name", "parent_id", "country", "region", "segment")
GOOD: list[list[str | None]] = [
    ["H1", "Holding One", None, "DE", "EMEA", "Manufacturing"],
    ["S1", "Sub One", "H1", "DE", "EMEA", "Manufacturing"],
    ["S2", "Sub Two", "S1", "FR", "EMEA", None],
]


@pytest.fixture
def stored(store: AnalyticsStore, write_table) -> AnalyticsStore:
    """The store with the GOOD customers and one more, P0, imported."""
    import_customers(store, write_table("csv", HEADER, [["P0", "Parent Zero", None, "", "", ""]]))
    import_customers(store, write_table("csv", HEADER, GOOD))
    return store


def with_rows(*changes: tuple[int, list[str | None]]) -> list[list[str | None]]:
    rows = [list(r) for r in GOOD]
    for index, row in changes:
        if index == len(rows):
            rows.append(row)
        else:
            rows[index] = row
    return rows


RULES = [
    pytest.param(
        with_rows((3, ["H1", "Again", None, None, None, None])),
        3, "customer_id", "duplicate customer_id 'H1' (first on", id="duplicate-id",
    ),
    pytest.param(
        with_rows((1, ["S1", None, "H1", None, None, None])),
        1, "name", "empty required value", id="empty-name",
    ),
    pytest.param(
        with_rows((2, ["S2", "Sub Two", "X9", None, None, None])),
        2, "parent_id", "parent_id 'X9' not found (neither in this file nor imported before)",
        id="parent-not-found",
    ),
    pytest.param(
        with_rows((2, ["S2", "Sub Two", "S2", None, None, None])),
        2, "parent_id", "account 'S2' is its own parent", id="own-parent",
    ),
    pytest.param(
        with_rows((0, ["H1", "Holding One", "S2", None, None, None])),
        0, "parent_id", "hierarchy cycle: H1 -> S2 -> S1 -> H1", id="cycle",
    ),
]  # fmt: skip


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("rows", "bad_index", "column", "reason"), RULES)
def test_a_bad_customer_refuses_the_file_and_changes_nothing(
    stored, write_table, snapshot, location, fmt, rows, bad_index, column, reason
):
    before = snapshot()
    path = write_table(fmt, HEADER, rows)

    with pytest.raises(ImportRefused) as refused:
        import_customers(stored, path)

    problems = [str(p) for p in refused.value.report.problems]
    assert problems[0].startswith(f"{path.name}, {location(fmt, bad_index)}, column {column}: ")
    assert reason in problems[0]
    assert snapshot() == before


def test_a_cycle_through_stored_customers_is_found(stored, write_table, snapshot):
    before = snapshot()
    # P0 is stored without a parent; making it S2's child closes no loop, but making
    # H1 P0's child while P0 becomes S2's child does: H1 -> P0 -> S2 -> S1 -> H1.
    rows = [
        ["P0", "Parent Zero", "S2", None, None, None],
        ["H1", "Holding One", "P0", None, None, None],
    ]

    with pytest.raises(ImportRefused) as refused:
        import_customers(stored, write_table("csv", HEADER, rows))

    reasons = [p.reason for p in refused.value.report.problems]
    assert reasons == [
        "hierarchy cycle: P0 -> S2 -> S1 -> H1 -> P0",
        "hierarchy cycle: H1 -> P0 -> S2 -> S1 -> H1",
    ]
    assert snapshot() == before


def test_too_long_values_are_refused(store, write_table):
    path = write_table("csv", HEADER, [["C1", "N" * 30, None, None, None, None]])

    with pytest.raises(ImportRefused) as refused:
        import_customers(store, path, max_lengths={"name": 20})

    assert "column name: too long: 30 characters (at most 20)" in str(refused.value)


def test_reimport_is_unchanged_and_a_corrected_file_updates_in_place(stored, write_table, snapshot):
    before = snapshot()
    again = import_customers(stored, write_table("parquet", HEADER, GOOD))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert snapshot() == before

    corrected = with_rows((2, ["S2", "Sub Two SARL", "H1", "FR", "EMEA", "Retail"]))
    report = import_customers(stored, write_table("xlsx", HEADER, corrected))

    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2)
    with stored.connect(read_only=True) as backend:
        rows = backend.con.execute("SELECT * FROM customers ORDER BY customer_id").fetchall()
    assert rows == [
        ("H1", "Holding One", None, "DE", "EMEA", "Manufacturing"),
        ("P0", "Parent Zero", None, None, None, None),
        ("S1", "Sub One", "H1", "DE", "EMEA", "Manufacturing"),
        ("S2", "Sub Two SARL", "H1", "FR", "EMEA", "Retail"),
    ]


def test_the_mirror_sees_the_rows_and_its_failure_rolls_the_store_back(
    store, write_table, snapshot
):
    seen: list[pa.RecordBatch] = []

    def failing_mirror(batches: pa.RecordBatchReader) -> None:
        seen.extend(batches)
        raise RuntimeError("operational database is down")

    before = snapshot()
    with pytest.raises(RuntimeError, match="operational database is down"):
        import_customers(store, write_table("csv", HEADER, GOOD), mirror=failing_mirror)

    assert pa.Table.from_batches(seen).column("customer_id").to_pylist() == ["H1", "S1", "S2"]
    assert snapshot() == before


def test_mapping_from_toml_and_pairs(tmp_path: Path):
    toml = tmp_path / "mapping.toml"
    toml.write_text('date_format = "%d.%m.%Y"\n[columns]\nname = "Firma"\n', encoding="utf-8")

    mapping = ColumnMapping.from_toml(toml).merged(ColumnMapping.parse(["customer_id=Kdnr"]))

    assert mapping == ColumnMapping({"name": "Firma", "customer_id": "Kdnr"}, "%d.%m.%Y")
    with pytest.raises(MappingError, match="write it as canonical=Header"):
        ColumnMapping.parse(["customer_id"])


def test_a_mapping_naming_an_unknown_column_is_refused(store, write_table):
    path = write_table("csv", HEADER, GOOD)

    with pytest.raises(ImportRefused) as refused:
        import_customers(store, path, mapping=ColumnMapping.parse(["nmae=Name"]))

    assert "the column mapping names 'nmae', not a customers column" in str(refused.value)
