"""Seed 003 ("How to Implement Key Account Management", Warwick Brown) as data.

The alignment levels, the account-management perspectives and the three customer
relationship models are quoted from the seed as written (its spelling, e.g. "Value
Realization", and its wording kept), so the web app shows the source's words rather than
ours. Keys are the values of ``kam.relationships.models.AlignmentLevel`` and
``kam.relationships.mapping.RelationshipModel``; this module imports neither, so anything
(PDF export, CLI) can read it.
"""

from dataclasses import dataclass

SOURCE = "Seed 003, “How to Implement Key Account Management” (Warwick Brown)"


@dataclass(frozen=True)
class Perspective:
    """One row of seed 003's Account Management Perspectives table, for one alignment level."""

    area: str  # "Value Creation" or "Risk Management"
    name: str  # e.g. "Value Focus"
    text: str


@dataclass(frozen=True)
class AlignmentProfile:
    """One row of seed 003's Account Management Tiers table and its perspectives column.

    ``perspectives`` is empty for Vendor: the seed's perspectives table starts at Preferred
    Provider, and ``perspectives_note`` says so instead of inventing a column.
    """

    level: str
    label: str
    role: str
    tasks: str
    client_access: str
    resources: str
    perspectives: tuple[Perspective, ...]
    perspectives_note: str = ""


def _perspectives(column: int) -> tuple[Perspective, ...]:
    return tuple(Perspective(area, name, texts[column]) for area, name, texts in _PERSPECTIVE_ROWS)


# Rows of the seed's perspectives table; columns are Preferred Provider (Account Manager),
# Business Consultant (KA Manager), Partner (SA Manager).
_PERSPECTIVE_ROWS: tuple[tuple[str, str, tuple[str, str, str]], ...] = (
    (
        "Value Creation",
        "Value Focus",
        (
            "Current share-of-wallet and its predicted growth",
            "Future share-of-wallet customer lifetime value",
            "Wallet dynamics of the extended value network",
        ),
    ),
    (
        "Value Creation",
        "Value Identification",
        (
            "Account reviews with procurement – quarterly",
            "Consulting probing – ongoing",
            "Joint strategic dialogue across the network – ongoing",
        ),
    ),
    (
        "Value Creation",
        "Value Specification",
        (
            "Account plan internally developed and agreed upon",
            "Value proposition crafted for and offered to the customer",
            "Business case jointly developed and validated with the customer",
        ),
    ),
    (
        "Value Creation",
        "Value Realization",
        (
            "Hand-off to operations/fulfilment",
            "Value-adding oversight regarding operational execution",
            "Marshalling resources and orchestrating activity internally and externally",
        ),
    ),
    (
        "Risk Management",
        "Risk Focus",
        (
            "Current share-of-wallet",
            "Customer relationship and its lifetime value",
            "Total value network dynamics that could affect the business",
        ),
    ),
    (
        "Risk Management",
        "Risk Assessment",
        (
            "Anecdotal information on competitive encroachment",
            "Comprehensive analysis of future trends affecting buying behavior",
            "Joint and fully transparent examination of networkwide vulnerabilities",
        ),
    ),
    (
        "Risk Management",
        "Risk Reduction",
        (
            "Extended contracts, preferred pricing, executive outreach",
            "Higher switching costs due to higher integration, top-to-top engagement",
            "Shared governance over intervention measures",
        ),
    ),
)

_CONSULTING_RESOURCES = "Products and services, value added services and consulting beyond products"

ALIGNMENT_PROFILES: dict[str, AlignmentProfile] = {
    "vendor": AlignmentProfile(
        level="vendor",
        label="Vendor",
        role="Account Manager",
        tasks="Provides product and/or services",
        client_access="Limited to lower levels and gatekeepers",
        resources="Product is most important",
        perspectives=(),
        perspectives_note=(
            "The seed's Account Management Perspectives table covers Preferred Provider, "
            "Business Consultant and Partner only; it gives no value or risk playbook for "
            "Vendor."
        ),
    ),
    "preferred_provider": AlignmentProfile(
        level="preferred_provider",
        label="Preferred Provider",
        role="Account Manager Plus",
        tasks="Provides products and/or services",
        client_access="Low and middle levels",
        resources="Product and some value added services",
        perspectives=_perspectives(0),
        perspectives_note=(
            "The seed heads this column “Preferred Provider (Account Manager)”; its tiers "
            "table names the role “Account Manager Plus*”."
        ),
    ),
    "business_consultant": AlignmentProfile(
        level="business_consultant",
        label="Business Consultant",
        role="Key Account Manager",
        tasks="Provides consulting to help customer meet business goals",
        client_access="To all or most levels",
        resources=_CONSULTING_RESOURCES,
        perspectives=_perspectives(1),
    ),
    "partner": AlignmentProfile(
        level="partner",
        label="Partner",
        role="Strategic Account Manager",
        tasks="Provides consulting to help meet mutual business goals",
        client_access="To all or most levels",
        resources=_CONSULTING_RESOURCES,
        perspectives=_perspectives(2),
    ),
}
"""Seed 003's Account Management Tiers, lowest alignment first."""

ALIGNMENT_INTRO = (
    "Business relationships evolve and change, Vary the depth and scope of account "
    "management to align with customer needs."
)


@dataclass(frozen=True)
class RelationshipModelProfile:
    """Seed 003's description of one customer relationship model: its title and bullets."""

    key: str
    title: str
    points: tuple[str, ...]


RELATIONSHIP_MODEL_PROFILES: dict[str, RelationshipModelProfile] = {
    "bow_tie": RelationshipModelProfile(
        "bow_tie",
        "The Bow-tie account management",
        (
            "Principal contact between two people – the account manager and the buyer.",
            "Simple, low cost and high degree of control.",
            "Attempts to gain access to other contacts may be seen as a threat by the buyer.",
            "Messages from other functions may be misinterpreted.",
            "Projects and activities held up by account management/purchasing bottlenecks.",
            "Over-reliance on one relationship. When the account manager moves on, the "
            "partnership is at risk.",
        ),
    ),
    "one_on_many": RelationshipModelProfile(
        "one_on_many",
        "One-on-many account management",
        (
            "Account manager establishes direct contact with other people within the customer.",
            "Useful model for the early stages of the relationship to open doors, make first "
            "impressions, get noticed and achieve quick wins.",
            "Interacting with a broader range of functions improves understanding of "
            "customer's needs.",
            "Provides insight into performance criteria beyond the purchasing team.",
            "Account managers continue to work alone but now represent the organisation "
            "across a wide range of functions and issues. Risk of overwhelm.",
        ),
    ),
    "diamond": RelationshipModelProfile(
        "diamond",
        "Diamond team account management",
        (
            "Individuals on the supplier side form a team with their counterparts on the "
            "client side.",
            "Contacts are secured at all levels, from operational to senior management.",
            "Collaboration speeds the pace of joint activities.",
            "KA manager's role is one of coordination.",
            "Focus is on nurturing the business, account growth and planning for the future.",
            "Managing relationships and maintaining communication can be daunting. Risk of "
            "functions working to their own agenda.",
            "Creating a diamond team involves more people, more time and greater cost.",
        ),
    ),
    "none": RelationshipModelProfile(
        "none",
        "No relationship mapped",
        (
            "Nobody on our side is recorded as knowing anyone at this customer yet. "
            "(kam's wording: the seed describes no such model.)",
        ),
    ),
}
"""Seed 003's Customer Relationship Models, plus kam's own entry for an empty map."""
