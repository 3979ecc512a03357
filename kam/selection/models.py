"""Key-account selection in the operational database: policies, ratings, runs, cycles.

Scores themselves live in the analytical store as immutable snapshots (one per ScoreRun);
what people decide about them — the policy, their ratings, the cycle's decisions and the
resulting key accounts — lives here.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kam.analytics.selection.policy import SelectionPolicy, Tier
from kam.analytics.selection.policy_toml import policy_from_toml


class TierChoice(models.TextChoices):
    """The tiers of seed 002, as stored (values equal kam.analytics.selection.policy.Tier)."""

    TIER_1 = Tier.TIER_1.value, "Tier 1"
    TIER_2 = Tier.TIER_2.value, "Tier 2"
    TIER_3 = Tier.TIER_3.value, "Tier 3"
    HIGH_POTENTIAL = Tier.HIGH_POTENTIAL.value, "High potential"
    NOT_KEY = Tier.NOT_KEY.value, "Not key"


class QuadrantChoice(models.TextChoices):
    """McDonald's four types of key account (seed 004)."""

    STRATEGIC = "strategic", "Strategic"
    STATUS = "status", "Status"
    STAR = "star", "Star"
    STREAMLINE = "streamline", "Streamline"


class PolicyVersion(models.Model):
    """One version of the selection policy, kept forever as the TOML text it was saved as.

    Editing a policy never changes a version: it saves a new one, so every score run can be
    traced to the exact weights, scales and thresholds that produced it.
    """

    version = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=200)
    toml = models.TextField(help_text="The policy as TOML (kam.analytics.selection.policy_toml).")
    note = models.TextField(blank=True, help_text="Why this version was made.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-version",)
        constraints = [
            models.CheckConstraint(condition=Q(version__gte=1), name="policy_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def policy(self) -> SelectionPolicy:
        """The policy this version holds."""
        return policy_from_toml(self.toml)


class Rating(models.Model):
    """A person's 1–5 rating of one account on one rated criterion (e.g. harmony_fit).

    History is kept: a new rating adds a row, and the latest per account and criterion is
    the one scoring uses.
    """

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    criterion_key = models.CharField(max_length=40)
    value = models.PositiveSmallIntegerField()
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rated_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("account_id", "criterion_key", "-rated_at", "-id")
        indexes = [
            models.Index(
                fields=["account", "criterion_key", "-rated_at"], name="rating_latest_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gte=1) & Q(value__lte=5), name="rating_value_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.criterion_key}={self.value}"


class ScoreRun(models.Model):
    """One scoring of every account under a policy version at an as-of date.

    The scores are the analytical store's snapshot named after this run's id; the row
    records what produced it and how it went.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="runs")
    as_of = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    snapshot_id = models.CharField(max_length=40, blank=True)
    customers = models.PositiveIntegerField(default=0)
    key_accounts = models.PositiveIntegerField(default=0)
    qualifying = models.PositiveIntegerField(
        default=0, help_text="Accounts within the policy's key-account share (before capacity)."
    )
    capacity = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Key accounts the managers could hold when the run was made (None: no limit).",
    )
    seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    future_value = models.JSONField(
        default=dict,
        blank=True,
        help_text="The lifetime-value fit behind predicted_clv: model, parameters, standard "
        "errors, holdout check, horizon (see kam.selection.fit_record).",
    )
    future_value_note = models.TextField(
        blank=True, help_text="Why the future-value criterion is missing in this run, if it is."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-started_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(snapshot_id=""),
                name="score_run_done_has_snapshot",
            ),
        ]

    def __str__(self) -> str:
        return f"Score run {self.pk} ({self.get_status_display()})"

    @property
    def future_value_table(self) -> str:
        """The analytical-store table with this run's per-customer future value, or ""."""
        return str(self.future_value.get("table", "")) if self.future_value else ""


class SelectionCycle(models.Model):
    """A (yearly) selection round: proposals at an as-of date, decided and published.

    Compared against ``previous`` — the cycle published before this one was created — so
    each decision reads add, keep or remove.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        PUBLISHED = "published", "Published"

    name = models.CharField(max_length=120)
    as_of = models.DateField()
    score_run = models.ForeignKey(ScoreRun, on_delete=models.PROTECT, related_name="cycles")
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_cycles"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-as_of", "-id")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(approved_at__isnull=False),
                name="cycle_approved_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="cycle_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CycleDecision(models.Model):
    """What a cycle proposes for one account, why, and what the Head of KAM decided.

    ``proposal`` compares the cycle's scores with the previous cycle's key accounts; an
    override flips it and must say why. ``reasons`` lists the criteria that moved:
    ``[{"key", "label", "before", "after", "delta"}]`` in points.
    """

    class Proposal(models.TextChoices):
        ADD = "add", "Add"
        KEEP = "keep", "Keep"
        REMOVE = "remove", "Remove"
        STAY_OUT = "out", "Stay out"  # not proposed; present because someone overrode it in

    cycle = models.ForeignKey(SelectionCycle, on_delete=models.CASCADE, related_name="decisions")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    proposal = models.CharField(max_length=6, choices=Proposal.choices)
    tier = models.CharField(max_length=16, choices=TierChoice.choices, blank=True)
    quadrant = models.CharField(max_length=12, choices=QuadrantChoice.choices, blank=True)
    previous_tier = models.CharField(max_length=16, choices=TierChoice.choices, blank=True)
    previous_quadrant = models.CharField(max_length=12, choices=QuadrantChoice.choices, blank=True)
    total = models.FloatField(null=True, blank=True)
    previous_total = models.FloatField(null=True, blank=True)
    key_rank = models.PositiveIntegerField(null=True, blank=True)
    revenue_12m = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    why = models.TextField(
        blank=True, help_text="The proposal in the seeds' words, e.g. why a key account goes."
    )
    override_key = models.BooleanField(
        null=True, blank=True, help_text="Set when the Head of KAM overrides the proposal."
    )
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The key account manager assigned for this cycle.",
    )
    sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The executive sponsor assigned for this cycle (Tier 1 accounts).",
    )

    class Meta:
        ordering = ("key_rank", "account_id")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "account"], name="cycle_decision_unique"),
            models.CheckConstraint(
                condition=Q(override_key__isnull=True) | ~Q(override_reason=""),
                name="cycle_decision_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle}: {self.get_proposal_display()} {self.account_id}"

    @property
    def proposed_key(self) -> bool:
        """Whether the proposal makes the account a key account."""
        return self.proposal in (self.Proposal.ADD, self.Proposal.KEEP)

    @property
    def is_key(self) -> bool:
        """Whether the account is a key account after this decision (override included)."""
        return self.proposed_key if self.override_key is None else bool(self.override_key)

    @property
    def quadrant_changed(self) -> bool:
        """True when the account moved to another of the four types since the last cycle."""
        return bool(self.quadrant and self.previous_quadrant) and (
            self.quadrant != self.previous_quadrant
        )


class KeyAccount(models.Model):
    """A designated key account: published by a selection cycle, managed by one person.

    Other apps (plans, relationships, health) read this table to know which accounts are
    key. A row exists only while the account is key; de-selection deletes it.
    """

    account = models.OneToOneField(
        "accounts.Account", on_delete=models.PROTECT, related_name="key_account"
    )
    tier = models.CharField(max_length=16, choices=TierChoice.choices)
    quadrant = models.CharField(max_length=12, choices=QuadrantChoice.choices, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_key_accounts",
    )
    executive_sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sponsored_key_accounts",
    )
    since_cycle = models.ForeignKey(
        SelectionCycle, on_delete=models.PROTECT, related_name="+", help_text="Key since."
    )
    confirmed_cycle = models.ForeignKey(
        SelectionCycle, on_delete=models.PROTECT, related_name="+", help_text="Last confirmed by."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("account__name",)
        constraints = [
            models.CheckConstraint(
                condition=~Q(tier="not_key"), name="key_account_tier_is_a_key_tier"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} ({self.get_tier_display()})"


DEFAULT_SPONSOR_CAPACITY = 5
"""How many Tier 1 accounts an executive sponsor may sponsor unless set otherwise."""


class ExecutiveSponsorCapacity(models.Model):
    """How many Tier 1 accounts one executive sponsor may sponsor (set by the Head of KAM).

    A sponsor without a row may sponsor ``DEFAULT_SPONSOR_CAPACITY``.
    """

    sponsor = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sponsor_capacity"
    )
    max_accounts = models.PositiveSmallIntegerField(
        default=DEFAULT_SPONSOR_CAPACITY, help_text="Most Tier 1 accounts this sponsor may hold."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("sponsor__last_name", "sponsor__first_name")

    def __str__(self) -> str:
        return f"{self.sponsor}: up to {self.max_accounts}"
