"""Forms of the programme view: its settings, a KPI target, a checklist answer and a
cost-to-serve file. They validate input; the services write."""

from django import forms

from kam.analytics.program.kpis import KPIS
from kam.people.models import User
from kam.performance.checklist import ITEMS
from kam.performance.models import ChecklistAnswer, KpiScope
from kam.revisions import RevisionField
from kam.uploads import ImportFileField

COST_SUFFIXES = (".csv", ".txt", ".xlsx")
COST_FILE_BYTES = 20 * 1024 * 1024


class ProgramSettingsForm(forms.Form):
    """When concentration raises an alert, and the rates of the cost-to-serve estimate."""

    top_customer_alert_pct = forms.FloatField(
        label="Alert: largest customer's share of revenue above (%)", min_value=0.1, max_value=100
    )
    top5_alert_pct = forms.FloatField(
        label="Alert: five largest customers' share above (%)", min_value=0.1, max_value=100
    )
    hhi_alert = forms.FloatField(
        label="Alert: Herfindahl–Hirschman index above (0–10,000)", min_value=1, max_value=10_000
    )
    hourly_rate = forms.FloatField(label="Our people's time in engagements, per hour", min_value=0)
    sponsor_hourly_rate = forms.FloatField(
        label="An executive sponsor's time, per hour", min_value=0
    )
    manager_cost_per_year = forms.FloatField(
        label="A key account manager's yearly cost (shared among their accounts)", min_value=0
    )
    revision = RevisionField()


class KpiTargetForm(forms.Form):
    """The target of one KPI for one scope."""

    kpi = forms.ChoiceField(choices=[(kpi.key, kpi.label) for kpi in KPIS])
    scope = forms.ChoiceField(choices=KpiScope.choices, initial=KpiScope.PROGRAM)
    scope_key = forms.CharField(required=False, max_length=150)
    target = forms.FloatField(min_value=-1_000, max_value=1_000)
    revision = RevisionField()


class ChecklistAnswerForm(forms.Form):
    """An answer to one checklist item, with its evidence and owner."""

    item = forms.ChoiceField(choices=[(item.key, item.text) for item in ITEMS])
    answer = forms.ChoiceField(choices=ChecklistAnswer.Answer.choices)
    evidence = forms.CharField(required=False, max_length=2000, widget=forms.Textarea({"rows": 2}))
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"), required=False
    )


class CostImportForm(forms.Form):
    """A cost-to-serve file: one row per account and period."""

    file = ImportFileField(
        suffixes=COST_SUFFIXES,
        max_bytes=COST_FILE_BYTES,
        what="CSV or Excel",
        help_text="CSV (.csv, .txt) or Excel (.xlsx) with a header line; at most 20 MB.",
    )
