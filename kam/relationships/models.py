"""The customer's people, who on our side knows them, and how far the account is aligned with us.

Invariants that span rows (a contact reports to someone in the same account, reporting lines
have no cycles, buying roles come from :class:`BuyingRole`) are checked by the services in
``kam.relationships.services``; the constraints below hold what one row can hold by itself.
"""

from django.conf import settings
from django.db import models

from kam.accounts.models import Account
from kam.revisions import Revisioned


class Level(models.TextChoices):
    """Where a contact sits in the customer's hierarchy, lowest first (seed 003: "Contacts are
    secured at all levels, from operational to senior management")."""

    OPERATIONAL = "operational", "Operational"
    MIDDLE_MANAGEMENT = "middle_management", "Middle management"
    SENIOR = "senior", "Senior"
    EXECUTIVE = "executive", "Executive"


class BuyingRole(models.TextChoices):
    """A part a contact plays in the customer's buying decisions; a contact may play several."""

    DECISION_MAKER = "decision_maker", "Decision maker"
    BUDGET_HOLDER = "budget_holder", "Budget holder"
    INFLUENCER = "influencer", "Influencer"
    GATEKEEPER = "gatekeeper", "Gatekeeper"
    USER = "user", "User"
    CHAMPION = "champion", "Champion"
    DETRACTOR = "detractor", "Detractor"


class Attitude(models.IntegerChoices):
    """How a contact feels about us, as a signed score so that 'more positive' sorts higher."""

    STRONGLY_NEGATIVE = -2, "Strongly negative"
    NEGATIVE = -1, "Negative"
    NEUTRAL = 0, "Neutral"
    POSITIVE = 1, "Positive"
    STRONGLY_POSITIVE = 2, "Strongly positive"


class AlignmentLevel(models.TextChoices):
    """How deep the supplier is aligned with the customer (seed 003, Account Management Tiers)."""

    VENDOR = "vendor", "Vendor"
    PREFERRED_PROVIDER = "preferred_provider", "Preferred Provider"
    BUSINESS_CONSULTANT = "business_consultant", "Business Consultant"
    PARTNER = "partner", "Partner"


class Contact(Revisioned):
    """A person at the customer whom the key account manager maps: a stakeholder.

    ``reports_to`` draws the customer's org chart; it points at a contact of the same account
    and never closes a loop (checked by the services, which are the only writers).
    ``buying_roles`` is a list of :class:`BuyingRole` values, several allowed. An edit is
    refused when someone saved the contact since the editor opened it (``revision``).
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True, help_text="Job title, e.g. 'CFO'.")
    function = models.CharField(
        max_length=120, blank=True, help_text="Business function, e.g. Procurement, Finance."
    )
    level = models.CharField(max_length=32, choices=Level.choices, default=Level.OPERATIONAL)
    buying_roles = models.JSONField(
        default=list, blank=True, help_text="Buying roles this contact plays; several allowed."
    )
    influence = models.PositiveSmallIntegerField(
        default=3, help_text="Influence on the customer's decisions, 1 (little) to 5 (decisive)."
    )
    attitude = models.SmallIntegerField(choices=Attitude.choices, default=Attitude.NEUTRAL)
    reports_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        help_text="The contact's manager at the customer (same account).",
    )
    last_contact_date = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("account", "name")
        indexes = (models.Index(fields=["account", "name"], name="contact_account_name_idx"),)
        constraints = (
            models.CheckConstraint(
                condition=models.Q(influence__gte=1, influence__lte=5),
                name="contact_influence_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(attitude__gte=-2, attitude__lte=2),
                name="contact_attitude_in_scale",
            ),
            models.CheckConstraint(
                condition=models.Q(level__in=Level.values), name="contact_level_known"
            ),
            models.CheckConstraint(
                condition=~models.Q(reports_to=models.F("id")),
                name="contact_not_own_manager",
            ),
            models.UniqueConstraint(
                fields=["account", "email"],
                condition=~models.Q(email=""),
                name="contact_email_unique_per_account",
            ),
        )

    def __str__(self) -> str:
        return f"{self.name} ({self.title})" if self.title else self.name

    def buying_role_labels(self) -> list[str]:
        return [BuyingRole(role).label for role in self.buying_roles if role in BuyingRole.values]


class Relationship(Revisioned):
    """Our side of the map: one supplier person who knows one contact, and how strongly (1–5)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="relationships")
    supplier_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="customer_relationships"
    )
    strength = models.PositiveSmallIntegerField(
        default=3, help_text="1 (we have met) to 5 (trusted, calls us first)."
    )
    notes = models.TextField(blank=True)
    last_interaction_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("contact", "supplier_person")
        constraints = (
            models.UniqueConstraint(
                fields=["contact", "supplier_person"], name="relationship_one_per_pair"
            ),
            models.CheckConstraint(
                condition=models.Q(strength__gte=1, strength__lte=5),
                name="relationship_strength_1_to_5",
            ),
        )

    def __str__(self) -> str:
        return f"{self.supplier_person} ↔ {self.contact} ({self.strength}/5)"


class AccountAlignment(Revisioned):
    """The alignment level the supplier has reached with an account, who set it, when and why.

    The level implies the account-management role and the value and risk playbook of seed 003
    (see ``kam.relationships.playbook``).
    """

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="alignment")
    level = models.CharField(max_length=32, choices=AlignmentLevel.choices)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the installer (demo) set it.",
    )
    set_at = models.DateTimeField()
    rationale = models.TextField(blank=True)

    class Meta:
        constraints = (
            models.CheckConstraint(
                condition=models.Q(level__in=AlignmentLevel.values),
                name="alignment_level_known",
            ),
        )

    def __str__(self) -> str:
        return f"{self.account}: {AlignmentLevel(self.level).label}"
