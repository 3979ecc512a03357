"""Writes to the relationship map: contacts, our relationships with them, alignment levels.

Every function checks the acting user first (``check_permission``), validates what a single
form could not (same account, reporting loops, duplicates) and raises ``ValidationError``
keyed by field name, so a form can show the reason next to the field. An edit that carries
the revision its form started from is refused with ``EditConflict`` when someone saved the
record since (``kam.revisions``); commands and the demo pass none and are not checked.
"""

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from kam.accounts.models import Account
from kam.audit import trail
from kam.audit.choices import Action
from kam.audit.context import quiet
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission
from kam.relationships.contact_import import ContactImportReport, import_contacts
from kam.relationships.mapping import would_create_cycle
from kam.relationships.models import (
    AccountAlignment,
    AlignmentLevel,
    Attitude,
    BuyingRole,
    Contact,
    Level,
    Relationship,
)
from kam.revisions import UNCHECKED, Expected, save_or_create, save_revision

CONTACT_FIELDS = (
    "name",
    "title",
    "function",
    "level",
    "buying_roles",
    "influence",
    "attitude",
    "reports_to",
    "last_contact_date",
    "email",
    "phone",
)


@transaction.atomic
def do_add_contact(
    user: User,
    account: Account,
    *,
    name: str,
    title: str = "",
    function: str = "",
    level: str = Level.OPERATIONAL,
    buying_roles: Iterable[str] = (),
    influence: int = 3,
    attitude: int = Attitude.NEUTRAL,
    reports_to: Contact | None = None,
    last_contact_date: date | None = None,
    email: str = "",
    phone: str = "",
) -> Contact:
    """Map a new person at ``account``, optionally reporting to one of its contacts."""
    check_permission(user, Permission.EDIT_RELATIONSHIPS, on=account)
    contact = Contact(account=account, updated_by=user)
    _apply(
        contact,
        {
            "name": name,
            "title": title,
            "function": function,
            "level": level,
            "buying_roles": buying_roles,
            "influence": influence,
            "attitude": attitude,
            "reports_to": reports_to,
            "last_contact_date": last_contact_date,
            "email": email,
            "phone": phone,
        },
    )
    contact.save()
    return contact


@transaction.atomic
def do_update_contact(
    user: User, contact: Contact, *, expected_revision: int | None = None, **changes: Any
) -> Contact:
    """Change some of a contact's fields (any of ``CONTACT_FIELDS``); the rest stay as they are.

    With ``expected_revision`` (the revision the edit form was opened at) the save is
    refused with ``EditConflict`` if someone saved the contact since.
    """
    check_permission(user, Permission.EDIT_RELATIONSHIPS, on=contact)
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"not contact fields: {', '.join(sorted(unknown))}")
    _apply(contact, changes)
    base = contact.revision if expected_revision is None else expected_revision
    save_revision(contact, base, changes, what=contact.name, editor=user)
    return contact


@transaction.atomic
def do_remove_contact(user: User, contact: Contact) -> None:
    """Remove a contact; the people who reported to them now report to their manager."""
    check_permission(user, Permission.EDIT_RELATIONSHIPS, on=contact)
    reports = list(contact.reports.all())
    contact.reports.update(reports_to=contact.reports_to)
    trail.record_each(
        Action.CHANGED, reports, lambda report: {"reports_to": [contact.pk, contact.reports_to_id]}
    )
    contact.delete()


@transaction.atomic
def do_link_relationship(
    user: User,
    contact: Contact,
    supplier_person: User,
    *,
    strength: int,
    notes: str = "",
    last_interaction_date: date | None = None,
    seen: Expected = UNCHECKED,
) -> Relationship:
    """Record that ``supplier_person`` knows ``contact`` with ``strength`` 1–5 (or update it).

    ``seen`` holds the revisions of the account's relationships as the form showed them: a
    pair saved or added by someone else since is refused with ``EditConflict``.
    """
    check_permission(user, Permission.EDIT_RELATIONSHIPS, on=contact)
    if not 1 <= int(strength) <= 5:
        raise ValidationError({"strength": "Strength runs from 1 to 5."})
    if not supplier_person.is_active:
        raise ValidationError({"supplier_person": f"{supplier_person} is no longer active."})
    relationship, _ = save_or_create(
        Relationship,
        {"contact": contact, "supplier_person": supplier_person},
        seen,
        {
            "strength": int(strength),
            "notes": notes,
            "last_interaction_date": last_interaction_date,
        },
        what=f"{supplier_person.display_name}'s relationship with {contact.name}",
        editor=user,
    )
    assert isinstance(relationship, Relationship)
    return relationship


@transaction.atomic
def do_unlink_relationship(user: User, relationship: Relationship) -> None:
    """Forget that one of our people knows a contact."""
    check_permission(user, Permission.EDIT_RELATIONSHIPS, on=relationship)
    relationship.delete()


@transaction.atomic
def do_set_alignment(
    user: User,
    account: Account,
    level: str,
    *,
    rationale: str = "",
    now: datetime | None = None,
    expected_revision: Expected = UNCHECKED,
) -> AccountAlignment:
    """Set the account's alignment level (Vendor … Partner), recording who, when and why.

    ``expected_revision`` is the level's revision when the form was opened (None: no level
    was set); someone else's save since is refused with ``EditConflict``.
    """
    check_permission(user, Permission.EDIT_RELATIONSHIPS, on=account)
    if level not in AlignmentLevel.values:
        raise ValidationError({"level": f"Unknown alignment level {level!r}."})
    alignment, _ = save_or_create(
        AccountAlignment,
        {"account": account},
        expected_revision,
        {"level": level, "set_at": now or timezone.now(), "rationale": rationale.strip()},
        what=f"The alignment level of {account.name}",
        editor=user,
        editor_field="set_by",
    )
    assert isinstance(alignment, AccountAlignment)
    return alignment


@transaction.atomic
def do_import_contacts(
    user: User, account: Account, path: Path, *, file_label: str | None = None
) -> ContactImportReport:
    """Import contacts for ``account`` from a CSV file, all or nothing.

    A bad file raises ``ContactImportRefused`` naming every bad row by line, column and
    reason, and changes nothing. Columns: see ``contact_import.COLUMNS`` and
    docs/relationships.md. Rows match existing contacts by email, else by name, so
    importing the same file twice changes nothing the second time.
    """
    check_permission(user, Permission.EDIT_RELATIONSHIPS, on=account)
    label = file_label or path.name
    with quiet():
        report = import_contacts(account, path, file_label=label)
    if not report.refused:
        counts = {
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
        }
        trail.record_file("contacts", path, file_label=label, counts=counts, account=account)
    return report


def _apply(contact: Contact, values: dict[str, Any]) -> None:
    """Validate ``values`` and set them on ``contact``; raise ValidationError keyed by field."""
    errors: dict[str, str] = {}
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
        if not values["name"]:
            errors["name"] = "A contact needs a name."
    if "level" in values and values["level"] not in Level.values:
        errors["level"] = f"Unknown level {values['level']!r}."
    if "buying_roles" in values:
        roles = list(dict.fromkeys(values["buying_roles"] or ()))
        bad = [role for role in roles if role not in BuyingRole.values]
        if bad:
            errors["buying_roles"] = f"Unknown buying role {', '.join(map(repr, bad))}."
        # Stored in the order of the BuyingRole enum so the same set always reads the same.
        values["buying_roles"] = [role for role in BuyingRole.values if role in roles]
    if "influence" in values and not 1 <= int(values["influence"]) <= 5:
        errors["influence"] = "Influence runs from 1 to 5."
    if "attitude" in values and int(values["attitude"]) not in Attitude.values:
        errors["attitude"] = "Attitude runs from strongly negative (-2) to strongly positive (2)."
    if "email" in values:
        values["email"] = (values["email"] or "").strip().lower()
        if values["email"] and (
            Contact.objects.filter(account=contact.account, email=values["email"])
            .exclude(pk=contact.pk)
            .exists()
        ):
            errors["email"] = f"Another contact of this account has the email {values['email']}."
    manager = values.get("reports_to")
    if manager is not None:
        if manager.account_id != contact.account_id:
            errors["reports_to"] = f"{manager.name} is a contact of another account."
        elif contact.pk is not None:
            parents = dict(
                Contact.objects.filter(account=contact.account).values_list("id", "reports_to_id")
            )
            if would_create_cycle(parents, contact.pk, manager.pk):
                errors["reports_to"] = (
                    f"{contact.name} cannot report to {manager.name}: "
                    f"{manager.name} already reports, directly or not, to {contact.name}."
                    if manager.pk != contact.pk
                    else f"{contact.name} cannot report to themselves."
                )
    if errors:
        raise ValidationError(errors)
    for key, value in values.items():
        setattr(contact, key, value)
