"""Invoice and credit-note lines for the demo customers, drawn in whole arrays at once.

Each customer orders on business days at a rate that follows its archetype (trend, start,
stop) and the season; each order comes from one of its sites and has several lines, whose
categories follow what that site buys. A small share of lines is later credited.

Two cadences: ``Cadence.RANDOM`` (the demo company) draws order days as a Poisson process
whose rate carries the trend; ``Cadence.REGULAR`` (the steady-buyer data set,
``steady.py``) has every customer order on its own fixed rhythm, a few days early or late,
as replenishment buyers do, and carries the trend in the size of the orders.
"""

from datetime import date
from enum import StrEnum

import numpy as np
import pyarrow as pa

from kam.analytics.demo.customers import CustomerBook
from kam.analytics.demo.vocabulary import CATEGORIES, MONTH_SEASONALITY, REGIONS, SITE_KINDS
from kam.analytics.schema import TRANSACTION_COLUMNS, DocumentType

MAX_SITES = 6
CREDITED_LINE_SHARE = 0.012  # share of invoice lines later (partly) credited
PRICE_INFLATION = 0.03  # yearly list-price increase; list prices are those at the end date
_CHUNK = 512  # customers per block when drawing order days (bounds memory to ~5 MB/year)
_COUNTRIES = tuple(country for region in REGIONS for country in region.countries)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class Cadence(StrEnum):
    """How a customer's order days follow one another."""

    RANDOM = "random"  # a Poisson process: any business day, the rate following the trend
    REGULAR = "regular"  # a fixed rhythm, a few days either way: the trend is in the orders


def generate_transactions(
    rng: np.random.Generator,
    book: CustomerBook,
    start: date,
    days: int,
    cadence: Cadence = Cadence.RANDOM,
) -> pa.Table:
    """Invoice lines (and the credit notes reversing some) for ``days`` days from ``start``."""
    site_names, site_offset, site_count, site_choice, site_mix = _sites(rng, book)

    if cadence is Cadence.REGULAR:
        customer, day = _regular_order_days(rng, book, start, days)
    else:
        customer, day = _order_days(rng, book, start, days)
    chrono = np.lexsort((customer, day))
    customer, day = customer[chrono], day[chrono]
    orders = len(customer)
    draw = rng.random(orders)[:, None]
    local_site = np.minimum((draw > site_choice[customer]).sum(axis=1), site_count[customer] - 1)
    site = site_offset[customer] + local_site
    typical_order = book.size / book.orders_per_year
    spread = 0.5 if cadence is Cadence.RANDOM else 0.25  # a regular buyer's orders vary less
    order_value = typical_order[customer] * rng.lognormal(-(spread**2) / 2, spread, orders)
    if cadence is Cadence.REGULAR:
        years = (day + 0.5 - days / 2.0) / 365.25  # centred, as the size is mid-period
        order_value *= np.exp(book.growth[customer] * years)
    lines_in_order = 1 + rng.poisson(book.lines_per_order[customer] - 1.0)

    order = np.repeat(np.arange(orders), lines_in_order)
    line_no = (
        np.arange(len(order))
        - np.repeat(np.cumsum(lines_in_order) - lines_in_order, lines_in_order)
        + 1
    )
    line_customer = customer[order]
    line_day = day[order]
    line_site = site[order]
    lines = len(order)

    category = _pick(rng, site_mix[line_site])
    typical_line = typical_order / book.lines_per_order
    product = _products(rng, typical_line, line_customer, category)
    years_to_end = (line_day - (days - 1)) / 365.25
    list_price = _PRICE[product] * np.exp(PRICE_INFLATION * years_to_end)
    net_price = list_price * (1.0 - book.discount[line_customer])
    # A regular buyer's orders repeat the same items, so its lines vary less too.
    line_spread = 0.7 if cadence is Cadence.RANDOM else 0.35
    value = (
        order_value[order]
        / lines_in_order[order]
        * rng.lognormal(-(line_spread**2) / 2, line_spread, lines)
    )
    quantity = np.maximum(1.0, np.round(value / net_price))
    unit_cost = list_price * (1.0 - _MARGIN[product]) * rng.normal(1.0, 0.015, lines)
    revenue = np.round(quantity * net_price, 2)
    cost = np.round(quantity * unit_cost, 2)

    picked, credit_day, returned, note, note_line = _credit_notes(
        rng, order, line_no, line_day, quantity, start, days
    )

    def both(invoiced: np.ndarray, credit: np.ndarray) -> np.ndarray:
        return np.concatenate([invoiced, credit])

    is_credit = both(np.zeros(lines, bool), np.ones(len(picked), bool))
    document = both(order, note)
    number = both(line_no, note_line)
    all_day = both(line_day, credit_day)
    final = np.lexsort((number, document, is_credit, all_day))
    invoice_ids = _numbered("INV-", orders)
    credit_ids = _numbered("CN-", int(note[-1]) + 1 if len(note) else 0)
    document_id = pa.concat_arrays([invoice_ids.take(order), credit_ids.take(note)])
    customer_ids = pa.array(book.ids, pa.string())
    product_names = pa.array([name for c in CATEGORIES for name, _ in c.products], pa.string())
    category_names = pa.array([c.name for c in CATEGORIES], pa.string())
    kinds = pa.array(
        [t.value for t in (DocumentType.INVOICE, DocumentType.CREDIT_NOTE)], pa.string()
    )

    idx = pa.array(final)
    columns = {
        "invoice_id": document_id.take(idx),
        "line_id": pa.array(np.arange(int(number.max(initial=0)) + 1).astype(str)).take(
            pa.array(number[final])
        ),
        "customer_id": customer_ids.take(
            pa.array(both(line_customer, line_customer[picked])[final])
        ),
        "date": pa.array(all_day[final] + (start.toordinal() - _EPOCH_ORDINAL), pa.int32()).cast(
            pa.date32()
        ),
        "product": product_names.take(pa.array(both(product, product[picked])[final])),
        "category": category_names.take(pa.array(both(category, category[picked])[final])),
        "business_unit": pa.array(site_names, pa.string()).take(
            pa.array(both(line_site, line_site[picked])[final])
        ),
        "quantity": pa.array(both(quantity, -returned)[final], pa.float64()),
        "revenue": pa.array(
            both(revenue, -np.round(returned * net_price[picked], 2))[final], pa.float64()
        ),
        "cost": pa.array(
            both(cost, -np.round(returned * unit_cost[picked], 2))[final], pa.float64()
        ),
        "document_type": kinds.take(pa.array(is_credit[final].astype(np.int8))),
    }
    return pa.table({c.name: columns[c.name] for c in TRANSACTION_COLUMNS})


def _credit_notes(
    rng: np.random.Generator,
    order: np.ndarray,
    line_no: np.ndarray,
    line_day: np.ndarray,
    quantity: np.ndarray,
    start: date,
    days: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A few invoice lines come back, wholly or in part, some days after the invoice.

    Returns the credited invoice lines, the credit-note day and returned quantity of
    each, and each one's credit note (0, 1, ... in date order) and line within it. The
    lines of one invoice credited together share a credit note.
    """
    credited = rng.random(len(order)) < CREDITED_LINE_SHARE
    delay = rng.integers(3, 45, int(order.max(initial=-1)) + 1)[order[credited]]
    credit_day = _next_business_day(line_day[credited] + delay, start)
    keep = credit_day < days
    picked = np.flatnonzero(credited)[keep]
    credit_day = credit_day[keep]
    returned = np.ceil(quantity[picked] * rng.uniform(0.25, 1.0, len(picked)))
    by_date = np.lexsort((line_no[picked], order[picked], credit_day))
    picked, credit_day, returned = picked[by_date], credit_day[by_date], returned[by_date]
    new_note = np.diff(order[picked], prepend=-1) != 0
    note = np.cumsum(new_note) - 1
    note_line = np.arange(len(picked)) - np.flatnonzero(new_note)[note] + 1
    return picked, credit_day, returned, note, note_line


def _sites(
    rng: np.random.Generator, book: CustomerBook
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each customer's 1–6 business units, how often each orders, and what each buys.

    Returns the site names (all customers' sites, in customer order), each customer's
    first site and site count, the cumulative ordering weights per customer, and the
    cumulative category mix per site.
    """
    count = len(book.size)
    relative = np.log(book.size / np.median(book.size))
    site_count = np.clip(1 + rng.poisson(np.clip(0.8 + 0.6 * relative, 0.1, 6.0)), 1, MAX_SITES)
    cities = np.array([c.cities for c in _COUNTRIES], dtype=object)  # (countries, 4)
    kinds = np.array(SITE_KINDS, dtype=object)
    # every "<kind> <city>" of the customer's country, shuffled; site 0 is the headquarters
    combos = rng.random((count, len(SITE_KINDS) * cities.shape[1])).argsort(axis=1)[
        :, : MAX_SITES - 1
    ]
    kind, city = np.divmod(combos, cities.shape[1])
    names = np.empty((count, MAX_SITES), dtype=object)
    home = cities[book.country, rng.integers(0, cities.shape[1], count)]
    names[:, 0] = "HQ " + home
    names[:, 1:] = kinds[kind] + " " + cities[book.country[:, None], city]
    present = np.arange(MAX_SITES)[None, :] < site_count[:, None]
    site_names = names[present]
    site_offset = np.cumsum(site_count) - site_count

    weight = np.where(present, rng.gamma(1.0, 1.0, (count, MAX_SITES)), 0.0)
    weight[:, 0] += 1.0  # headquarters order more than any one plant
    site_choice = np.cumsum(weight, axis=1) / weight.sum(axis=1, keepdims=True)

    # A site buys a subset of its customer's categories: the whitespace between sites.
    owner = np.repeat(np.arange(count), site_count)
    mix = book.category_mix[owner]
    keeps = (rng.random(mix.shape) < 0.65) | (site_offset[owner] == np.arange(len(owner)))[:, None]
    site_mix = np.where(keeps, mix, 0.0)
    empty = site_mix.sum(axis=1) == 0
    site_mix[empty] = mix[empty]
    return site_names, site_offset, site_count, site_choice, site_mix


def _order_days(
    rng: np.random.Generator, book: CustomerBook, start: date, days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Customer and day of every order: business days, seasonal, following each life cycle."""
    calendar = np.datetime64(start, "D") + np.arange(days)
    month = calendar.astype("datetime64[M]").astype(np.int64) % 12
    weekday = (calendar.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    day_weight = np.array(MONTH_SEASONALITY)[month] * (weekday < 5) * 7.0 / 5.0
    years = (np.arange(days) + 0.5 - days / 2.0) / 365.25  # centred: size is mid-period

    customers, order_days = [], []
    for first in range(0, len(book.size), _CHUNK):
        block = slice(first, first + _CHUNK)
        elapsed = np.arange(days)[None, :] - book.first_day[block, None]
        active = (elapsed >= 0) & (np.arange(days)[None, :] <= book.last_day[block, None])
        ramp = 1.0 - np.exp(-np.maximum(elapsed, 0) / 45.0)  # newcomers take a while
        ramp[book.first_day[block] == 0] = 1.0
        rate = np.exp(book.growth[block, None] * years[None, :]) * day_weight * active * ramp
        total = rate.sum(axis=1)
        n = rng.poisson(book.orders_per_year[block] * total / 365.25)
        n[total == 0] = 0
        curve = np.cumsum(rate, axis=1) / np.where(total > 0, total, 1.0)[:, None]
        curve[:, -1] = 1.0
        # One sorted array for the whole block: row r's curve shifted up by r.
        rows = np.repeat(np.arange(len(n)), n)
        flat = (curve + np.arange(len(n))[:, None]).ravel()
        position = np.searchsorted(flat, rows + (1.0 - rng.random(len(rows))), side="left")
        customers.append(rows + first)
        order_days.append(np.minimum(position - rows * days, days - 1))
    return np.concatenate(customers), np.concatenate(order_days)


def _regular_order_days(
    rng: np.random.Generator, book: CustomerBook, start: date, days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Customer and day of every order on each customer's own rhythm.

    A customer orders every 365.25 / orders_per_year days from a random phase, each order a
    few days early or late (a tenth of the interval), on the next business day; one order
    in fifty is skipped. Newcomers start at their first day, churners stop after their last.
    """
    interval = 365.25 / book.orders_per_year
    phase = book.first_day + rng.uniform(0.0, interval)
    count = np.floor((days - phase) / interval).astype(np.int64) + 1
    count = np.maximum(count, 0)
    customer = np.repeat(np.arange(len(interval)), count)
    k = np.arange(len(customer)) - np.repeat(np.cumsum(count) - count, count)
    jitter = rng.normal(0.0, 0.1, len(customer)) * interval[customer]
    day = np.round(phase[customer] + k * interval[customer] + jitter).astype(np.int64)
    day = _next_business_day(np.maximum(day, book.first_day[customer]), start)
    keep = (day <= book.last_day[customer]) & (day < days) & (rng.random(len(day)) >= 0.02)
    return customer[keep], day[keep]


def _products(
    rng: np.random.Generator, typical_line: np.ndarray, customer: np.ndarray, category: np.ndarray
) -> np.ndarray:
    """A product per line: small accounts rarely buy items priced far above their usual line."""
    price = np.zeros((len(CATEGORIES), _WIDEST))
    price[_PRODUCT_CATEGORY, _PRODUCT_SLOT] = _PRICE
    listed = price > 0
    affordable = np.minimum(1.0, typical_line[:, None, None] / np.where(listed, price, 1.0))
    weight = np.where(listed[None], _POPULARITY * affordable, 0.0)  # (customers, categories, slots)
    slot = _pick(rng, weight[customer, category])
    return _FIRST_PRODUCT[category] + slot


def _pick(rng: np.random.Generator, weight: np.ndarray) -> np.ndarray:
    """One column index per row, drawn in proportion to the row's weights."""
    cumulative = _cumulative(weight)
    draw = rng.random(len(weight))[:, None]
    return np.minimum((draw > cumulative).sum(axis=1), weight.shape[1] - 1)


def _cumulative(weight: np.ndarray) -> np.ndarray:
    cumulative = np.cumsum(weight, axis=-1) / weight.sum(axis=-1, keepdims=True)
    cumulative[..., -1] = 1.0
    return cumulative


def _next_business_day(day: np.ndarray, start: date) -> np.ndarray:
    weekday = (day + start.weekday()) % 7
    return day + np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))


def _numbered(prefix: str, count: int, width: int = 6) -> pa.Array:
    """``prefix`` + 1..count zero-padded, e.g. INV-000001; index 0 holds number 1."""
    if count == 0:
        return pa.array([], pa.string())
    numbers = np.arange(1, count + 1).astype(str)
    return pa.array(np.char.add(prefix, np.char.zfill(numbers, max(width, len(str(count))))))


_WIDEST = max(len(c.products) for c in CATEGORIES)
_PRODUCT_CATEGORY = np.array([k for k, c in enumerate(CATEGORIES) for _ in c.products])
_PRODUCT_SLOT = np.array([s for c in CATEGORIES for s in range(len(c.products))])
_FIRST_PRODUCT = np.cumsum([len(c.products) for c in CATEGORIES]) - [
    len(c.products) for c in CATEGORIES
]
_PRICE = np.array([price for c in CATEGORIES for _, price in c.products])
_MARGIN = np.array([c.list_margin for c in CATEGORIES for _ in c.products])
# Cheaper items are bought more often; popularity falls with the slot in the catalogue.
_POPULARITY = 1.0 / (1.0 + 0.3 * np.arange(_WIDEST))
