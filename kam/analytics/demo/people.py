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

    ``region`` is the sales region a key account manager covers (None for everyone else).
    """

    username: str
    first_name: str
    last_name: str
    title: str
    role: str
    region: str | None = None

    @property
    def email(self) -> str:
        """A non-routable address (RFC 2606 ``.example``) for the demo user."""
        return f"{self.username}@demo-supplier.example"


def _kam(first: str, last: str, region: str, title: str = "Key Account Manager") -> DemoPerson:
    username = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
    return DemoPerson(username, first, last, title, KEY_ACCOUNT_MANAGER, region)


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
    DemoPerson("markus.hofmann", "Markus", "Hofmann", "Chief Executive Officer", EXECUTIVE_SPONSOR),
    DemoPerson("claire.dubois", "Claire", "Dubois", "Chief Operating Officer", EXECUTIVE_SPONSOR),
    DemoPerson("erik.nyberg", "Erik", "Nyberg", "Chief Financial Officer", EXECUTIVE_SPONSOR),
    DemoPerson("priya.raman", "Priya", "Raman", "Chief Technology Officer", EXECUTIVE_SPONSOR),
    DemoPerson("admin", "Sam", "Okafor", "Sales Operations Manager", ADMINISTRATOR),
    DemoPerson("viewer", "Vera", "Lang", "Financial Controller", VIEWER),
)
"""Everyone the demo creates: one head of KAM, 12 key account managers, 4 executive
sponsors, an administrator and a read-only viewer."""
