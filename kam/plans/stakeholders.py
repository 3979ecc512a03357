"""The plan's window on the relationships app: alignment level, the live stakeholder map and
the org chart, shaped for the plan page and the exported document.
"""

from dataclasses import dataclass
from datetime import date

from kam.accounts.models import Account
from kam.relationships import queries as relationships
from kam.relationships.models import (
    AccountAlignment,
    AlignmentLevel,
    Attitude,
    BuyingRole,
    Contact,
    Level,
)
from kam.relationships.queries import StakeholderMap


@dataclass(frozen=True)
class StakeholderRow:
    """One contact as the plan lists them: who they are, their part, who on our side knows them."""

    name: str
    title: str
    level: str
    buying_roles: str
    influence: int
    attitude: str
    attitude_value: int
    our_people: str


def alignment_level_of(account: Account) -> str:
    """The account's alignment level; Preferred Provider when nobody has set one."""
    level = AccountAlignment.objects.filter(account=account).values_list("level", flat=True).first()
    return level or AlignmentLevel.PREFERRED_PROVIDER.value


def stakeholder_map(account: Account, today: date) -> StakeholderMap:
    """The live stakeholder map of ``account`` as of ``today`` (model, flags, coverage)."""
    return relationships.stakeholder_map(account, today)


def stakeholder_rows(stakeholders: StakeholderMap) -> tuple[StakeholderRow, ...]:
    """The map's contacts, most influential first, with our relationships beside each."""
    rows = []
    for contact in sorted(stakeholders.contacts, key=lambda c: (-c.influence, c.name)):
        links = stakeholders.links_of(contact.id)
        rows.append(
            StakeholderRow(
                name=contact.name,
                title=contact.title,
                level=Level(contact.level).label,
                buying_roles=", ".join(
                    BuyingRole(role).label
                    for role in contact.buying_roles
                    if role in BuyingRole.values
                ),
                influence=contact.influence,
                attitude=Attitude(contact.attitude).label,
                attitude_value=contact.attitude,
                our_people=", ".join(f"{link.person_name} ({link.strength}/5)" for link in links),
            )
        )
    return tuple(rows)


def org_chart_svg(account: Account) -> str:
    """The account's org chart, with our relationships on it, as self-contained SVG."""
    return relationships.org_chart_svg(account)


def map_org_chart_svg(stakeholders: StakeholderMap) -> str:
    """``org_chart_svg`` of a stakeholder map already read (its contacts, not read again)."""
    return relationships.map_org_chart_svg(stakeholders)


def contact_count(account: Account) -> int:
    """How many customer contacts are mapped: the stakeholder section counts as filled at 1+."""
    return Contact.objects.filter(account=account).count()
