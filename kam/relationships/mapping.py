"""Reading a stakeholder map: which relationship model an account is in, and what is at risk.

Pure functions over frozen dataclasses (no ORM), so that the rules can be tested on maps built
by hand and reused by anything that holds a map (the plans app, a PDF, the API).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

LEVEL_ORDER: tuple[str, ...] = ("operational", "middle_management", "senior", "executive")
"""``kam.relationships.models.Level`` values, lowest first."""

LEVEL_LABELS: dict[str, str] = {
    "operational": "Operational",
    "middle_management": "Middle management",
    "senior": "Senior",
    "executive": "Executive",
}

ATTITUDE_LABELS: dict[int, str] = {
    -2: "Strongly negative",
    -1: "Negative",
    0: "Neutral",
    1: "Positive",
    2: "Strongly positive",
}
"""``kam.relationships.models.Attitude`` values and labels."""

BUYING_ROLE_LABELS: dict[str, str] = {
    "decision_maker": "Decision maker",
    "budget_holder": "Budget holder",
    "influencer": "Influencer",
    "gatekeeper": "Gatekeeper",
    "user": "User",
    "champion": "Champion",
    "detractor": "Detractor",
}
"""``kam.relationships.models.BuyingRole`` values and labels."""

DEFAULT_CHAMPION_STALE_DAYS = 90
HIGH_INFLUENCE = 4


class RelationshipModel(StrEnum):
    """Seed 003's customer relationship models, plus the empty map."""

    NONE = "none"
    BOW_TIE = "bow_tie"
    ONE_ON_MANY = "one_on_many"
    DIAMOND = "diamond"

    @property
    def label(self) -> str:
        return {
            "none": "No relationship mapped",
            "bow_tie": "Bow-tie",
            "one_on_many": "One-on-many",
            "diamond": "Diamond team",
        }[self.value]


class RiskKind(StrEnum):
    """The relationship risks seeds 002 and 003 name."""

    SINGLE_THREADED = "single_threaded"
    NO_DECISION_MAKER_ACCESS = "no_decision_maker_access"
    STALE_CHAMPION = "stale_champion"
    INFLUENTIAL_DETRACTOR = "influential_detractor"

    @property
    def label(self) -> str:
        return {
            "single_threaded": "Single-threaded",
            "no_decision_maker_access": "No access to a decision maker or budget holder",
            "stale_champion": "Champion not contacted",
            "influential_detractor": "Influential detractor",
        }[self.value]


@dataclass(frozen=True)
class ContactView:
    """A customer contact as the map reads it (ids, not ORM objects)."""

    id: int
    name: str
    title: str = ""
    function: str = ""
    level: str = "operational"
    buying_roles: tuple[str, ...] = ()
    influence: int = 3
    attitude: int = 0
    reports_to_id: int | None = None
    last_contact_date: date | None = None

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(self.level, self.level)

    @property
    def attitude_label(self) -> str:
        return ATTITUDE_LABELS.get(self.attitude, str(self.attitude))

    @property
    def buying_role_labels(self) -> tuple[str, ...]:
        return tuple(BUYING_ROLE_LABELS.get(role, role) for role in self.buying_roles)


@dataclass(frozen=True)
class RelationshipView:
    """One supplier person who knows one contact, with strength 1–5."""

    contact_id: int
    person_id: int
    person_name: str
    strength: int = 3
    last_interaction_date: date | None = None
    id: int = 0  # the Relationship row, when read from the database


@dataclass(frozen=True)
class RiskFlag:
    """A named risk on the map, the contacts it concerns and a sentence a KAM can act on."""

    kind: RiskKind
    message: str
    contact_ids: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        return self.kind.label


@dataclass(frozen=True)
class LevelCoverage:
    """How one level of the customer is covered: contacts mapped, reached, and by whom."""

    level: str
    label: str
    contacts: int
    reached: int
    people: tuple[str, ...]


def classify_model(
    contacts: Sequence[ContactView], relationships: Sequence[RelationshipView]
) -> RelationshipModel:
    """The relationship model of a map, by this rule (first match wins):

    Let *people* be the supplier people holding at least one relationship with the account's
    contacts, *reached* the contacts at least one of them knows (any strength counts), and
    *levels* the distinct levels of the reached contacts.

    1. No relationship at all → ``NONE`` ("No relationship mapped").
    2. Exactly one reached contact → ``BOW_TIE``: all traffic runs through one buyer, however
       many of us talk to that buyer (seed 003: "Principal contact between two people").
    3. At least two people and at least two levels → ``DIAMOND``: a team on our side meets
       its counterparts at several levels (seed 003: "Contacts are secured at all levels").
    4. Otherwise (several reached contacts, and either one person on our side or a team that
       reaches a single level only) → ``ONE_ON_MANY``: the doors are open but the contacts are
       not yet secured across levels.

    Relationships with contacts not in ``contacts`` are ignored.
    """
    by_id = {contact.id: contact for contact in contacts}
    links = [link for link in relationships if link.contact_id in by_id]
    if not links:
        return RelationshipModel.NONE
    people = {link.person_id for link in links}
    reached = {link.contact_id for link in links}
    if len(reached) == 1:
        return RelationshipModel.BOW_TIE
    levels = {by_id[contact_id].level for contact_id in reached}
    if len(people) >= 2 and len(levels) >= 2:
        return RelationshipModel.DIAMOND
    return RelationshipModel.ONE_ON_MANY


def last_contacted(contact: ContactView, relationships: Iterable[RelationshipView]) -> date | None:
    """The latest of the contact's own last contact date and any of our interactions with them."""
    dates = [contact.last_contact_date] if contact.last_contact_date else []
    dates += [
        link.last_interaction_date
        for link in relationships
        if link.contact_id == contact.id and link.last_interaction_date
    ]
    return max(dates, default=None)


def risk_flags(
    contacts: Sequence[ContactView],
    relationships: Sequence[RelationshipView],
    *,
    today: date,
    champion_stale_days: int = DEFAULT_CHAMPION_STALE_DAYS,
) -> tuple[RiskFlag, ...]:
    """The risks on a map, in this order:

    - ``SINGLE_THREADED``: exactly one supplier person holds every relationship ("when the
      account manager moves on, the partnership is at risk"). An empty map is not flagged
      here; it is its own model, ``NONE``, and fails the next check.
    - ``NO_DECISION_MAKER_ACCESS``: no contact who is a decision maker or budget holder is known
      by anyone on our side (including when none is mapped at all). Only checked once the
      account has at least one contact.
    - ``STALE_CHAMPION``: a champion last contacted ``champion_stale_days`` or more days before
      ``today``, or never (last contact = the later of the contact's date and our
      relationships' last interaction dates). One flag per champion.
    - ``INFLUENTIAL_DETRACTOR``: a detractor with influence ``HIGH_INFLUENCE`` (4) or more. One
      flag per detractor.
    """
    by_id = {contact.id: contact for contact in contacts}
    links = [link for link in relationships if link.contact_id in by_id]
    flags: list[RiskFlag] = []
    people = {link.person_id: link.person_name for link in links}
    if len(people) == 1:
        (name,) = people.values()
        flags.append(
            RiskFlag(
                RiskKind.SINGLE_THREADED,
                f"{name} holds every relationship with this customer: when the account "
                "manager moves on, the partnership is at risk.",
                tuple(sorted({link.contact_id for link in links})),
            )
        )
    if contacts:
        deciders = [
            c for c in contacts if {"decision_maker", "budget_holder"} & set(c.buying_roles)
        ]
        reached = {link.contact_id for link in links}
        if not deciders:
            flags.append(
                RiskFlag(
                    RiskKind.NO_DECISION_MAKER_ACCESS,
                    "No decision maker or budget holder is mapped at this customer.",
                )
            )
        elif not any(c.id in reached for c in deciders):
            names = ", ".join(c.name for c in deciders)
            flags.append(
                RiskFlag(
                    RiskKind.NO_DECISION_MAKER_ACCESS,
                    f"Nobody on our side knows a decision maker or budget holder ({names}).",
                    tuple(c.id for c in deciders),
                )
            )
    for contact in contacts:
        if "champion" not in contact.buying_roles:
            continue
        last = last_contacted(contact, links)
        if last is None:
            message = f"Champion {contact.name} has never been contacted."
        elif (today - last).days >= champion_stale_days:
            message = (
                f"Champion {contact.name} not contacted for {(today - last).days} days "
                f"(since {last.isoformat()}; the policy is {champion_stale_days})."
            )
        else:
            continue
        flags.append(RiskFlag(RiskKind.STALE_CHAMPION, message, (contact.id,)))
    for contact in contacts:
        if "detractor" in contact.buying_roles and contact.influence >= HIGH_INFLUENCE:
            flags.append(
                RiskFlag(
                    RiskKind.INFLUENTIAL_DETRACTOR,
                    f"{contact.name} is a detractor with influence {contact.influence}/5.",
                    (contact.id,),
                )
            )
    return tuple(flags)


def coverage_by_level(
    contacts: Sequence[ContactView], relationships: Sequence[RelationshipView]
) -> tuple[LevelCoverage, ...]:
    """For each level, top (executive) first: contacts mapped, contacts reached, and by whom."""
    by_id = {contact.id: contact for contact in contacts}
    rows = []
    for level in reversed(LEVEL_ORDER):
        at_level = [c for c in contacts if c.level == level]
        links = [
            link
            for link in relationships
            if link.contact_id in by_id and by_id[link.contact_id].level == level
        ]
        rows.append(
            LevelCoverage(
                level=level,
                label=LEVEL_LABELS[level],
                contacts=len(at_level),
                reached=len({link.contact_id for link in links}),
                people=tuple(sorted({link.person_name for link in links})),
            )
        )
    return tuple(rows)


def would_create_cycle(
    parents: Mapping[int, int | None], contact_id: int | None, new_manager_id: int | None
) -> bool:
    """Whether making ``new_manager_id`` the manager of ``contact_id`` closes a reporting loop.

    ``parents`` maps each contact to its current manager. A new contact (``contact_id`` None)
    cannot close a loop; a contact reporting to itself does.
    """
    if new_manager_id is None or contact_id is None:
        return False
    seen: set[int] = set()
    current: int | None = new_manager_id
    while current is not None and current not in seen:
        if current == contact_id:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


COVERAGE_KINDS: tuple[RiskKind, ...] = (
    RiskKind.SINGLE_THREADED,
    RiskKind.NO_DECISION_MAKER_ACCESS,
    RiskKind.STALE_CHAMPION,
)
"""The three flags of relationship coverage in the health score, in this order."""


@dataclass(frozen=True)
class Coverage:
    """How well our relationships cover a customer: the coverage flags raised (of
    ``COVERAGE_KINDS``; a quiet champion counts once however many are quiet) and the
    sentence that says why."""

    flags: tuple[RiskFlag, ...]
    model: RelationshipModel

    @property
    def kinds(self) -> tuple[RiskKind, ...]:
        """The distinct kinds raised, in ``COVERAGE_KINDS`` order."""
        raised = {flag.kind for flag in self.flags}
        return tuple(kind for kind in COVERAGE_KINDS if kind in raised)

    @property
    def explanation(self) -> str:
        """The flags in words, or what is right when none is raised."""
        if not self.flags:
            return (
                f"{self.model.label}: two or more of us hold the relationships, a decision "
                "maker is reached and no champion has gone quiet"
            )
        return " ".join(flag.message for flag in self.flags)


def coverage(
    contacts: Sequence[ContactView],
    relationships: Sequence[RelationshipView],
    *,
    today: date,
    champion_stale_days: int = DEFAULT_CHAMPION_STALE_DAYS,
) -> Coverage | None:
    """The coverage of a map (None when no contact is mapped: nothing to judge).

    The flags are ``risk_flags``' single-threaded, no decision-maker access and stale
    champion, with one addition: contacts mapped that nobody on our side knows count as
    single-threaded too (no thread at all is not better than one).
    """
    if not contacts:
        return None
    flags = [
        flag
        for flag in risk_flags(
            contacts, relationships, today=today, champion_stale_days=champion_stale_days
        )
        if flag.kind in COVERAGE_KINDS
    ]
    known = {contact.id for contact in contacts}
    if not any(link.contact_id in known for link in relationships):
        flags.insert(
            0,
            RiskFlag(
                RiskKind.SINGLE_THREADED,
                "Nobody on our side holds a relationship with anyone mapped at this customer.",
            ),
        )
    return Coverage(tuple(flags), classify_model(contacts, relationships))


def without_contact(
    contacts: Sequence[ContactView], relationships: Sequence[RelationshipView], contact_id: int
) -> tuple[tuple[ContactView, ...], tuple[RelationshipView, ...]]:
    """The map as it would be if the contact left: gone with our relationships with them,
    and whoever reported to them reporting to no one on the map."""
    left = tuple(
        replace(c, reports_to_id=None) if c.reports_to_id == contact_id else c
        for c in contacts
        if c.id != contact_id
    )
    return left, tuple(link for link in relationships if link.contact_id != contact_id)


def coverage_without(
    contacts: Sequence[ContactView],
    relationships: Sequence[RelationshipView],
    contact_id: int,
    *,
    today: date,
    champion_stale_days: int = DEFAULT_CHAMPION_STALE_DAYS,
) -> tuple[RelationshipModel, Coverage | None]:
    """The relationship model and the coverage if the contact left. A champion who leaves
    raises the champion flag (a champion gone is no better than one gone quiet)."""
    left, links = without_contact(contacts, relationships, contact_id)
    covered = coverage(left, links, today=today, champion_stale_days=champion_stale_days)
    gone = next((c for c in contacts if c.id == contact_id), None)
    if covered is not None and gone is not None and "champion" in gone.buying_roles:
        lost = RiskFlag(
            RiskKind.STALE_CHAMPION,
            f"Champion {gone.name} would be gone: nobody would speak for us from inside.",
            (contact_id,),
        )
        covered = Coverage((*covered.flags, lost), covered.model)
    return classify_model(left, links), covered
