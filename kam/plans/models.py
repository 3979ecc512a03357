"""The living account plan: its sections, objectives, targets, risks, actions, versions and
reviews, and the plan templates the Head of KAM keeps per alignment level (seed 003).
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q

from kam.accounts.models import Account
from kam.relationships.models import AlignmentLevel
from kam.revisions import Revisioned


class PlanStatus(models.TextChoices):
    """Where a plan is in its life: drafted, the one in force, or kept for the record."""

    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"


class ActionStatus(models.TextChoices):
    """The state of one action of the action plan."""

    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


OPEN_ACTION_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


class RiskStatus(models.TextChoices):
    """Whether a risk still needs attention."""

    OPEN = "open", "Open"
    MITIGATED = "mitigated", "Mitigated"
    CLOSED = "closed", "Closed"


class ReviewKind(models.TextChoices):
    """Who reviewed the plan (seed 003 "Plan evaluation": internal, external or both)."""

    INTERNAL = "internal", "Internal"
    EXTERNAL = "external", "External"
    CO_CREATED = "co_created", "Co-created with the customer"


class PlanTemplate(Revisioned):
    """What an account plan at one alignment level must contain, and the prompt per section.

    One template per level; the Head of KAM edits them. A new plan copies the prompts of the
    template of its account's alignment level; completeness is measured against the
    template's required sections.
    """

    alignment_level = models.CharField(max_length=32, choices=AlignmentLevel.choices)
    required_sections = models.JSONField(
        default=list, help_text="Keys of the sections a plan at this level must fill."
    )
    prompts = models.JSONField(default=dict, help_text="Prompting text per section key.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("alignment_level",)
        constraints = (
            models.UniqueConstraint(
                fields=["alignment_level"], name="plan_template_one_per_alignment_level"
            ),
        )

    def __str__(self) -> str:
        return f"Plan template for {self.get_alignment_level_display()}"


class AccountPlan(models.Model):
    """The key account plan of one account: a living document with a 12–36 month horizon.

    An account may have several drafts and archived plans, but only one active plan.
    ``alignment_level`` is the level the plan was written for; it picks the template that
    decides which sections are required.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="plans")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    horizon_months = models.PositiveSmallIntegerField(default=24)
    starts_on = models.DateField(help_text="First day of the plan's horizon.")
    alignment_level = models.CharField(
        max_length=32, choices=AlignmentLevel.choices, default=AlignmentLevel.PREFERRED_PROVIDER
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="account_plans",
        help_text="The key account manager who keeps the plan.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("account", "-starts_on", "-id")
        constraints = (
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status="active"),
                name="plan_one_active_per_account",
            ),
            models.CheckConstraint(
                condition=Q(horizon_months__gte=12, horizon_months__lte=36),
                name="plan_horizon_12_to_36_months",
            ),
        )

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"


class PlanSection(Revisioned):
    """The written content of one text or list section of a plan.

    ``revision`` counts saves: an edit carries the revision it started from and is refused
    when someone else saved in between, so two people never silently overwrite each other.
    """

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(max_length=32)
    content = models.JSONField(default=dict)
    prompt = models.TextField(blank=True, help_text="Copied from the template at creation.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("plan", "key")
        constraints = (
            models.UniqueConstraint(fields=["plan", "key"], name="plan_section_once_per_plan"),
        )

    def __str__(self) -> str:
        return f"{self.plan} · {self.key} r{self.revision}"


class PlanObjective(models.Model):
    """One business objective of the customer, which actions of the plan serve."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField(max_length=200)
    measure = models.CharField(
        max_length=200, blank=True, help_text="How the customer will know it is achieved."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("plan", "position", "id")

    def __str__(self) -> str:
        return self.title


class PlanTarget(Revisioned):
    """Our revenue target at the account for one year, and the growth it means."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField()
    revenue = models.DecimalField(max_digits=16, decimal_places=2)
    growth_percent = models.DecimalField(
        max_digits=7, decimal_places=2, null=True, blank=True, help_text="Against the year before."
    )
    note = models.CharField(max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("plan", "year")
        constraints = (
            models.UniqueConstraint(fields=["plan", "year"], name="plan_target_once_per_year"),
            models.CheckConstraint(
                condition=Q(revenue__gte=0), name="plan_target_revenue_not_negative"
            ),
        )

    def __str__(self) -> str:
        return f"{self.year}: {self.revenue}"


class PlanRisk(Revisioned):
    """One entry of the risk register: likelihood and impact on 1–5, mitigation, owner."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="risks")
    risk = models.CharField(max_length=300)
    likelihood = models.PositiveSmallIntegerField()
    impact = models.PositiveSmallIntegerField()
    mitigation = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("plan", "id")
        constraints = (
            models.CheckConstraint(
                condition=Q(likelihood__gte=1, likelihood__lte=5),
                name="plan_risk_likelihood_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(impact__gte=1, impact__lte=5), name="plan_risk_impact_1_to_5"
            ),
        )

    def __str__(self) -> str:
        return self.risk

    @property
    def score(self) -> int:
        """Likelihood times impact, 1–25: what the register is sorted and coloured by."""
        return self.likelihood * self.impact


class PlanAction(Revisioned):
    """One action of the action plan: who does what by when, for which objective."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField()
    status = models.CharField(
        max_length=16, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    objective = models.ForeignKey(
        PlanObjective, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("plan", "due_on", "id")
        indexes = (models.Index(fields=["status", "due_on"], name="plan_action_status_due_idx"),)

    def __str__(self) -> str:
        return self.action

    def is_overdue(self, today: date) -> bool:
        """Still to do and past its due date."""
        return self.status in OPEN_ACTION_STATUSES and self.due_on < today


class PlanVersion(models.Model):
    """A frozen copy of the plan's content when a version was cut, with what changed since the
    version before it.
    """

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    cut_on = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    snapshot = models.JSONField()
    changes = models.JSONField(default=list, help_text="Diff summary against the previous version.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("plan", "-number")
        constraints = (
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number_unique"),
        )

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"


class PlanReview(models.Model):
    """A review of the plan: when, who took part, internal / external / co-created, outcome."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="reviews")
    held_on = models.DateField()
    kind = models.CharField(max_length=16, choices=ReviewKind.choices)
    reviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    customer_participants = models.CharField(
        max_length=300, blank=True, help_text="People on the customer's side, for external reviews."
    )
    outcome = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("plan", "-held_on", "-id")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} review on {self.held_on}"
