"""The KPIs of seed 003 ("How to measure KAM performance"): results-driven (revenue growth,
profitability, satisfaction, retention, relationship quality) and process-driven (cost to
serve, product/service mix, account plans in place and their progress, engagement on
cadence, top-management commitment).

Each KPI is a ratio: every account contributes a numerator and a denominator, and a group
(a manager's accounts, a tier, the programme) is the ratio of their sums — so a group's
revenue growth is its revenue's growth, not the mean of its accounts' percentages, and an
account without the data (no meetings rated, no plan actions due) simply adds nothing.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ibis.backends.duckdb import Backend as DuckDBBackend

from kam.analytics.program.pnl import ids_key
from kam.analytics.store import reader_memoised


class Kind(StrEnum):
    """Seed 003's two families of KPI."""

    RESULTS = "results"
    PROCESS = "process"


@dataclass(frozen=True)
class Kpi:
    """One KPI: how it reads, which way is better, and the target it has until set."""

    key: str
    label: str
    kind: Kind
    unit: str
    """"%" for percentages, "/5" for 1–5 means."""
    higher_is_better: bool
    default_target: float
    scale: float
    """Ratio × scale is the figure shown (100 for a percentage)."""
    financial: bool
    meaning: str


KPIS: tuple[Kpi, ...] = (
    Kpi("revenue_growth", "Revenue growth", Kind.RESULTS, "%", True, 5.0, 100, False,
        "Revenue of the last 12 months against the 12 before."),
    Kpi("gross_margin", "Profitability (gross margin)", Kind.RESULTS, "%", True, 25.0, 100, True,
        "Revenue less cost of goods, as a share of revenue, last 12 months."),
    Kpi("satisfaction", "Customer satisfaction", Kind.RESULTS, "/5", True, 4.0, 1, False,
        "Mean rating (1–5) of the meetings held with the account in the last 12 months."),
    Kpi("retention", "Retention", Kind.RESULTS, "%", True, 95.0, 100, False,
        "Of the accounts that bought in the 12 months before, the share still buying."),
    Kpi("relationship_quality", "Relationship quality", Kind.RESULTS, "/5", True, 3.5, 1, False,
        "Mean strength (1–5) of our people's relationships with the account's contacts."),
    Kpi("cost_to_serve", "Cost to serve", Kind.PROCESS, "%", False, 5.0, 100, True,
        "Cost to serve as a share of revenue, last 12 months (imported or estimated)."),
    Kpi("product_mix", "Product/service mix", Kind.PROCESS, "%", True, 50.0, 100, False,
        "Share of the product categories the account bought in the last 12 months."),
    Kpi("plans_in_place", "Account plans in place", Kind.PROCESS, "%", True, 90.0, 100, False,
        "Share of key accounts with an active account plan."),
    Kpi("actions_on_time", "Plan actions done when due", Kind.PROCESS, "%", True, 80.0, 100,
        False, "Of the plan actions due by the date (not cancelled), the share done."),
    Kpi("engagement_on_cadence", "Engagement on cadence", Kind.PROCESS, "%", True, 90.0, 100,
        False, "Share of key accounts with no touchpoint overdue under the cadence policy."),
    Kpi("sponsor_attendance", "Top-management commitment", Kind.PROCESS, "%", True, 50.0, 100,
        False, "Share of the reviews held with sponsored accounts that their sponsor attended."),
)  # fmt: skip
BY_KEY: dict[str, Kpi] = {kpi.key: kpi for kpi in KPIS}


@dataclass(frozen=True)
class Part:
    """What one account adds to a KPI: its numerator and denominator."""

    numerator: float
    denominator: float


def value_of(kpi: Kpi, parts: Iterable[Part | None]) -> float | None:
    """The KPI over ``parts`` (sum of numerators over sum of denominators, × scale); None
    when no part has a positive denominator or the figure is not finite."""
    numerator = denominator = 0.0
    for part in parts:
        if part is None or not (math.isfinite(part.numerator) and math.isfinite(part.denominator)):
            continue
        numerator += part.numerator
        denominator += part.denominator
    if denominator <= 0:
        return None
    value = numerator / denominator * kpi.scale
    return value if math.isfinite(value) else None


class Status(StrEnum):
    """A KPI against its target."""

    ON_TARGET = "on_target"
    BELOW_TARGET = "below_target"
    NO_DATA = "no_data"


def status(kpi: Kpi, value: float | None, target: float) -> Status:
    """On target when the value reaches the target in the better direction."""
    if value is None:
        return Status.NO_DATA
    reached = value >= target if kpi.higher_is_better else value <= target
    return Status.ON_TARGET if reached else Status.BELOW_TARGET


def group_values(
    kpi: Kpi, parts: Mapping[str, Part | None], groups: Mapping[str, str]
) -> dict[str, float | None]:
    """{group: the KPI over its accounts}; ``groups`` maps customer id → group name."""
    members: dict[str, list[Part | None]] = {}
    for customer_id, group in groups.items():
        members.setdefault(group, []).append(parts.get(customer_id))
    return {group: value_of(kpi, found) for group, found in members.items()}


def categories_bought(
    con: DuckDBBackend, start: date, end: date, customer_ids: Sequence[str]
) -> tuple[dict[str, int], int]:
    """({customer id: product categories it bought}, categories anyone bought) over the
    invoice lines dated from ``start`` up to (not including) ``end``; plain SQL, kept per
    reader copy as ``sales_between`` is."""
    inside = (
        "FROM transactions WHERE date >= $start AND date < $end"
        " AND revenue > 0 AND category IS NOT NULL"
    )
    window = {"start": start, "end": end}

    def catalogue() -> int:
        found = con.con.execute(f"SELECT count(DISTINCT category) {inside}", window).fetchone()
        return int(found[0] or 0) if found else 0

    def bought() -> dict[str, int]:
        rows = con.con.execute(
            f"SELECT customer_id, count(DISTINCT category) {inside}"
            " AND customer_id IN (SELECT unnest($ids::VARCHAR[])) GROUP BY customer_id",
            {**window, "ids": list(customer_ids)},
        ).fetchall()
        return {cid: int(count) for cid, count in rows}

    every = reader_memoised(con, f"program_catalogue:{start}:{end}", catalogue)
    if not customer_ids:
        return {}, every
    key = f"program_categories:{start}:{end}:{ids_key(customer_ids)}"
    return dict(reader_memoised(con, key, bought)), every
