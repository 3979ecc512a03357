"""The demo customer master: who the customers are, how they are grouped, and how they behave.

Behaviour is drawn here too (account size, life-cycle archetype, discount, buying cadence),
because it belongs to the customer; :mod:`kam.analytics.demo.transactions` turns it into
invoice lines.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np
import pyarrow as pa

from kam.analytics.demo.vocabulary import (
    CATEGORIES,
    GROUP_SUFFIXES,
    NAME_MODIFIERS,
    NAME_STEMS,
    REGIONS,
    SEGMENT_CATEGORY_AFFINITY,
    SEGMENTS,
)
from kam.analytics.schema import CUSTOMER_COLUMNS


class Archetype(StrEnum):
    """The life-cycle story a demo customer follows over the generated years."""

    STEADY = "steady"
    GROWER = "grower"
    DECLINER = "decliner"
    CHURNER = "churner"
    NEWCOMER = "newcomer"


ARCHETYPE_SHARES: dict[Archetype, float] = {
    Archetype.STEADY: 0.44,
    Archetype.GROWER: 0.18,
    Archetype.DECLINER: 0.14,
    Archetype.CHURNER: 0.12,
    Archetype.NEWCOMER: 0.12,
}
"""Share of customers in each archetype; counts are rounded, the remainder is steady."""

GROUP_MEMBER_SHARE = 0.14  # share of customers that belong to a parent/subsidiary group
MEDIAN_ANNUAL_REVENUE = 30_000.0  # run-rate of the median account, in the demo currency
SIZE_SIGMA = 1.65  # log-spread of account size: this gives the 80/20 Pareto curve

_ARCHETYPES = tuple(Archetype)
_COUNTRIES = tuple(country for region in REGIONS for country in region.countries)
_COUNTRY_REGION = np.array([r for r, region in enumerate(REGIONS) for _ in region.countries])


@dataclass(frozen=True)
class CustomerBook:
    """The generated customers: the master table plus the per-customer drivers of buying.

    Every array is indexed like the rows of ``table`` (sorted by customer_id). Days count
    from the first day of the generated period.
    """

    table: pa.Table
    archetype: np.ndarray  # index into Archetype
    country: np.ndarray  # index into the flattened REGIONS countries
    size: np.ndarray  # annual revenue run-rate at the middle of the period
    growth: np.ndarray  # log growth per year
    first_day: np.ndarray  # newcomers start here; 0 for everyone else
    last_day: np.ndarray  # churners stop after this day; the period's last day otherwise
    discount: np.ndarray  # off list price; bigger accounts negotiate more
    orders_per_year: np.ndarray
    lines_per_order: np.ndarray  # mean lines per invoice
    category_mix: np.ndarray  # (customers, categories) share of spend, zero = never bought

    @property
    def ids(self) -> np.ndarray:
        """The customer ids, in row order."""
        return np.asarray(self.table.column("customer_id").to_numpy(zero_copy_only=False))


def generate_customers(
    rng: np.random.Generator,
    count: int,
    days: int,
    shares: Mapping[Archetype, float] = ARCHETYPE_SHARES,
) -> CustomerBook:
    """Draw ``count`` customers: names, hierarchy, geography, segment and buying behaviour.

    ``days`` is the length of the generated period, so life-cycle events fall inside it;
    ``shares`` is the share of customers in each archetype (those left out have none).
    """
    if count < 1:
        raise ValueError("the demo company needs at least one customer")
    sizes_per_group = _group_sizes(rng, count)
    groups = len(sizes_per_group)
    subsidiaries = int(sizes_per_group.sum())
    # Entity order before ids are shuffled: holdings, then subsidiaries, then the rest.
    parent = np.full(count, -1)
    group_of_subsidiary = np.repeat(np.arange(groups), sizes_per_group)
    parent[groups : groups + subsidiaries] = group_of_subsidiary

    segment_weights = np.array([weight for _, weight, _ in SEGMENTS])
    segment = rng.choice(len(SEGMENTS), size=count, p=segment_weights)
    segment[groups : groups + subsidiaries] = segment[group_of_subsidiary]
    country = _countries(rng, count, parent)

    names = _names(rng, segment, country, parent, groups, sizes_per_group)

    group_factor = rng.lognormal(0.5, 0.4, size=groups)  # groups tend to be big accounts
    # Capped at 3.1 sigma so the tail stays a tail: no single customer dwarfs the next ones.
    size = MEDIAN_ANNUAL_REVENUE * np.exp(SIZE_SIGMA * np.clip(rng.normal(size=count), -4, 3.1))
    size[: groups + subsidiaries] *= np.concatenate(
        [group_factor, group_factor[group_of_subsidiary]]
    )

    archetype = _archetypes(rng, count, shares)
    growth, first_day, last_day = _life_cycles(rng, archetype, days)
    relative = np.log(size / MEDIAN_ANNUAL_REVENUE)
    discount = np.clip(0.07 + 0.035 * relative + rng.normal(0.0, 0.04, count), 0.0, 0.25)
    orders_per_year = np.clip(
        13.0 * np.exp(0.42 * relative) * rng.lognormal(0, 0.25, count), 1, 250
    )
    category_mix = _category_mix(rng, segment, relative)
    breadth = (category_mix > 0).sum(axis=1)
    lines_per_order = 1.0 + 1.5 * breadth**0.8 * np.exp(0.1 * relative)

    # Ids are handed out in a shuffled order, so an id says nothing about the hierarchy.
    number = rng.permutation(count)
    width = max(5, len(str(count)))
    ids = np.array([f"C{n + 1:0{width}d}" for n in number])
    parent_ids = np.where(parent >= 0, ids[np.maximum(parent, 0)], None)
    region_names = np.array([region.name for region in REGIONS])
    country_names = np.array([c.name for c in _COUNTRIES])
    segment_names = np.array([name for name, _, _ in SEGMENTS])
    columns = {
        "customer_id": ids,
        "name": names,
        "parent_id": parent_ids,
        "country": country_names[country],
        "region": region_names[_COUNTRY_REGION[country]],
        "segment": segment_names[segment],
    }
    order = np.argsort(number)
    table = pa.table(
        {c.name: pa.array(list(columns[c.name][order]), pa.string()) for c in CUSTOMER_COLUMNS}
    )
    return CustomerBook(
        table=table,
        archetype=archetype[order],
        country=country[order],
        size=size[order],
        growth=growth[order],
        first_day=first_day[order],
        last_day=last_day[order],
        discount=discount[order],
        orders_per_year=orders_per_year[order],
        lines_per_order=lines_per_order[order],
        category_mix=category_mix[order],
    )


def archetype_table(book: CustomerBook, start_ordinal: int) -> pa.Table:
    """Each customer's archetype, with the known truth behind it.

    ``started_on`` is a newcomer's first possible purchase day; ``churned_on`` is the first
    day a churner buys nothing any more (it bought, at most, until the day before).
    """
    names = np.array([a.value for a in _ARCHETYPES])
    newcomer = book.archetype == _ARCHETYPES.index(Archetype.NEWCOMER)
    churner = book.archetype == _ARCHETYPES.index(Archetype.CHURNER)
    epoch = start_ordinal - date(1970, 1, 1).toordinal()  # date32 counts days from 1970
    started = pa.array(book.first_day + epoch, pa.int32(), mask=~newcomer).cast(pa.date32())
    stopped = pa.array(book.last_day + 1 + epoch, pa.int32(), mask=~churner).cast(pa.date32())
    return pa.table(
        {
            "customer_id": pa.array(book.ids, pa.string()),
            "archetype": pa.array(names[book.archetype], pa.string()),
            "started_on": started,
            "churned_on": stopped,
        }
    )


def _group_sizes(rng: np.random.Generator, count: int) -> np.ndarray:
    """Subsidiaries per group (2–6 each), the groups together about GROUP_MEMBER_SHARE."""
    groups = min(round(count * GROUP_MEMBER_SHARE / 5.0), len(NAME_STEMS) // 3)
    sizes = rng.integers(2, 7, size=groups)
    keep = np.cumsum(sizes + 1) <= count  # tiny companies: only the groups that fit
    return sizes[keep]


def _countries(rng: np.random.Generator, count: int, parent: np.ndarray) -> np.ndarray:
    """Country per customer; subsidiaries mostly sit in or near their parent's country."""
    region_weights = np.array([region.weight for region in REGIONS])
    within = np.array([c.weight for c in _COUNTRIES])
    overall = region_weights[_COUNTRY_REGION] * within
    country = rng.choice(len(_COUNTRIES), size=count, p=overall / overall.sum())
    is_subsidiary = parent >= 0
    parent_country = country[np.maximum(parent, 0)]
    draw = rng.random(count)
    # 60% in the parent's country, 25% elsewhere in its region, 15% anywhere (the random draw)
    same_region = _country_in_region(rng, _COUNTRY_REGION[parent_country], within)
    country = np.where(is_subsidiary & (draw < 0.60), parent_country, country)
    return np.where(is_subsidiary & (draw >= 0.60) & (draw < 0.85), same_region, country)


def _country_in_region(
    rng: np.random.Generator, region: np.ndarray, within: np.ndarray
) -> np.ndarray:
    """A country inside each given region, drawn by the countries' weights."""
    member = _COUNTRY_REGION[None, :] == np.arange(len(REGIONS))[:, None]
    cumulative = np.cumsum(np.where(member, within, 0.0), axis=1)  # (regions, countries)
    draw = rng.random(len(region))[:, None] * cumulative[region, -1:]
    return np.minimum((draw >= cumulative[region]).sum(axis=1), len(_COUNTRIES) - 1)


def _names(
    rng: np.random.Generator,
    segment: np.ndarray,
    country: np.ndarray,
    parent: np.ndarray,
    groups: int,
    sizes_per_group: np.ndarray,
) -> np.ndarray:
    """Unique company names: "<stem> <industry word> [modifier] <legal form>".

    A group owns its stem: the holding is "<stem> Group" and its subsidiaries are
    "<stem> <word> <legal form>" with distinct words; no one else uses that stem.
    """
    count = len(segment)
    legal = np.array([c.legal_form for c in _COUNTRIES])[country]
    stems = np.array(NAME_STEMS)
    stem_order = rng.permutation(len(stems))
    group_stems = stems[stem_order[:groups]]
    free_stems = stems[stem_order[groups:]]
    names = np.empty(count, dtype=object)
    suffixes = np.array(GROUP_SUFFIXES)[rng.integers(0, len(GROUP_SUFFIXES), groups)]
    names[:groups] = [
        f"{stem} {suffix}" for stem, suffix in zip(group_stems, suffixes, strict=True)
    ]

    first_sub = groups
    subsidiaries = slice(first_sub, first_sub + int(sizes_per_group.sum()))
    owner = parent[subsidiaries]
    rank = np.arange(len(owner)) - np.repeat(
        np.cumsum(sizes_per_group) - sizes_per_group, sizes_per_group
    )
    # A random order of the segment's words per group; subsidiary k takes the k-th word.
    word_rank = rng.random((groups, 6)).argsort(axis=1)
    sub_segment = segment[subsidiaries]
    names[subsidiaries] = [
        f"{group_stems[g]} {SEGMENTS[s][2][word_rank[g, k]]} {form}"
        for g, s, k, form in zip(owner, sub_segment, rank, legal[subsidiaries], strict=True)
    ]

    rest = np.arange(first_sub + len(owner), count)
    modifier_weight = np.where(np.arange(len(NAME_MODIFIERS)) == 0, 1.0, 0.02)
    for s, (_, _, words) in enumerate(SEGMENTS):
        members = rest[segment[rest] == s]
        shape = (len(free_stems), len(words), len(NAME_MODIFIERS))
        if len(members) > np.prod(shape):
            raise ValueError(f"too many customers for the demo's name list (segment {s})")
        weights = np.broadcast_to(modifier_weight, shape).ravel()
        picks = rng.choice(
            weights.size, size=len(members), replace=False, p=weights / weights.sum()
        )
        stem, word, modifier = np.unravel_index(picks, shape)
        names[members] = [
            " ".join(part for part in (free_stems[a], words[b], NAME_MODIFIERS[c], form) if part)
            for a, b, c, form in zip(stem, word, modifier, legal[members], strict=True)
        ]
    return names


def _archetypes(
    rng: np.random.Generator, count: int, shares: Mapping[Archetype, float]
) -> np.ndarray:
    """Archetype index per customer, in exactly the given shares (rounded; rest steady)."""
    counts = [round(shares.get(archetype, 0.0) * count) for archetype in _ARCHETYPES]
    counts[0] += count - sum(counts)
    return rng.permutation(np.repeat(np.arange(len(counts)), counts))


def _life_cycles(
    rng: np.random.Generator, archetype: np.ndarray, days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per customer: yearly log growth, first active day and last active day."""
    count = len(archetype)
    kind = np.array(_ARCHETYPES)[archetype]
    growth = rng.normal(0.0, 0.04, count)
    growth = np.where(
        kind == Archetype.GROWER, rng.uniform(np.log(1.15), np.log(1.55), count), growth
    )
    growth = np.where(
        kind == Archetype.DECLINER, rng.uniform(np.log(0.6), np.log(0.85), count), growth
    )
    growth = np.where(kind == Archetype.CHURNER, rng.normal(-0.15, 0.10, count), growth)
    growth = np.where(kind == Archetype.NEWCOMER, rng.normal(0.10, 0.08, count), growth)
    # Newcomers start in the last 18 months (not the final month); churners stop after
    # the first quarter of the period and at least two months before its end.
    first_day = np.where(
        kind == Archetype.NEWCOMER, rng.integers(max(days - 548, 0), max(days - 30, 1), count), 0
    )
    last_day = np.where(
        kind == Archetype.CHURNER,
        rng.integers(days // 4, max(days - 60, days // 4 + 1), count),
        days - 1,
    )
    return growth, first_day, last_day


def _category_mix(
    rng: np.random.Generator, segment: np.ndarray, relative: np.ndarray
) -> np.ndarray:
    """Share of spend per category; bigger accounts buy across more categories."""
    count = len(segment)
    affinity = np.array(SEGMENT_CATEGORY_AFFINITY)[segment]
    breadth = np.clip(0.8 + 0.25 * relative, 0.4, 2.0)[:, None]
    buys = rng.random((count, len(CATEGORIES))) < 1.0 - (1.0 - affinity) ** breadth
    favourite = (affinity * rng.random(affinity.shape)).argmax(axis=1)
    buys[np.arange(count), favourite] = True
    weights = np.where(buys, affinity * rng.gamma(2.0, 0.5, affinity.shape), 0.0)
    return weights / weights.sum(axis=1, keepdims=True)
