"""Reads of the relationship map, shaped as frozen dataclasses other apps can hold.

Public for the plans app and the plan PDF:

* :func:`stakeholder_map` — contacts, relationships, relationship model (with seed 003's
  description), risk flags and coverage by level, for an account as of ``today``.
* :func:`org_chart` — the tidy layout of the account's org chart.
* :func:`org_chart_svg` — the org chart as a self-contained SVG string (no JavaScript, no
  external resources), to inline in HTML or in a WeasyPrint PDF.
* :func:`alignment` — the account's alignment level with seed 003's role and playbook.

These functions do not check permissions; views (and any caller acting for a user) check
``Permission.VIEW_ACCOUNTS`` first.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import QuerySet

from kam.accounts.models import Account
from kam.people.models import User
from kam.people.roles import Role
from kam.relationships.layout import TreeLayout
from kam.relationships.mapping import (
    DEFAULT_CHAMPION_STALE_DAYS,
    ContactView,
    LevelCoverage,
    RelationshipModel,
    RelationshipView,
    RiskFlag,
    classify_model,
    coverage_by_level,
    last_contacted,
    risk_flags,
)
from kam.relationships.models import AccountAlignment, Contact, Relationship
from kam.relationships.playbook import (
    ALIGNMENT_PROFILES,
    RELATIONSHIP_MODEL_PROFILES,
    AlignmentProfile,
    RelationshipModelProfile,
)
from kam.relationships.svg import org_chart_layout, person_colours, render_org_chart_svg
from kam.revisions import RevisionsField

SUPPLIER_ROLES = (
    Role.KEY_ACCOUNT_MANAGER,
    Role.EXECUTIVE_SPONSOR,
    Role.HEAD_OF_KAM,
    Role.ADMINISTRATOR,
)


@dataclass(frozen=True)
class SupplierPerson:
    """Someone on our side who holds relationships at the account, and their chart colour."""

    id: int
    name: str
    title: str
    relationships: int
    colour: str


@dataclass(frozen=True)
class StakeholderMap:
    """Everything the map of one account says, as of ``today``."""

    account_id: str
    account_name: str
    today: date
    contacts: tuple[ContactView, ...]
    relationships: tuple[RelationshipView, ...]
    model: RelationshipModel
    model_profile: RelationshipModelProfile
    flags: tuple[RiskFlag, ...]
    coverage: tuple[LevelCoverage, ...]
    people: tuple[SupplierPerson, ...]
    champion_stale_days: int

    def contact(self, contact_id: int) -> ContactView:
        return next(c for c in self.contacts if c.id == contact_id)

    def links_of(self, contact_id: int) -> tuple[RelationshipView, ...]:
        return tuple(link for link in self.relationships if link.contact_id == contact_id)

    def last_contacted(self, contact_id: int) -> date | None:
        return last_contacted(self.contact(contact_id), self.relationships)


@dataclass(frozen=True)
class AlignmentView:
    """An account's alignment level, seed 003's profile for it, and who set it when and why."""

    level: str
    profile: AlignmentProfile
    set_by: str
    set_at: datetime
    rationale: str
    revision: int


def champion_stale_days_policy() -> int:
    """Days after which an uncontacted champion is flagged (setting KAM_CHAMPION_STALE_DAYS)."""
    return int(getattr(settings, "KAM_CHAMPION_STALE_DAYS", DEFAULT_CHAMPION_STALE_DAYS))


def contact_view(c: Contact) -> ContactView:
    """What the map and the rules beyond it read of one contact."""
    return ContactView(
        id=c.pk,
        name=c.name,
        title=c.title,
        function=c.function,
        level=c.level,
        buying_roles=tuple(c.buying_roles),
        influence=c.influence,
        attitude=c.attitude,
        reports_to_id=c.reports_to_id,
        last_contact_date=c.last_contact_date,
    )


def _relationship_view(link: Relationship) -> RelationshipView:
    return RelationshipView(
        contact_id=link.contact_id,
        person_id=link.supplier_person_id,
        person_name=link.supplier_person.display_name,
        strength=link.strength,
        last_interaction_date=link.last_interaction_date,
        id=link.pk,
    )


def contact_views(account: Account) -> tuple[ContactView, ...]:
    """The account's contacts as plain values, by name."""
    return tuple(
        contact_view(c) for c in Contact.objects.filter(account=account).order_by("name", "pk")
    )


def relationship_views(account: Account) -> tuple[RelationshipView, ...]:
    """Our relationships with the account's contacts, by contact and person."""
    links = (
        Relationship.objects.filter(contact__account=account)
        .select_related("supplier_person")
        .order_by("contact__name", "supplier_person__last_name", "pk")
    )
    return tuple(_relationship_view(link) for link in links)


@dataclass(frozen=True)
class MapViews:
    """One account's contacts and our relationships with them, as plain values."""

    contacts: tuple[ContactView, ...]
    relationships: tuple[RelationshipView, ...]


def map_views(customer_ids: Iterable[str] | None = None) -> dict[str, MapViews]:
    """{customer id: its contacts and relationships} for every account with a contact
    (or those of ``customer_ids``), in two queries."""
    contacts = Contact.objects.order_by("account_id", "name", "pk")
    links = Relationship.objects.select_related("supplier_person").order_by(
        "contact__name", "supplier_person__last_name", "pk"
    )
    if customer_ids is not None:
        chosen = list(customer_ids)
        contacts = contacts.filter(account_id__in=chosen)
        links = links.filter(contact__account_id__in=chosen)
    found: dict[str, tuple[list[ContactView], list[RelationshipView]]] = {}
    account_of: dict[int, str] = {}
    for contact in contacts:
        found.setdefault(contact.account_id, ([], []))[0].append(contact_view(contact))
        account_of[contact.pk] = contact.account_id
    for link in links:
        owner = account_of.get(link.contact_id)
        if owner is not None:
            found[owner][1].append(_relationship_view(link))
    return {cid: MapViews(tuple(c), tuple(r)) for cid, (c, r) in found.items()}


def stakeholder_map(
    account: Account, today: date, *, champion_stale_days: int | None = None
) -> StakeholderMap:
    """The account's stakeholder map as of ``today`` (injected, never the wall clock here).

    ``champion_stale_days`` defaults to the policy setting (90 days unless configured).
    """
    days = champion_stale_days if champion_stale_days is not None else champion_stale_days_policy()
    contacts = contact_views(account)
    links = relationship_views(account)
    model = classify_model(contacts, links)
    colours = person_colours(links)
    users = {u.pk: u for u in User.objects.filter(pk__in=colours)}
    people = tuple(
        SupplierPerson(
            id=pid,
            name=users[pid].display_name,
            title=users[pid].title,
            relationships=sum(1 for link in links if link.person_id == pid),
            colour=colour,
        )
        for pid, colour in colours.items()
    )
    return StakeholderMap(
        account_id=account.customer_id,
        account_name=account.name,
        today=today,
        contacts=contacts,
        relationships=links,
        model=model,
        model_profile=RELATIONSHIP_MODEL_PROFILES[model.value],
        flags=risk_flags(contacts, links, today=today, champion_stale_days=days),
        coverage=coverage_by_level(contacts, links),
        people=people,
        champion_stale_days=days,
    )


def org_chart(account: Account) -> TreeLayout:
    """The tidy layout of the account's org chart (boxes sized by influence)."""
    return org_chart_layout(contact_views(account))


def org_chart_svg(account: Account, *, title: str | None = None) -> str:
    """The account's org chart with our relationships on it, as a self-contained SVG string.

    No script and no external resource: inline it in a page or a WeasyPrint PDF as is.
    """
    return render_org_chart_svg(
        contact_views(account),
        relationship_views(account),
        title=title or f"Org chart of {account.name}",
    )


def map_org_chart_svg(stakeholders: StakeholderMap) -> str:
    """``org_chart_svg`` drawn from a stakeholder map already read: the same contacts and
    relationships, not read again."""
    return render_org_chart_svg(
        stakeholders.contacts,
        stakeholders.relationships,
        title=f"Org chart of {stakeholders.account_name}",
    )


def alignment(account: Account) -> AlignmentView | None:
    """The account's alignment level and seed 003's profile for it; None if never set."""
    row = AccountAlignment.objects.filter(account=account).select_related("set_by").first()
    if row is None:
        return None
    return AlignmentView(
        level=row.level,
        profile=ALIGNMENT_PROFILES[row.level],
        set_by=row.set_by.display_name if row.set_by else "kam (demo data)",
        set_at=row.set_at,
        rationale=row.rationale,
        revision=row.revision,
    )


def relationship_revisions(account: Account) -> str:
    """The revisions of the account's relationships as a page shows them, for the form that
    adds or updates one (``kam.revisions.RevisionsField``)."""
    return RevisionsField.token(
        Relationship.objects.filter(contact__account=account).only("pk", "revision").order_by("pk")
    )


def supplier_people() -> QuerySet[User]:
    """Active users who can hold a customer relationship (managers, sponsors, head, admin)."""
    return (
        User.objects.filter(is_active=True, groups__name__in=[r.value for r in SUPPLIER_ROLES])
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
