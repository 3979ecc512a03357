"""Forms of the engagement pages. They validate input (all 400s happen here); services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from kam.accounts.models import Account
from kam.engagement import cadence
from kam.engagement.models import Engagement, EngagementKind, EngagementStatus
from kam.people.models import User
from kam.people.roles import Role
from kam.relationships.models import Contact
from kam.revisions import RevisionField

FOLLOW_UP_ROWS = 3
RATINGS = [("", "Not rated"), *((str(n), f"{n} — {w}") for n, w in (
    (1, "went badly"), (2, "below hopes"), (3, "as expected"), (4, "went well"), (5, "excellent"),
))]  # fmt: skip


class PeopleField(forms.ModelMultipleChoiceField):
    """Our people, by name, as checkboxes."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.title})" if obj.title else obj.display_name


class ContactsField(forms.ModelMultipleChoiceField):
    """The account's contacts, by name and title, as checkboxes."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} — {obj.title}" if obj.title else obj.name


class OwnerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name


def our_side(account: Account, also: Any = ()) -> Any:
    """Who may be named from our side: the account's manager, team and executive sponsor,
    the Head of KAM and the executive sponsors (top-to-top meetings), and whoever is named
    already (``also``: an engagement's people, the person logging)."""
    roles = [Role.HEAD_OF_KAM.value, Role.EXECUTIVE_SPONSOR.value]
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(groups__name__in=roles)
            | Q(account_teams=account)
            | Q(managed_key_accounts__account=account)
            | Q(pk__in=[person.pk for person in also])
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class EngagementForm(forms.Form):
    """Log or correct an engagement; up to three follow-up actions ride along."""

    kind = forms.ChoiceField(choices=EngagementKind.choices, label="Kind")
    status = forms.ChoiceField(
        choices=EngagementStatus.choices,
        widget=forms.RadioSelect,
        label="Status",
        initial=EngagementStatus.HELD,
    )
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Date")
    start_time = forms.TimeField(
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        label="Start time",
        help_text="Empty for an all-day entry.",
    )
    duration_minutes = forms.IntegerField(
        min_value=1, max_value=24 * 60, initial=60, label="Duration (minutes)"
    )
    title = forms.CharField(max_length=200, required=False, label="Title")
    location = forms.CharField(max_length=200, required=False, label="Location or link")
    our_people = PeopleField(queryset=User.objects.none(), label="Our side")
    contacts = ContactsField(queryset=Contact.objects.none(), required=False, label="Their side")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, label="Notes")
    outcome = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Outcome"
    )
    rating = forms.TypedChoiceField(
        choices=RATINGS, coerce=int, empty_value=None, required=False, label="How it went"
    )
    revision = RevisionField()

    def __init__(
        self,
        account: Account,
        *args: Any,
        engagement: Engagement | None = None,
        user: User | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        named = list(engagement.our_people.all()) if engagement else []
        named += [person for person in (user,) if person is not None]
        self.fields["our_people"].queryset = our_side(account, named)  # type: ignore[attr-defined]
        self.fields["contacts"].queryset = Contact.objects.filter(  # type: ignore[attr-defined]
            account=account
        ).order_by("name")
        owners = our_side(account, named)
        for number in range(1, FOLLOW_UP_ROWS + 1):
            self.fields[f"follow_up_{number}_action"] = forms.CharField(
                max_length=300, required=False, label=f"Follow-up {number}"
            )
            self.fields[f"follow_up_{number}_owner"] = OwnerField(
                queryset=owners, required=False, label="Owner", empty_label="Me"
            )
            self.fields[f"follow_up_{number}_due_on"] = forms.DateField(
                required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Due"
            )

    def follow_up_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (
                self[f"follow_up_{n}_action"],
                self[f"follow_up_{n}_owner"],
                self[f"follow_up_{n}_due_on"],
            )
            for n in range(1, FOLLOW_UP_ROWS + 1)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for number in range(1, FOLLOW_UP_ROWS + 1):
            action = (data.get(f"follow_up_{number}_action") or "").strip()
            due = data.get(f"follow_up_{number}_due_on")
            if action and due is None:
                self.add_error(f"follow_up_{number}_due_on", "A follow-up needs a due date.")
            if due is not None and not action:
                self.add_error(f"follow_up_{number}_action", "Say what the follow-up is.")
        return data

    def follow_ups(self) -> list[tuple[str, User | None, Any]]:
        """The filled follow-up rows: (action, owner or None for "me", due date)."""
        found = []
        for number in range(1, FOLLOW_UP_ROWS + 1):
            action = (self.cleaned_data.get(f"follow_up_{number}_action") or "").strip()
            if action:
                found.append(
                    (
                        action,
                        self.cleaned_data.get(f"follow_up_{number}_owner"),
                        self.cleaned_data[f"follow_up_{number}_due_on"],
                    )
                )
        return found

    @staticmethod
    def initial_for(engagement: Engagement) -> dict[str, Any]:
        return {
            "kind": engagement.kind,
            "status": engagement.status,
            "date": engagement.date,
            "start_time": engagement.start_time,
            "duration_minutes": engagement.duration_minutes,
            "title": engagement.title,
            "location": engagement.location,
            "our_people": list(engagement.our_people.all()),
            "contacts": list(engagement.contacts.all()),
            "notes": engagement.notes,
            "outcome": engagement.outcome,
            "rating": engagement.rating or "",
            "revision": engagement.revision,
        }


class CommentForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label="Comment"
    )


class CadenceRuleForm(forms.Form):
    """One rule of the cadence policy; a row with no interval is left out."""

    tier = forms.ChoiceField(
        choices=[(tier, cadence.TIER_LABELS[tier]) for tier in cadence.KEY_TIERS], label="Tier"
    )
    kind = forms.ChoiceField(choices=EngagementKind.choices, label="Touchpoint")
    every_days = forms.IntegerField(
        min_value=cadence.MIN_DAYS, max_value=cadence.MAX_DAYS, required=False, label="Every (days)"
    )
    with_sponsor = forms.BooleanField(required=False, label="Sponsor present")


CadenceRuleFormSet = forms.formset_factory(CadenceRuleForm, extra=2, max_num=40)


class CadenceNoteForm(forms.Form):
    note = forms.CharField(
        max_length=500, required=False, label="Why this change", widget=forms.TextInput()
    )
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
