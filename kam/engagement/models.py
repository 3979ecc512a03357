"""Engagement with key accounts (seed 002, "Consistent engagement"): the meetings and calls
of the relationship, who took part on both sides, how they went and what follows from them,
and the cadence policy that says how often each tier must meet.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from kam.accounts.models import Account
from kam.plans.models import PlanAction
from kam.relationships.models import Contact
from kam.revisions import Revisioned


class EngagementKind(models.TextChoices):
    """The touchpoints of seed 002's "Consistent engagement", plus calls and visits."""

    QBR = "qbr", "Quarterly business review"
    EXECUTIVE_REVIEW = "executive_review", "Executive business review"
    STEERING_COMMITTEE = "steering_committee", "Steering committee"
    WORKSHOP = "workshop", "Workshop"
    JOINT_PLANNING = "joint_planning", "Joint planning session"
    TRAINING = "training", "Training"
    ADVISORY_BOARD = "advisory_board", "Advisory board"
    CALL = "call", "Call"
    VISIT = "visit", "Visit"


class EngagementStatus(models.TextChoices):
    """Whether the engagement is ahead (planned), took place (held) or was called off."""

    PLANNED = "planned", "Planned"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class Engagement(Revisioned):
    """One meeting, call or visit with an account: planned or held on ``date``.

    Our people and the customer's contacts (from the stakeholder map) took part; a held
    engagement carries its outcome and a 1–5 rating of how it went, and its follow-up
    actions are actions of the account plan (``follow_ups``). ``start_time`` is empty for a
    whole-day entry; ``reference`` is the id a source system gave it (imports match on it).
    Written only by ``kam.engagement.services``.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="engagements")
    kind = models.CharField(max_length=32, choices=EngagementKind.choices)
    status = models.CharField(
        max_length=16, choices=EngagementStatus.choices, default=EngagementStatus.HELD
    )
    date = models.DateField()
    start_time = models.TimeField(null=True, blank=True, help_text="Local time; empty: all day.")
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    title = models.CharField(max_length=200, blank=True)
    location = models.CharField(max_length=200, blank=True)
    our_people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="engagements", blank=True
    )
    contacts = models.ManyToManyField(Contact, related_name="engagements", blank=True)
    notes = models.TextField(blank=True)
    outcome = models.TextField(blank=True)
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How it went, 1 (badly) to 5 (very well)."
    )
    follow_ups = models.ManyToManyField(PlanAction, related_name="engagements", blank=True)
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
        ordering = ("account", "-date", "-id")
        indexes = (
            models.Index(
                fields=["account", "status", "kind", "date"], name="engagement_cadence_idx"
            ),
            models.Index(fields=["status", "date"], name="engagement_status_date_idx"),
        )
        constraints = (
            models.CheckConstraint(
                condition=Q(kind__in=EngagementKind.values), name="engagement_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=EngagementStatus.values), name="engagement_status_known"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5, status="held"),
                name="engagement_rating_1_to_5_when_held",
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=24 * 60),
                name="engagement_duration_within_a_day",
            ),
            models.UniqueConstraint(
                fields=["account", "reference"],
                condition=~Q(reference=""),
                name="engagement_reference_unique_per_account",
            ),
        )

    def __str__(self) -> str:
        return f"{self.heading} on {self.date:%Y-%m-%d}"

    @property
    def heading(self) -> str:
        """The title, else the kind in words."""
        return self.title or self.get_kind_display()


class EngagementComment(models.Model):
    """A remark on an engagement by someone who reads the account in full: its manager, the
    Head of KAM, or the executive sponsor who edits nothing but may comment."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="comments")
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The engagement's account, for the record-level check and the History page.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("engagement", "created_at", "id")

    def __str__(self) -> str:
        return f"Comment on {self.engagement}"


class CadencePolicyVersion(models.Model):
    """One version of the cadence policy: which touchpoints each tier owes, how often.

    ``rules`` is a list of ``{"tier", "kind", "every_days", "with_sponsor"}`` (see
    ``kam.engagement.cadence``). Editing saves a new version; none is ever changed, so a due
    date can always be traced to the rules that set it. Without any version the defaults of
    ``cadence.DEFAULT_RULES`` apply.
    """

    version = models.PositiveIntegerField(unique=True)
    rules = models.JSONField()
    note = models.TextField(blank=True, help_text="Why this version was made.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-version",)
        constraints = (
            models.CheckConstraint(condition=Q(version__gte=1), name="cadence_version_positive"),
        )

    def __str__(self) -> str:
        return f"Cadence policy v{self.version}"
