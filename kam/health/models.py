"""Account health: the versioned health policy, scoring runs and each account's score."""

from django.conf import settings
from django.db import models

from kam.accounts.models import Account


class PolicyStatus(models.TextChoices):
    """A policy version is in force once accepted; a learned one waits as proposed."""

    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class HealthPolicyVersion(models.Model):
    """One version of the health policy (weights per component, the shrink share).

    Versions are never edited: a change is a new version. The latest *accepted* one is in
    force. A version learned by ``kam health fit`` is *proposed* with the backtest of the
    policy in force beside its own (``comparison``) until the Head of KAM decides.
    """

    version = models.PositiveIntegerField(unique=True)
    rules = models.JSONField()
    note = models.TextField(blank=True, help_text="Why this version was made.")
    status = models.CharField(
        max_length=16, choices=PolicyStatus.choices, default=PolicyStatus.ACCEPTED
    )
    comparison = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"health policy v{self.version} ({self.status})"


class HealthRun(models.Model):
    """One scoring run: every active account scored as of a date under one policy (a
    portfolio run), or one account rescored (``rescored``) when something its score reads
    changed through kam."""

    policy = models.ForeignKey(HealthPolicyVersion, on_delete=models.PROTECT, related_name="runs")
    as_of = models.DateField()
    accounts = models.PositiveIntegerField(default=0)
    rescored = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    """The one account a rescoring run scored (after something its score reads changed);
    None for a portfolio run, which scores every active account."""
    alive_model = models.CharField(max_length=40, blank=True)
    alive_params = models.JSONField(default=dict, blank=True)
    """The P(alive) model the run used and its fitted parameters: the next portfolio run
    starts its fit there, a rescoring run uses them as they are."""
    alive_note = models.TextField(blank=True)
    """How the P(alive) model was fitted, in words, when not as usual (e.g. a fit that did
    not converge and what was used instead)."""
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["rescored", "created_at"], name="health_run_scope")]

    def __str__(self) -> str:
        return f"health run {self.pk} as of {self.as_of}"


class HealthScore(models.Model):
    """One account's score in one run (None: no component present) and its components
    (key, points or None, raw, explanation) — one point of the account's score history."""

    run = models.ForeignKey(HealthRun, on_delete=models.CASCADE, related_name="scores")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="health_scores")
    score = models.FloatField(null=True)
    weight_present = models.FloatField()
    components = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "account"], name="health_score_once_per_run")
        ]
        indexes = [models.Index(fields=["account", "run"], name="health_score_account_run")]

    def __str__(self) -> str:
        return f"{self.account_id} health {self.score}"


class AlertResponse(models.TextChoices):
    """What someone did about an alert: saw it and will act, or put it off until a date."""

    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    SNOOZED = "snoozed", "Snoozed"


class AlertAcknowledgement(models.Model):
    """Someone acknowledged or snoozed one alert of one account, with a reason.

    An acknowledged alert stays hidden while its cause (``cause``: what the alert is about,
    e.g. which touchpoint is overdue since when) stays the same; a snoozed one until
    ``snoozed_until``. Once the alert is seen cleared, or its cause changed, or the snooze
    ended, ``lapsed_at`` is set and the alert shows again whenever it fires.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(max_length=64)
    cause = models.CharField(max_length=255, blank=True)
    response = models.CharField(max_length=16, choices=AlertResponse.choices)
    reason = models.TextField()
    snoozed_until = models.DateField(null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    lapsed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["account", "lapsed_at"], name="alert_ack_account_open")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="alert_ack_has_reason"),
            models.CheckConstraint(
                condition=models.Q(response="acknowledged", snoozed_until__isnull=True)
                | models.Q(response="snoozed", snoozed_until__isnull=False),
                name="alert_ack_snooze_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} on {self.account_id} {self.response}"


class Survey(models.TextChoices):
    """The two satisfaction surveys kam reads: NPS answers 0–10, CSAT answers 1–5."""

    NPS = "nps", "NPS"
    CSAT = "csat", "CSAT"


SCALES: dict[str, tuple[int, int]] = {Survey.NPS: (0, 10), Survey.CSAT: (1, 5)}
"""The lowest and highest answer of each survey."""


class SatisfactionAnswer(models.Model):
    """One NPS or CSAT answer of someone at the account, imported from a survey tool
    (``kam import satisfaction``). The health score's satisfaction component reads the
    answers of the year before its as-of date."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="satisfaction_answers"
    )
    survey = models.CharField(max_length=8, choices=Survey.choices)
    answered_on = models.DateField()
    score = models.PositiveSmallIntegerField()
    respondent = models.CharField(max_length=200, blank=True)
    comment = models.TextField(blank=True)
    reference = models.CharField(
        max_length=120, blank=True, help_text="The id the survey tool gives the answer."
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-answered_on", "-id"]
        indexes = [models.Index(fields=["account", "answered_on"], name="satisfaction_account_day")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.survey} {self.score} on {self.answered_on}"
