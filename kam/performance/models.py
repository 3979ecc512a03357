"""The key account programme measured (seeds 003 and 004): its settings (concentration
alerts, the rates that estimate cost to serve), cost to serve imported per account and
period, KPI targets, and the implementation checklist's answers over time.

The figures themselves are computed from the data (``kam.analytics.program``), never
stored; what people decide about them lives here.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from kam.accounts.models import Account
from kam.revisions import Revisioned


class ProgramSettings(Revisioned):
    """The programme's settings, one row (pk 1): when concentration raises an alert, and the
    rates at which cost to serve is estimated where none was imported."""

    top_customer_alert_pct = models.FloatField(
        default=10.0,
        help_text="Alert when the largest customer holds more than this % of revenue.",
    )
    top5_alert_pct = models.FloatField(
        default=35.0, help_text="Alert when the five largest hold more than this % of revenue."
    )
    hhi_alert = models.FloatField(
        default=1500.0,
        help_text="Alert when the Herfindahl–Hirschman index of revenue passes this (0–10,000).",
    )
    hourly_rate = models.FloatField(
        default=90.0, help_text="Cost of an hour of our people's time in an engagement."
    )
    sponsor_hourly_rate = models.FloatField(
        default=250.0, help_text="Cost of an hour of an executive sponsor's time."
    )
    manager_cost_per_year = models.FloatField(
        default=120_000.0,
        help_text="A key account manager's full yearly cost, shared among their accounts.",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "programme settings"
        constraints = (
            models.CheckConstraint(
                condition=Q(top_customer_alert_pct__gt=0, top_customer_alert_pct__lte=100)
                & Q(top5_alert_pct__gt=0, top5_alert_pct__lte=100),
                name="program_settings_shares_are_percentages",
            ),
            models.CheckConstraint(
                condition=Q(hhi_alert__gt=0, hhi_alert__lte=10_000),
                name="program_settings_hhi_within_range",
            ),
            models.CheckConstraint(
                condition=Q(hourly_rate__gte=0, sponsor_hourly_rate__gte=0)
                & Q(manager_cost_per_year__gte=0),
                name="program_settings_rates_not_negative",
            ),
        )

    def __str__(self) -> str:
        return "Programme settings"


class CostToServe(models.Model):
    """What serving one account cost over a period, as imported (from finance or an
    activity-based costing): replaces the estimate for the months it covers."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField(help_text="Last day of the period, inclusive.")
    amount = models.FloatField()
    note = models.CharField(max_length=300, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("account", "period_start")
        constraints = (
            models.UniqueConstraint(
                fields=["account", "period_start", "period_end"],
                name="cost_to_serve_one_per_period",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="cost_to_serve_period_in_order",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="cost_to_serve_not_negative"),
        )

    def __str__(self) -> str:
        return f"Cost to serve {self.account_id} {self.period_start}–{self.period_end}"


class KpiScope(models.TextChoices):
    """What a KPI target is set for."""

    PROGRAM = "program", "Programme"
    TIER = "tier", "Tier"
    MANAGER = "manager", "Manager"
    ACCOUNT = "account", "Account"


class KpiTarget(Revisioned):
    """The target of one KPI (``kam.performance.kpis.KPIS``) for the programme, a tier, a
    manager or an account; ``scope_key`` names which (empty for the programme)."""

    kpi = models.CharField(max_length=40)
    scope = models.CharField(max_length=10, choices=KpiScope.choices, default=KpiScope.PROGRAM)
    scope_key = models.CharField(max_length=150, blank=True)
    target = models.FloatField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("kpi", "scope", "scope_key")
        constraints = (
            models.UniqueConstraint(
                fields=["kpi", "scope", "scope_key"], name="kpi_target_one_per_scope"
            ),
            models.CheckConstraint(
                condition=Q(scope__in=KpiScope.values), name="kpi_target_scope_known"
            ),
        )

    def __str__(self) -> str:
        return f"{self.kpi} target {self.target} ({self.scope} {self.scope_key})".strip()


class ChecklistAnswer(models.Model):
    """One answer to an item of seed 003's implementation checklist: yes, partly or no, with
    the evidence and who owns it. Answers are never changed: a new answer is a new row, so
    the programme's maturity can be traced over time."""

    class Answer(models.TextChoices):
        YES = "yes", "Yes"
        PARTLY = "partly", "Partly"
        NO = "no", "No"

    item = models.CharField(max_length=40)
    answer = models.CharField(max_length=6, choices=Answer.choices)
    evidence = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ("item", "-answered_at", "-id")
        indexes = (models.Index(fields=["item", "answered_at"], name="checklist_item_time_idx"),)
        constraints = (
            models.CheckConstraint(
                condition=Q(answer__in=["yes", "partly", "no"]), name="checklist_answer_known"
            ),
        )

    def __str__(self) -> str:
        return f"{self.item}: {self.answer}"
