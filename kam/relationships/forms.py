"""Forms of the relationships pages; they validate input, the services do the writing."""

from typing import Any

from django import forms

from kam.accounts.models import Account
from kam.relationships.models import AlignmentLevel, Attitude, BuyingRole, Contact, Level
from kam.relationships.queries import relationship_revisions, supplier_people
from kam.revisions import RevisionField, RevisionsField
from kam.uploads import ImportFileField

CONTACT_SUFFIXES = (".csv", ".txt")
CONTACT_FILE_BYTES = 5 * 1024 * 1024
"""A contacts file is one account's people: thousands of rows at most, never megabytes more."""

SCALE = [(value, str(value)) for value in range(1, 6)]
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContactChoiceField(forms.ModelChoiceField):
    """A contact shown as 'name — title'."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} — {obj.title}" if obj.title else obj.name


class PersonChoiceField(forms.ModelChoiceField):
    """One of our people, by display name."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class ContactForm(forms.Form):
    """A contact at the customer; ``reports_to`` offers only contacts that cannot form a loop.

    Editing an existing contact carries its ``revision`` (the optimistic lock).
    """

    name = forms.CharField(max_length=200)
    title = forms.CharField(max_length=200, required=False)
    function = forms.CharField(max_length=120, required=False)
    level = forms.ChoiceField(choices=Level.choices, initial=Level.OPERATIONAL)
    buying_roles = forms.MultipleChoiceField(
        choices=BuyingRole.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    influence = forms.TypedChoiceField(choices=SCALE, coerce=int, initial=3)
    attitude = forms.TypedChoiceField(choices=Attitude.choices, coerce=int, initial=0)
    reports_to = ContactChoiceField(
        queryset=Contact.objects.none(), required=False, empty_label="— nobody (top of a tree)"
    )
    last_contact_date = forms.DateField(required=False, widget=DATE_INPUT)
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=64, required=False)

    def __init__(self, *args: Any, account: Account, contact: Contact | None = None, **kwargs: Any):
        if contact is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": contact.name,
                "title": contact.title,
                "function": contact.function,
                "level": contact.level,
                "buying_roles": contact.buying_roles,
                "influence": contact.influence,
                "attitude": contact.attitude,
                "reports_to": contact.reports_to_id,
                "last_contact_date": contact.last_contact_date,
                "email": contact.email,
                "phone": contact.phone,
                "revision": contact.revision,
            }
        super().__init__(*args, **kwargs)
        if contact is not None:
            self.fields["revision"] = RevisionField()
        managers = Contact.objects.filter(account=account).order_by("name")
        if contact is not None:
            managers = managers.exclude(pk__in=_self_and_below(contact))
        field = self.fields["reports_to"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = managers


def _self_and_below(contact: Contact) -> set[int]:
    parents = dict(
        Contact.objects.filter(account_id=contact.account_id).values_list("id", "reports_to_id")
    )
    below = {contact.pk}
    grew = True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in below and child not in below:
                below.add(child)
                grew = True
    return below


class RelationshipForm(forms.Form):
    """Who on our side knows which contact, and how strongly.

    It adds a relationship or updates the one the pair has; ``seen`` carries the revisions
    of the account's relationships as the page showed them (the optimistic lock).
    """

    contact = ContactChoiceField(queryset=Contact.objects.none())
    supplier_person = PersonChoiceField(queryset=supplier_people(), label="Our person")
    strength = forms.TypedChoiceField(choices=SCALE, coerce=int, initial=3)
    last_interaction_date = forms.DateField(required=False, widget=DATE_INPUT)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    seen = RevisionsField()

    def __init__(self, *args: Any, account: Account, **kwargs: Any):
        kwargs.setdefault("initial", {}).setdefault("seen", relationship_revisions(account))
        super().__init__(*args, **kwargs)
        contact = self.fields["contact"]
        person = self.fields["supplier_person"]
        assert isinstance(contact, forms.ModelChoiceField)
        assert isinstance(person, forms.ModelChoiceField)
        contact.queryset = Contact.objects.filter(account=account).order_by("name")
        person.queryset = supplier_people()


class AlignmentForm(forms.Form):
    """The alignment level of an account and why."""

    level = forms.ChoiceField(choices=AlignmentLevel.choices)
    rationale = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    revision = RevisionField()


class ContactImportForm(forms.Form):
    """A CSV of contacts for one account."""

    file = ImportFileField(
        suffixes=CONTACT_SUFFIXES,
        max_bytes=CONTACT_FILE_BYTES,
        help_text="CSV (.csv or .txt), UTF-8, with a header line; at most 5 MB.",
    )
