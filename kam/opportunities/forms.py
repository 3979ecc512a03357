"""Forms of the opportunity pages. They validate input (all 400s happen here); services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from kam.accounts.models import Account
from kam.engagement.forms import OwnerField, our_side
from kam.opportunities.models import OPEN_STAGES, Opportunity, Stage
from kam.opportunities.verdict import QUESTION_HINTS, Question
from kam.revisions import RevisionField
from kam.uploads import ImportFileField

SCORES = [("", "Not answered"), *((str(n), f"{n} — {w}") for n, w in (
    (1, "no"), (2, "hardly"), (3, "partly"), (4, "mostly"), (5, "clearly yes"),
))]  # fmt: skip


class OpportunityForm(forms.Form):
    """An open opportunity: what, worth how much, by when, where, against whom, whose."""

    revision = RevisionField()
    name = forms.CharField(max_length=200)
    value = forms.DecimalField(min_value=0, max_digits=16, decimal_places=2)
    expected_close_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    stage = forms.ChoiceField(choices=[(s.value, s.label) for s in OPEN_STAGES])
    probability = forms.IntegerField(
        min_value=0, max_value=100, required=False, help_text="Empty: the stage's default."
    )
    product_category = forms.CharField(max_length=128)
    business_unit = forms.CharField(max_length=128, required=False, label="Business unit or site")
    competitors = forms.CharField(max_length=500, required=False, help_text="Separated by commas.")
    owner = OwnerField(queryset=None, required=False)

    def __init__(
        self, account: Account, *args: Any, categories: Any = (), units: Any = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = our_side(account)  # type: ignore[attr-defined]
        for name, known in (("product_category", categories), ("business_unit", units)):
            self.fields[name].widget.attrs["list"] = f"{name}-choices"
            self.fields[name].known = list(known)  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(opportunity: Opportunity) -> dict[str, Any]:
        return {
            "revision": opportunity.revision,
            "name": opportunity.name,
            "value": opportunity.value,
            "expected_close_date": opportunity.expected_close_date,
            "stage": opportunity.stage,
            "probability": opportunity.probability,
            "product_category": opportunity.product_category,
            "business_unit": opportunity.business_unit,
            "competitors": ", ".join(opportunity.competitors),
            "owner": opportunity.owner,
        }

    def competitor_list(self) -> list[str]:
        return [c.strip() for c in self.cleaned_data["competitors"].split(",") if c.strip()]


class QualificationForm(forms.Form):
    """The four questions: a 1–5 score and the evidence for each."""

    revision = RevisionField()
    expected_margin_pct = forms.DecimalField(
        required=False, max_digits=5, decimal_places=1, min_value=-100, max_value=100,
        label="Expected gross margin, %",
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in Question:
            self.fields[f"{question.value}_score"] = forms.TypedChoiceField(
                choices=SCORES, coerce=int, empty_value=None, required=False,
                label="Score", help_text=QUESTION_HINTS[question],
            )  # fmt: skip
            self.fields[f"{question.value}_evidence"] = forms.CharField(
                required=False, max_length=5000, label="Evidence",
                widget=forms.Textarea(attrs={"rows": 2}),
            )  # fmt: skip

    def questions(self) -> list[tuple[Question, Any, Any]]:
        return [(q, self[f"{q.value}_score"], self[f"{q.value}_evidence"]) for q in Question]


class CloseForm(forms.Form):
    """Won or lost, on which day, and why."""

    revision = RevisionField()
    outcome = forms.ChoiceField(choices=[(Stage.WON.value, "Won"), (Stage.LOST.value, "Lost")])
    closed_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class WalletForm(forms.Form):
    """What the account spends in a category in a year, with every supplier."""

    category = forms.CharField(max_length=128)
    amount = forms.DecimalField(min_value=0, max_digits=16, decimal_places=2, required=False)
    source = forms.CharField(max_length=200, required=False)


class ImportForm(forms.Form):
    """A file of opportunities or wallet estimates."""

    file = ImportFileField(suffixes=(".csv", ".txt", ".xlsx"), what="CSV or Excel")
