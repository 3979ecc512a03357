"""The demo company's own sales organisation: who signs in and in which role.

The people do not depend on the seed: whatever company is generated, the demo login is
the head of KAM, ``head`` with :data:`DEMO_PASSWORD`.
"""

from dataclasses import dataclass

DEMO_PASSWORD = "kam-demo"
"""The password of every demo user (documented in docs/demo.md; demo data only)."""

# The role names, spelled exactly as kam.people.roles.Role values (this layer may not
# import kam.people; a test checks that the spellings agree).
HEAD_OF_KAM = "Head of KAM"
KEY_ACCOUNT_MANAGER = "Key Account Manager"
EXECUTIVE_SPONSOR = "Executive Sponsor"
ADMINISTRATOR = "Administrator"
VIEWER = "Viewer"


@dataclass(frozen=True)
class DemoPerson:
    """A member of the demo supplier's staff, to be created as a user with one role.

    ``region`` is the sales region a key account manager covers (None for everyone else);
    ``sponsor_capacity`` how many Tier 1 accounts an executive sponsor may sponsor.
    """

    username: str
    first_name: str
    last_name: str
    title: str
    role: str
    region: str | None = None
    sponsor_capacity: int | None = None

    @property
    def email(self) -> str:
        """A non-routable address (RFC 2606 ``.example``) for the demo user."""
        return f"{self.username}@demo-supplier.example"


def _kam(first: str, last: str, region: str, title: str = "Key Account Manager") -> DemoPerson:
    username = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
    return DemoPerson(username, first, last, title, KEY_ACCOUNT_MANAGER, region)


def _sponsor(first: str, last: str, title: str, capacity: int) -> DemoPerson:
    username = f"{first}.{last}".lower()
    return DemoPerson(username, first, last, title, EXECUTIVE_SPONSOR, sponsor_capacity=capacity)


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("head", "Helena", "Brandt", "Head of Key Account Management", HEAD_OF_KAM),
    _kam("Lukas", "Meier", "DACH", "Strategic Account Manager"),
    _kam("Sophie", "Wagner", "DACH"),
    _kam("Jonas", "Keller", "DACH"),
    _kam("Ingrid", "Lindahl", "Nordics"),
    _kam("Oliver", "Hughes", "UK & Ireland"),
    _kam("Camille", "Laurent", "France & Benelux", "Strategic Account Manager"),
    _kam("Pieter", "Janssens", "France & Benelux"),
    _kam("Giulia", "Romano", "Southern Europe"),
    _kam("Daniel", "Carter", "North America", "Strategic Account Manager"),
    _kam("Megan", "Brooks", "North America"),
    _kam("Rafael", "Souza", "Latin America"),
    _kam("Aiko", "Tanaka", "APAC"),
    # Enough sponsor capacity for every Tier 1 account of the demo's ~90 key accounts; the
    # chief executive takes fewest, being the scarcest time.
    _sponsor("Markus", "Hofmann", "Chief Executive Officer", 10),
    _sponsor("Claire", "Dubois", "Chief Operating Officer", 25),
    _sponsor("Erik", "Nyberg", "Chief Financial Officer", 20),
    _sponsor("Priya", "Raman", "Chief Technology Officer", 25),
    DemoPerson("admin", "Sam", "Okafor", "Sales Operations Manager", ADMINISTRATOR),
    DemoPerson("viewer", "Vera", "Lang", "Financial Controller", VIEWER),
)
"""Everyone the demo creates: one head of KAM, 12 key account managers, 4 executive
sponsors, an administrator and a read-only viewer."""
