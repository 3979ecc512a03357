"""Stakeholder maps for the demo company: contacts, our relationships and alignment levels.

Deterministic for a seed. The first accounts are fixed showcases, so the demo always holds
every relationship model and every risk flag:

====  =====================  =========================================================
 #    relationship model     risk flags shown
====  =====================  =========================================================
 0    diamond team, 60 ppl   champion not contacted (stale champion)
 1    one-on-many            single-threaded
 2    bow-tie                single-threaded, no access to a decision maker
 3    diamond team           influential detractor
 4    no relationship        no access to a decision maker
====  =====================  =========================================================

The rest draw a model at random, larger accounts leaning towards diamond teams.
"""

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from kam.accounts.models import Account
from kam.people.models import User
from kam.people.roles import Role
from kam.relationships.models import AccountAlignment, AlignmentLevel, Contact, Relationship
from kam.relationships.queries import stakeholder_map

FIRST_NAMES = (
    "Anna", "Jonas", "Mia", "Lars", "Sofia", "Mateo", "Chloé", "Emre", "Yuki", "Noah",
    "Elena", "Tomás", "Freya", "Arjun", "Lea", "Marek", "Aisha", "Hugo", "Ines", "Kenji",
    "Olga", "Pablo", "Greta", "Ravi", "Sara", "Thijs", "Zoe", "Bruno", "Nadia", "Felix",
    "Lina", "Oskar", "Maya", "Diego", "Hanna", "Viktor", "Amara", "Luca", "Ida", "Samir",
)  # fmt: skip
LAST_NAMES = (
    "Berg", "Vos", "Lund", "Moreau", "Rossi", "Novak", "Kowalski", "Haddad", "Sato", "Silva",
    "Jensen", "Fischer", "Dubois", "Okafor", "Varga", "Costa", "Nieminen", "Schmidt", "Patel",
    "Larsen", "Bauer", "Ortiz", "Horvat", "Kaya", "Nakamura", "Meyer", "Lopez", "Andersen",
    "Popescu", "Dijkstra", "Martin", "Weber", "Yilmaz", "Santos", "Hoffmann", "Ferrari",
)  # fmt: skip
FUNCTIONS = (
    "Procurement", "Finance", "Operations", "Engineering", "IT", "Quality", "Logistics",
    "R&D",
)  # fmt: skip
EXECUTIVE_TITLES = {
    "Procurement": "Chief Procurement Officer",
    "Finance": "Chief Financial Officer",
    "Operations": "Chief Operating Officer",
    "Engineering": "Chief Technology Officer",
    "IT": "Chief Information Officer",
    "Quality": "VP Quality",
    "Logistics": "VP Supply Chain",
    "R&D": "VP Research & Development",
}
OPERATIONAL_TITLES = ("Buyer", "Engineer", "Analyst", "Specialist", "Planner", "Coordinator")
SHOWCASE = ("diamond", "one_on_many", "bow_tie", "diamond", "none")


@dataclass(frozen=True)
class DemoRelationships:
    """What the demo loader created: counts, and the models and flags the maps now show."""

    accounts: int
    contacts: int
    relationships: int
    models: dict[str, int] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)


@dataclass(eq=False)
class _Person:
    index: int
    level: str
    function: str
    title: str
    parent: int | None
    roles: list[str] = field(default_factory=list)
    influence: int = 3
    attitude: int = 0
    last_contact: date | None = None


def do_load_demo_relationships(
    accounts: Sequence[Account],
    users: Sequence[User],
    seed: int,
    *,
    today: date | None = None,
    limit: int = 40,
) -> DemoRelationships:
    """Map contacts, relationships and alignment levels for the first ``limit`` accounts.

    ``accounts`` come largest (by revenue) first; ``users`` are the demo's people, of whom the
    key account managers and executive sponsors hold relationships. Accounts that already have
    contacts are left alone, so loading twice changes nothing. ``today`` (default: the
    calendar day) anchors the contact dates, so the stale-champion flag shows as of today.
    The caller checks permissions (the demo is loaded by the installer or LOAD_DEMO).
    """
    today = today or timezone.localdate()
    people = sorted(users, key=lambda u: u.username)
    kams = [u for u in people if Role.KEY_ACCOUNT_MANAGER in u.roles()] or people
    sponsors = [u for u in people if Role.EXECUTIVE_SPONSOR in u.roles()] or kams
    if not kams:
        raise ValueError("the demo relationships need at least one user")
    chosen = list(accounts)[:limit]
    contacts = links = 0
    with transaction.atomic():
        for index, account in enumerate(chosen):
            if Contact.objects.filter(account=account).exists():
                continue
            rng = random.Random(f"{seed}:relationships:{account.customer_id}")
            scenario = SHOWCASE[index] if index < len(SHOWCASE) else _draw_scenario(rng, index)
            size = 60 if index == 0 else rng.randint(30, 55) if index < 10 else rng.randint(10, 30)
            org = _org(rng, size, today)
            made = _save_contacts(account, org, rng)
            kam = kams[index % len(kams)]
            sponsor = sponsors[index % len(sponsors)]
            second = kams[(index + 3) % len(kams)]
            links += _relate(rng, scenario, index, org, made, (kam, sponsor, second), today)
            contacts += len(made)
            _align(rng, account, scenario, kam, today)
    models: Counter[str] = Counter()
    flags: Counter[str] = Counter()
    for account in chosen:
        smap = stakeholder_map(account, today)
        models[smap.model.value] += 1
        flags.update(flag.kind.value for flag in smap.flags)
    return DemoRelationships(len(chosen), contacts, links, dict(models), dict(flags))


def _draw_scenario(rng: random.Random, index: int) -> str:
    weights = (5, 3, 2) if index < 15 else (3, 4, 3)
    return rng.choices(("diamond", "one_on_many", "bow_tie"), weights=weights)[0]


def _org(rng: random.Random, size: int, today: date) -> list[_Person]:
    """A plausible hierarchy: one chief executive, executives, directors, managers, staff."""
    org = [_Person(0, "executive", "Management", "Chief Executive Officer", None)]
    executives = max(2, round(size * 0.08))
    seniors = max(2, round(size * 0.18))
    middles = max(2, round(size * 0.27))
    functions = rng.sample(FUNCTIONS, k=min(executives, len(FUNCTIONS)))
    for function in functions:
        org.append(_Person(len(org), "executive", function, EXECUTIVE_TITLES[function], 0))
    levels = (
        ("senior", seniors, "executive"),
        ("middle_management", middles, "senior"),
        ("operational", size - len(org) - seniors - middles, "middle_management"),
    )
    for level, count, above in levels:
        bosses = [p for p in org if p.level == above and p.index != 0] or [org[0]]
        for _ in range(max(count, 0)):
            boss = rng.choice(bosses)
            title = {
                "senior": f"{rng.choice(('Director', 'Head'))} of {boss.function}",
                "middle_management": f"{boss.function} Manager",
                "operational": f"{boss.function} {rng.choice(OPERATIONAL_TITLES)}",
            }[level]
            org.append(_Person(len(org), level, boss.function, title, boss.index))
    for person in org:
        _profile(rng, person, today)
    return org[:size] if len(org) > size else org


def _profile(rng: random.Random, person: _Person, today: date) -> None:
    low, high = {
        "executive": (4, 5),
        "senior": (3, 5),
        "middle_management": (2, 4),
        "operational": (1, 3),
    }[person.level]
    person.influence = rng.randint(low, high)
    person.attitude = rng.choices((-2, -1, 0, 1, 2), weights=(1, 2, 5, 4, 2))[0]
    if person.index == 0 or person.title.startswith("Chief"):
        person.roles.append("decision_maker")
    if person.function == "Finance" and person.level in ("executive", "senior"):
        person.roles.append("budget_holder")
    if person.function == "Procurement":
        person.roles.append("gatekeeper" if person.level != "executive" else "budget_holder")
    if person.level == "senior" and rng.random() < 0.5:
        person.roles.append("influencer")
    if person.level == "operational":
        person.roles.append("user")
    person.last_contact = today - timedelta(days=rng.randint(2, 75)) if rng.random() < 0.7 else None


def _save_contacts(account: Account, org: list[_Person], rng: random.Random) -> list[Contact]:
    domain = "".join(ch for ch in account.name.lower() if ch.isalnum())[:24] or "customer"
    used: set[str] = set()
    rows = []
    for person in org:
        while True:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if f"{first} {last}" not in used:
                break
        used.add(f"{first} {last}")
        ascii_name = f"{first}.{last}".lower().encode("ascii", "ignore").decode()
        rows.append(
            Contact(
                account=account,
                name=f"{first} {last}",
                title=person.title,
                function=person.function,
                level=person.level,
                buying_roles=person.roles,
                influence=person.influence,
                attitude=person.attitude,
                last_contact_date=person.last_contact,
                email=f"{ascii_name}@{domain}.example",
                phone=f"+00 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            )
        )
    made = Contact.objects.bulk_create(rows)
    for person, contact in zip(org, made, strict=True):
        if person.parent is not None:
            contact.reports_to = made[person.parent]
    Contact.objects.bulk_update(made, ["reports_to"])
    return made


def _relate(
    rng: random.Random,
    scenario: str,
    index: int,
    org: list[_Person],
    made: list[Contact],
    team: tuple[User, User, User],
    today: date,
) -> int:
    """Our relationships for the scenario, plus the showcase flags."""
    kam, sponsor, second = team
    by_level = {level: [p for p in org if p.level == level] for level in _LEVELS}
    gatekeepers = [p for p in org if "gatekeeper" in p.roles] or by_level["middle_management"]
    pairs: list[tuple[User, _Person, int]] = []
    if scenario == "bow_tie":
        buyer = gatekeepers[0]
        pairs.append((kam, buyer, rng.randint(3, 5)))
        # The buyer does not decide, so nobody on our side reaches a decision maker.
        buyer.roles = [r for r in buyer.roles if r not in ("decision_maker", "budget_holder")]
    elif scenario == "one_on_many":
        reached = [org[0], gatekeepers[0], *rng.sample(org[1:], k=min(5, len(org) - 1))]
        pairs += [(kam, person, rng.randint(2, 5)) for person in dict.fromkeys(reached)]
    elif scenario == "diamond":
        pairs.append((sponsor, org[0], rng.randint(3, 5)))
        pairs += [(sponsor, p, rng.randint(2, 4)) for p in by_level["executive"][1:3]]
        pairs += [(kam, p, rng.randint(3, 5)) for p in by_level["senior"][:4]]
        pairs.append((kam, gatekeepers[0], 5))
        pairs += [(second, p, rng.randint(2, 4)) for p in by_level["middle_management"][:3]]
        pairs += [(second, p, rng.randint(1, 3)) for p in by_level["operational"][:3]]
    # Champions: a positive senior person; for account 0 one is left uncontacted for months.
    champion = next((p for p in org if p.level == "senior"), org[0])
    champion.roles.append("champion")
    champion.attitude = 2
    stale = index == 0
    champion.last_contact = today - timedelta(days=140 if stale else rng.randint(3, 40))
    detractor = next((p for p in reversed(org) if p.level == "middle_management"), org[-1])
    if "champion" not in detractor.roles:
        detractor.roles.append("detractor")
        detractor.attitude = -2
        detractor.influence = 4 if index == 3 else min(detractor.influence, 3)
    for person, contact in zip(org, made, strict=True):
        contact.buying_roles = sorted(dict.fromkeys(person.roles), key=_ROLE_ORDER.index)
        contact.attitude, contact.influence = person.attitude, person.influence
        contact.last_contact_date = person.last_contact
    Contact.objects.bulk_update(
        made, ["buying_roles", "attitude", "influence", "last_contact_date"]
    )
    seen: set[tuple[int, int]] = set()
    rows = []
    for user, person, strength in pairs:
        if (user.pk, person.index) in seen:
            continue
        seen.add((user.pk, person.index))
        when = person.last_contact
        rows.append(
            Relationship(
                contact=made[person.index],
                supplier_person=user,
                strength=strength,
                last_interaction_date=when,
                notes="Demo relationship.",
            )
        )
    Relationship.objects.bulk_create(rows)
    return len(rows)


def _align(rng: random.Random, account: Account, scenario: str, kam: User, today: date) -> None:
    level = {
        "diamond": rng.choice((AlignmentLevel.PARTNER, AlignmentLevel.BUSINESS_CONSULTANT)),
        "one_on_many": rng.choice(
            (AlignmentLevel.PREFERRED_PROVIDER, AlignmentLevel.BUSINESS_CONSULTANT)
        ),
        "bow_tie": rng.choice((AlignmentLevel.VENDOR, AlignmentLevel.PREFERRED_PROVIDER)),
        "none": AlignmentLevel.VENDOR,
    }[scenario]
    moment = datetime.combine(today - timedelta(days=rng.randint(10, 200)), time(9, 0))
    AccountAlignment.objects.create(
        account=account,
        level=level,
        set_by=kam,
        set_at=timezone.make_aware(moment),
        rationale=f"Demo: set at the last account review ({scenario.replace('_', ' ')} map).",
    )


_LEVELS = ("executive", "senior", "middle_management", "operational")
_ROLE_ORDER = [
    "decision_maker",
    "budget_holder",
    "influencer",
    "gatekeeper",
    "user",
    "champion",
    "detractor",
]
