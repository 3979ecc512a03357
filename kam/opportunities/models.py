"""Opportunities with key accounts (seed 001): what we could sell, where, for how much, by
when and against whom, qualified by the four questions; and wallet estimates (seed 003):
what a customer spends in a product category in all, with us and elsewhere.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from kam.accounts.models import Account
from kam.revisions import Revisioned


class Stage(models.TextChoices):
    """Where an opportunity stands, from first sight to won or lost."""

    PROSPECTING = "prospecting", "Prospecting"
    QUALIFYING = "qualifying", "Qualifying"
    PROPOSAL = "proposal", "Proposal"
    NEGOTIATION = "negotiation", "Negotiation"
    WON = "won", "Won"
    LOST = "lost", "Lost"


OPEN_STAGES = (Stage.PROSPECTING, Stage.QUALIFYING, Stage.PROPOSAL, Stage.NEGOTIATION)
CLOSED_STAGES = (Stage.WON, Stage.LOST)

DEFAULT_PROBABILITY: dict[str, int] = {
    Stage.PROSPECTING: 10,
    Stage.QUALIFYING: 25,
    Stage.PROPOSAL: 50,
    Stage.NEGOTIATION: 75,
    Stage.WON: 100,
    Stage.LOST: 0,
}
"""The probability an opportunity takes when its stage changes and none is given."""


class Opportunity(Revisioned):
    """Something we could sell to an account: ``value`` in the account's currency, closing
    around ``expected_close_date``, in one ``product_category`` for one of the customer's
    business units (or sites), against ``competitors``, owned by ``owner``.

    Won and lost ones carry the day they closed and the reason. ``reference`` is the id a
    source system gave it (imports match on it). Written only by
    ``kam.opportunities.services``.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="opportunities")
    name = models.CharField(max_length=200)
    value = models.DecimalField(max_digits=16, decimal_places=2)
    expected_close_date = models.DateField()
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.PROSPECTING)
    probability = models.PositiveSmallIntegerField(help_text="Chance of winning, 0–100 %.")
    product_category = models.CharField(max_length=128)
    business_unit = models.CharField(
        max_length=128, blank=True, help_text="The customer's business unit or site."
    )
    competitors = models.JSONField(default=list, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_on = models.DateField(null=True, blank=True)
    close_reason = models.TextField(blank=True, help_text="Why it was won or lost.")
    reference = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("account", "expected_close_date", "id")
        verbose_name_plural = "opportunities"
        indexes = (
            models.Index(fields=["account", "stage"], name="opportunity_account_stage_idx"),
            models.Index(fields=["stage", "expected_close_date"], name="opportunity_stage_idx"),
        )
        constraints = (
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values), name="opportunity_stage_known"
            ),
            models.CheckConstraint(
                condition=Q(probability__lte=100), name="opportunity_probability_percent"
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0), name="opportunity_value_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(stage__in=["won", "lost"], closed_on__isnull=False)
                | (~Q(stage__in=["won", "lost"]) & Q(closed_on__isnull=True)),
                name="opportunity_closed_on_when_closed",
            ),
            models.UniqueConstraint(
                fields=["account", "reference"],
                condition=~Q(reference=""),
                name="opportunity_reference_unique_per_account",
            ),
        )

    def __str__(self) -> str:
        return f"{self.name} ({self.account_id})"

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def weighted_value(self) -> float:
        """The value times the probability of winning it."""
        return float(self.value) * self.probability / 100


class Qualification(Revisioned):
    """The four questions of seed 001 answered for one opportunity: a 1–5 score and the
    evidence for each, and the verdict the rules give (``kam.opportunities.verdict``),
    kept as saved so lists need not recompute it."""

    opportunity = models.OneToOneField(
        Opportunity, on_delete=models.CASCADE, related_name="qualification"
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The opportunity's account, for the record-level check and History.",
    )
    real_score = models.PositiveSmallIntegerField(null=True, blank=True)
    real_evidence = models.TextField(blank=True)
    compete_score = models.PositiveSmallIntegerField(null=True, blank=True)
    compete_evidence = models.TextField(blank=True)
    win_score = models.PositiveSmallIntegerField(null=True, blank=True)
    win_evidence = models.TextField(blank=True)
    worth_score = models.PositiveSmallIntegerField(null=True, blank=True)
    worth_evidence = models.TextField(blank=True)
    expected_margin_pct = models.DecimalField(
        max_digits=5, decimal_places=1, null=True, blank=True, help_text="Gross margin, %."
    )
    verdict = models.CharField(max_length=16)
    verdict_reason = models.TextField()
    weakest = models.CharField(max_length=16, blank=True)
    qualified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True, help_text="When it was last qualified.")

    class Meta:
        constraints = tuple(
            models.CheckConstraint(
                condition=Q(**{f"{name}_score__isnull": True})
                | Q(**{f"{name}_score__gte": 1, f"{name}_score__lte": 5}),
                name=f"qualification_{name}_1_to_5",
            )
            for name in ("real", "compete", "win", "worth")
        )

    def __str__(self) -> str:
        return f"Qualification of {self.opportunity}"


class WalletEstimate(Revisioned):
    """What ``account`` spends in ``category`` in a year, with every supplier (seed 003's
    share of wallet): entered or imported by people who know, with where it came from."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="wallets")
    category = models.CharField(max_length=128)
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    source = models.CharField(max_length=200, blank=True, help_text="Where the figure came from.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("account", "category")
        constraints = (
            models.UniqueConstraint(
                fields=["account", "category"], name="wallet_one_per_account_category"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="wallet_amount_not_negative"),
        )

    def __str__(self) -> str:
        return f"Wallet of {self.account_id} in {self.category}"
