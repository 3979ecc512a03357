"""The demo company: a deterministic B2B supplier with customers, invoice lines and staff.

``generate_demo_company(seed)`` always returns the same company for the same seed and end
date (never the wall clock; ``kam demo`` passes ``demo_end(today)``, the last month end
before the day it loads); ``write_demo_files`` writes it as the Parquet files a user
would import. docs/demo.md describes what is inside. ``generate_steady_company`` is the
same kind of supplier whose customers order steadily every month (``steady.py``).
"""

from kam.analytics.demo.company import (
    DemoCompany,
    DemoFiles,
    demo_end,
    generate_demo_company,
    write_demo_files,
)
from kam.analytics.demo.customers import ARCHETYPE_SHARES, Archetype
from kam.analytics.demo.people import DEMO_PASSWORD, DEMO_PEOPLE, DemoPerson
from kam.analytics.demo.steady import STEADY_SHARES, generate_steady_company

__all__ = [
    "ARCHETYPE_SHARES",
    "DEMO_PASSWORD",
    "DEMO_PEOPLE",
    "STEADY_SHARES",
    "Archetype",
    "DemoCompany",
    "DemoFiles",
    "DemoPerson",
    "demo_end",
    "generate_demo_company",
    "generate_steady_company",
    "write_demo_files",
]
