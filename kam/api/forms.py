"""The form of the API tokens page."""

from django import forms

from kam.api.services import DEFAULT_DAYS, MAX_DAYS

LIFETIMES = (7, 30, 90, 180, 365)


class TokenForm(forms.Form):
    """Create a personal API token: what it is for, and how many days it lasts."""

    name = forms.CharField(
        max_length=100,
        label="What it is for",
        widget=forms.TextInput(attrs={"placeholder": "e.g. CRM sync"}),
    )
    days = forms.TypedChoiceField(
        coerce=int,
        initial=DEFAULT_DAYS,
        label="Expires after",
        choices=[(days, f"{days} days") for days in LIFETIMES if days <= MAX_DAYS],
    )
