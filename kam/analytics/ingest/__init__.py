"""Import customers and transaction lines into the analytical store: atomic, idempotent, checked.

``importer`` runs an import (read, check, write, in one transaction); ``checks`` and
``validate`` hold the rules and the one statement that runs them; ``stage`` and
``readers`` turn a file into rows; ``load`` writes them and keeps the rollups;
``problems`` is what a refusal reports.
"""

from kam.analytics.ingest.importer import CustomerMirror, import_customers, import_transactions
from kam.analytics.ingest.load import refresh_customer_day, refresh_customer_month
from kam.analytics.ingest.mapping import ColumnMapping, MappingError
from kam.analytics.ingest.problems import ImportRefused, ImportReport, RowProblem

__all__ = [
    "ColumnMapping",
    "CustomerMirror",
    "ImportRefused",
    "ImportReport",
    "MappingError",
    "RowProblem",
    "import_customers",
    "import_transactions",
    "refresh_customer_day",
    "refresh_customer_month",
]
