"""Forms of the selection pages. Every 400 is decided here; services do the writing."""

from dataclasses import replace
from typing import Any

from django import forms

from kam.analytics.selection.policy import (
    CriterionSource,
    PolicyError,
    Scale,
    ScaleKind,
    SelectionPolicy,
)
from kam.revisions import RevisionField
from kam.selection.models import QuadrantChoice, TierChoice
from kam.selection.queries import ScoreQuery
from kam.selection.snapshots import SORTABLE
from kam.uploads import ImportFileField

RATING_SUFFIXES = (".csv", ".txt")
RATING_FILE_BYTES = 100 * 1024 * 1024
"""Six ratings for each of a million accounts fit in well under 100 MB of CSV."""

RATING_CHOICES = [("", "—"), *[(str(v), str(v)) for v in range(1, 6)]]


def _bounds_text(scale: Scale) -> str:
    return ", ".join(f"{b:g}" for b in scale.bounds)


class PolicyForm(forms.Form):
    """The editable parts of a policy: weights, scale bounds, key-account share, cut-offs."""

    name = forms.CharField(max_length=200)
    key_account_share = forms.FloatField(
        min_value=0.1, max_value=100, label="Key-account share (%)",
        help_text="The top share of customers with revenue that become key accounts.",
    )  # fmt: skip
    quadrant_cut = forms.FloatField(
        min_value=1, max_value=5, required=False, label="Four-box cut (points)",
        help_text="Leave empty to cut each axis at the key accounts' mean (McDonald's types are "
        "relative to the key-account portfolio); a number fixes the cut in points.",
    )  # fmt: skip
    keep_band = forms.FloatField(
        min_value=0, max_value=1000, label="Keep band (%)",
        help_text="A key account stays while it ranks within the key-set size plus this share.",
    )  # fmt: skip
    entry_band = forms.FloatField(
        min_value=0, max_value=100, label="Entry band (%)",
        help_text="A newcomer enters only when it ranks within the key-set size less this share.",
    )  # fmt: skip
    max_churn = forms.FloatField(
        min_value=0, max_value=100, label="Churn flagged above (%)",
        help_text="A proposal removing more of the key accounts than this is flagged.",
    )  # fmt: skip
    declining_trend = forms.FloatField(
        min_value=-100, max_value=0, label="Declining below (% a year)",
        help_text="An account whose revenue trend is below this is flagged declining.",
    )  # fmt: skip
    min_growth = forms.FloatField(
        label="High-potential growth (% a year)",
        help_text="A non-key account must grow at least this fast to join the high-potential "
        "track.",
    )  # fmt: skip
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Why this change"
    )
    revision = RevisionField(help_text="The policy version this edit starts from.")

    BANDS = ("keep_band", "entry_band", "max_churn", "declining_trend")

    def __init__(self, *args: Any, policy: SelectionPolicy, **kwargs: Any) -> None:
        self.policy = policy
        initial = {
            "revision": policy.version,
            "name": policy.name,
            "key_account_share": round(policy.key_account_share * 100, 4),
            "quadrant_cut": policy.quadrant_cut,
            **{name: round(getattr(policy, name) * 100, 4) for name in self.BANDS},
            "min_growth": round(policy.high_potential_rule.min_growth * 100, 4),
        }
        for c in policy.criteria:
            initial[f"weight__{c.key}"] = c.weight
            initial[f"bounds__{c.key}"] = _bounds_text(c.scale)
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for c in policy.criteria:
            self.fields[f"weight__{c.key}"] = forms.FloatField(
                min_value=0, label=f"{c.label} weight"
            )
            if c.scale.bounds and c.source is CriterionSource.MEASURED:
                self.fields[f"bounds__{c.key}"] = forms.CharField(
                    label=f"{c.label} {c.scale.kind.value}",
                    help_text="low, high" if c.scale.kind is ScaleKind.LINEAR else "4 cut points",
                )

    def band_fields(self) -> list[forms.BoundField]:
        """The stability bands and flag lines, for the template's "Stability and flags"."""
        return [self[name] for name in (*self.BANDS, "min_growth")]

    def rows(self) -> list[dict[str, Any]]:
        """The criteria with their bound fields, for the template's table."""
        return [
            {
                "criterion": c,
                "weight": self[f"weight__{c.key}"],
                "bounds": self[f"bounds__{c.key}"] if f"bounds__{c.key}" in self.fields else None,
            }
            for c in self.policy.criteria
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        criteria = []
        for c in self.policy.criteria:
            scale = c.scale
            name = f"bounds__{c.key}"
            if name in self.fields:
                try:
                    bounds = tuple(
                        float(b) for b in data[name].replace(";", ",").split(",") if b.strip()
                    )
                except ValueError:
                    self.add_error(name, f"{c.key}: bounds must be numbers separated by commas")
                    continue
                scale = Scale(c.scale.kind, bounds)
            criteria.append(replace(c, weight=data[f"weight__{c.key}"], scale=scale))
        if self.errors:
            return data
        try:
            self.cleaned_policy = replace(
                self.policy,
                name=data["name"].strip(),
                key_account_share=data["key_account_share"] / 100,
                quadrant_cut=data["quadrant_cut"],
                criteria=tuple(criteria),
                **{name: data[name] / 100 for name in self.BANDS},
                high_potential_rule=replace(
                    self.policy.high_potential_rule, min_growth=data["min_growth"] / 100
                ),
            )
        except PolicyError as error:
            raise forms.ValidationError(str(error)) from None
        return data


class PolicyUploadForm(forms.Form):
    """A TOML policy file to save as a new version."""

    file = forms.FileField(label="Policy file (.toml)")
    note = forms.CharField(required=False, max_length=500)

    def text(self) -> str:
        raw = self.cleaned_data["file"].read()
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("the file is not UTF-8 text") from None


class RatingForm(forms.Form):
    """One person's 1–5 ratings of one account, one field per rated criterion.

    ``revision`` is the id of the account's latest rating when the form was opened: ratings
    are kept as history, so "someone rated since" is a newer rating.
    """

    note = forms.CharField(required=False, max_length=300)
    revision = RevisionField()

    def __init__(self, *args: Any, policy: SelectionPolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rated = [c for c in policy.criteria if c.source is CriterionSource.RATED]
        for c in self.rated:
            self.fields[c.key] = forms.TypedChoiceField(
                choices=RATING_CHOICES, coerce=int, empty_value=None, required=False,
                label=c.label, help_text=c.description,
            )  # fmt: skip

    def values(self) -> dict[str, int | None]:
        return {c.key: self.cleaned_data.get(c.key) for c in self.rated}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not any(v is not None for v in self.values().values()):
            raise forms.ValidationError("choose at least one rating")
        return data


class RatingImportForm(forms.Form):
    """A CSV file of ratings: customer_id, criterion, value[, rated_by]."""

    file = ImportFileField(
        suffixes=RATING_SUFFIXES,
        max_bytes=RATING_FILE_BYTES,
        label="Ratings file (.csv)",
        help_text="CSV (.csv or .txt), UTF-8, with a header line; at most 100 MB.",
    )


class OverrideForm(forms.Form):
    """Decide otherwise than the cycle proposes, and say why."""

    customer_id = forms.CharField(max_length=64)
    is_key = forms.TypedChoiceField(
        choices=[("1", "Key account"), ("0", "Not a key account")],
        coerce=lambda v: v == "1",
        label="Decision",
    )
    reason = forms.CharField(required=False, max_length=1000)
    shown = forms.TypedChoiceField(
        choices=[("1", "Key account"), ("0", "Not a key account")],
        coerce=lambda v: v == "1",
        required=False,
        empty_value=None,
        widget=forms.HiddenInput,
        help_text="The decision the page showed: someone else's change since is not overwritten.",
    )


class CycleForm(forms.Form):
    """A new selection cycle: at which as-of date, under which name."""

    as_of = forms.DateField(
        required=False, label="As of", widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: the latest transaction in the store.",
    )  # fmt: skip
    name = forms.CharField(required=False, max_length=120)


class ScoreFilterForm(forms.Form):
    """The score table's search, filters, sort and page, read from the query string."""

    q = forms.CharField(required=False)
    region = forms.CharField(required=False)
    segment = forms.CharField(required=False)
    tier = forms.ChoiceField(required=False, choices=[("", "Any tier"), *TierChoice.choices])
    quadrant = forms.ChoiceField(
        required=False, choices=[("", "Any type"), *QuadrantChoice.choices]
    )
    key = forms.BooleanField(required=False)
    sort = forms.ChoiceField(required=False, choices=[(k, k) for k in SORTABLE])
    dir = forms.ChoiceField(required=False, choices=[("asc", "asc"), ("desc", "desc")])
    page = forms.IntegerField(required=False, min_value=1)

    def to_query(self) -> ScoreQuery:
        """The query the form describes; anything invalid falls back to its default."""
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return ScoreQuery(
            search=(data.get("q") or "").strip(),
            region=data.get("region") or "",
            segment=data.get("segment") or "",
            tier=data.get("tier") or "",
            quadrant=data.get("quadrant") or "",
            key_only=bool(data.get("key")),
            sort=data.get("sort") or "rank",
            descending=data.get("dir") == "desc",
            page=data.get("page") or 1,
        )


class SponsorCapacityForm(forms.Form):
    """How many Tier 1 accounts one executive sponsor may sponsor."""

    sponsor = forms.CharField(max_length=150)
    max_accounts = forms.IntegerField(min_value=0, max_value=50, label="Capacity")
