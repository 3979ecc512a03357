"""A supplier whose customers order steadily every month: the common B2B case.

Replenishment buyers of a distributor order on a rhythm — the same few days each month —
and hardly any of them stop. That is the case the lifetime-value models find hardest:
every customer buys at about the same rate, so the gamma spread of purchase rates
collapses to a point, and almost nobody drops out, so the dropout distribution runs to its
edge too. kam must then use the models' limits rather than fail (docs/future-value.md).

``generate_steady_company`` builds such a company with the demo's customer master (names,
groups, regions, segments, sizes, discounts, category mix) and its invoice lines, with:

* most customers **steady**: a monthly order, a few days early or late, orders a little
  larger or smaller each time and no trend to speak of;
* a few **growers** and **decliners**, who keep ordering monthly with orders growing
  (+15 to +55% a year) or shrinking (-15 to -40% a year);
* a few who **stop** buying somewhere after the first quarter of the period.

Deterministic for a seed, never the wall clock. ``archetypes`` holds the truth per customer.
"""

from datetime import date

import numpy as np

from kam.analytics.demo.company import DEFAULT_END, DemoCompany, build_company
from kam.analytics.demo.customers import Archetype
from kam.analytics.demo.transactions import Cadence

STEADY_SHARES: dict[Archetype, float] = {
    Archetype.STEADY: 0.82,
    Archetype.GROWER: 0.06,
    Archetype.DECLINER: 0.06,
    Archetype.CHURNER: 0.06,
}
"""Share of customers in each archetype of the steady-buyer company (no newcomers)."""

ORDERS_PER_YEAR = 12.0


def generate_steady_company(
    seed: int = 7, customers: int = 2000, years: int = 3, end: date = DEFAULT_END
) -> DemoCompany:
    """A company of ``customers`` monthly buyers over ``years`` up to ``end`` (see above).

    About 12 invoices a year per customer, several lines each: roughly 200 lines per
    customer over three years.
    """
    rng = np.random.default_rng([seed, 2])  # not the demo company's stream for this seed
    return build_company(
        rng,
        customers,
        years,
        end,
        shares=STEADY_SHARES,
        cadence=Cadence.REGULAR,
        orders_per_year=ORDERS_PER_YEAR,
    )
