"""The columns of the analytical store's tables, shared by imports, the demo generator and docs.

The store keeps four tables:

- ``customers``: the customer master, mirrored from the operational database so the
  engine can join it to transaction lines.
- ``transactions``: invoice and credit-note lines, append-mostly and scanned, keyed by
  (invoice_id, line_id).
- ``customer_month``: one row per customer and month, kept up to date by every
  transaction import, so per-account features never rescan every line.
- ``customer_day``: one row per customer and day with invoice lines (a purchase occasion
  in the lifetime-value models' sense), kept up to date by the same imports, so the
  future-value step groups purchase days rather than every line.
"""

from dataclasses import dataclass
from enum import StrEnum


class ColumnType(StrEnum):
    """The logical type of an imported column; each maps to one store type."""

    TEXT = "VARCHAR"
    DATE = "DATE"
    NUMBER = "DOUBLE"


@dataclass(frozen=True)
class Column:
    """One column of an importable table: canonical name, type, and whether a file must have it.

    An ``identifier`` is a key other rows and pages refer to (it appears in URLs and
    joins), so it may hold no line break or other control character.
    """

    name: str
    type: ColumnType
    required: bool
    description: str
    identifier: bool = False


class DocumentType(StrEnum):
    """What a transaction line belongs to: an invoice, or a credit note reversing one."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


CUSTOMER_COLUMNS: tuple[Column, ...] = (
    Column("customer_id", ColumnType.TEXT, True, "the customer's id in the source system", True),
    Column("name", ColumnType.TEXT, True, "the customer's name"),
    Column("parent_id", ColumnType.TEXT, False, "customer_id of the parent account, if any", True),
    Column("country", ColumnType.TEXT, False, "country (name or ISO code)"),
    Column("region", ColumnType.TEXT, False, "sales region or geography"),
    Column("segment", ColumnType.TEXT, False, "industry segment"),
)

TRANSACTION_COLUMNS: tuple[Column, ...] = (
    Column("invoice_id", ColumnType.TEXT, True, "invoice, order or credit-note number", True),
    Column("line_id", ColumnType.TEXT, True, "line number within the invoice", True),
    Column(
        "customer_id", ColumnType.TEXT, True, "customer_id of a customer already imported", True
    ),
    Column("date", ColumnType.DATE, True, "invoice date (ISO 8601, YYYY-MM-DD)"),
    Column("product", ColumnType.TEXT, False, "product or SKU"),
    Column("category", ColumnType.TEXT, False, "product category"),
    Column("business_unit", ColumnType.TEXT, False, "the customer's business unit or site"),
    Column("quantity", ColumnType.NUMBER, True, "quantity; negative only on credit notes"),
    Column("revenue", ColumnType.NUMBER, True, "net revenue of the line"),
    Column("cost", ColumnType.NUMBER, False, "cost of goods of the line (for margin)"),
    Column(
        "document_type",
        ColumnType.TEXT,
        False,
        "'invoice' (default) or 'credit_note'",
    ),
)

CUSTOMER_MONTH_COLUMNS: tuple[tuple[str, str], ...] = (
    ("customer_id", "VARCHAR"),
    ("month", "DATE"),
    ("revenue", "DOUBLE"),
    ("cost", "DOUBLE"),
    ("quantity", "DOUBLE"),
    ("lines", "BIGINT"),
    ("orders", "BIGINT"),
    ("first_date", "DATE"),
    ("last_date", "DATE"),
)


CUSTOMER_DAY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("customer_id", "VARCHAR"),
    ("date", "DATE"),
    ("revenue", "DOUBLE"),
    ("lines", "BIGINT"),
)
"""A purchase day: invoice lines only (credit notes are no purchase), revenue summed as is."""


def create_table_sql(table: str, columns: tuple[Column, ...]) -> str:
    """The CREATE TABLE statement for an importable table, every column nullable but keys."""
    body = ", ".join(f"{c.name} {c.type.value}" for c in columns)
    return f"CREATE TABLE IF NOT EXISTS {table} ({body})"


STORE_DDL: tuple[str, ...] = (
    create_table_sql("customers", CUSTOMER_COLUMNS),
    create_table_sql("transactions", TRANSACTION_COLUMNS),
    "CREATE TABLE IF NOT EXISTS customer_month ("
    + ", ".join(f"{name} {type_}" for name, type_ in CUSTOMER_MONTH_COLUMNS)
    + ")",
    "CREATE TABLE IF NOT EXISTS customer_day ("
    + ", ".join(f"{name} {type_}" for name, type_ in CUSTOMER_DAY_COLUMNS)
    + ")",
)
