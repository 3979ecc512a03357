"""Every write of the engagement app: logging and correcting engagements, their follow-up
actions (actions of the account plan, written by ``kam.plans.services``), comments, the
cadence policy, and imports. Each function checks the acting user first, runs in one
transaction and raises ``EngagementError`` (keyed by field when one input is at fault) or
``EditConflict``; the page, the API or the command turns it into a message.

Each contact's *last contacted* date follows the log: a held engagement moves it forward
to its date; correcting one (another date, a contact taken off) moves it back to what the
log still shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max

from kam.accounts.errors import FieldErrors
from kam.accounts.models import Account
from kam.analytics.progress import Progress
from kam.audit import trail
from kam.audit.context import quiet
from kam.engagement import cadence
from kam.engagement.import_file import EngagementImportReport, import_engagements
from kam.engagement.models import (
    CadencePolicyVersion,
    Engagement,
    EngagementComment,
    EngagementKind,
    EngagementStatus,
)
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission
from kam.plans import services as plans
from kam.plans.models import AccountPlan, PlanAction, PlanStatus
from kam.relationships.models import Contact
from kam.revisions import check_unchanged, save_revision


class EngagementError(FieldErrors):
    """A change the engagement rules refuse; ``errors`` holds the reason per field."""


@dataclass(frozen=True)
class FollowUp:
    """A follow-up action agreed in an engagement: it becomes an action of the account plan."""

    action: str
    owner: User | None
    due_on: date


FIELDS = (
    "kind",
    "status",
    "date",
    "start_time",
    "duration_minutes",
    "title",
    "location",
    "notes",
    "outcome",
    "rating",
)
"""What an edit may change besides the people (``our_people``, ``contacts``)."""


def _clean(values: dict[str, Any], today: date) -> dict[str, str]:
    """Normalise ``values`` in place; the reasons the rules refuse them, keyed by field."""
    errors: dict[str, str] = {}
    if values.get("kind") not in EngagementKind.values:
        errors["kind"] = f"{values.get('kind')!r} is not a kind of engagement."
    if values.get("status") not in EngagementStatus.values:
        errors["status"] = "An engagement is planned, held or cancelled."
    day = values.get("date")
    if not isinstance(day, date):
        errors["date"] = "Give the day it is planned for or was held on."
    elif values.get("status") == EngagementStatus.HELD and day > today:
        errors["date"] = (
            f"{day:%-d %b %Y} is still ahead: log it as planned, and as held once it took place."
        )
    rating = values.get("rating")
    if rating is not None:
        if values.get("status") != EngagementStatus.HELD:
            errors["rating"] = "Only an engagement that was held is rated."
        elif not 1 <= int(rating) <= 5:
            errors["rating"] = "How it went is rated from 1 to 5."
    minutes = values.get("duration_minutes")
    if minutes is not None and not 1 <= int(minutes) <= 24 * 60:
        errors["duration_minutes"] = "A duration runs from 1 minute to a whole day (1440)."
    if values.get("start_time") is not None and not isinstance(values["start_time"], time):
        errors["start_time"] = "A start time is hours and minutes, e.g. 14:30."
    for name, limit in (("title", 200), ("location", 200)):
        if name in values:
            values[name] = (values[name] or "").strip()
            if len(values[name]) > limit:
                errors[name] = f"At most {limit} characters."
    for name in ("notes", "outcome"):
        if name in values:
            values[name] = (values[name] or "").strip()
    return errors


def _check_people(
    account: Account, our_people: Sequence[User] | None, contacts: Sequence[Contact] | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if our_people is not None:
        if not our_people:
            errors["our_people"] = "Name at least one person from our side."
        gone = [person.display_name for person in our_people if not person.is_active]
        if gone:
            errors["our_people"] = f"{', '.join(gone)} no longer works with kam."
    if contacts is not None:
        foreign = [c.name for c in contacts if c.account_id != account.customer_id]
        if foreign:
            errors["contacts"] = f"{', '.join(foreign)} is a contact of another account."
    return errors


def _plan_for_follow_ups(user: User, account: Account, today: date) -> AccountPlan:
    """The plan the follow-ups go to: the active one, else the latest draft, else a new
    draft started for them."""
    plan = (
        AccountPlan.objects.filter(account=account)
        .exclude(status=PlanStatus.ARCHIVED)
        .order_by("status", "-starts_on", "-id")
        .first()
    )
    return plan or plans.do_create_plan(user, account, today=today)


def _add_follow_ups(
    user: User, engagement: Engagement, follow_ups: Sequence[FollowUp], today: date
) -> list[PlanAction]:
    errors = {}
    for number, follow_up in enumerate(follow_ups, start=1):
        if not follow_up.action.strip():
            errors[f"follow_up_{number}"] = f"Follow-up {number}: say what the action is."
        if follow_up.owner is not None and not follow_up.owner.is_active:
            errors[f"follow_up_{number}"] = (
                f"Follow-up {number}: {follow_up.owner.display_name} no longer works with kam."
            )
    if errors:
        raise EngagementError(errors)
    if not follow_ups:
        return []
    plan = _plan_for_follow_ups(user, engagement.account, today)
    added = [
        plans.do_add_action(
            user, plan, action=item.action, owner=item.owner or user, due_on=item.due_on
        )
        for item in follow_ups
    ]
    engagement.follow_ups.add(*added)
    return added


def _refresh_last_contacted(
    user: User | None, contacts: Iterable[Contact], *, was: date | None = None
) -> None:
    """Keep each contact's last contacted date as the log shows it (see the module doc);
    ``was`` is the date the corrected engagement had before."""
    ids = {contact.pk for contact in contacts}
    if not ids:
        return
    latest = dict(
        Engagement.objects.filter(contacts__in=ids, status=EngagementStatus.HELD)
        .values("contacts")
        .annotate(last=Max("date"))
        .values_list("contacts", "last")
    )
    for contact in Contact.objects.filter(pk__in=ids):
        current, logged = contact.last_contact_date, latest.get(contact.pk)
        wanted = current
        if logged is not None and (current is None or logged > current):
            wanted = logged
        elif was is not None and current == was and (logged is None or logged < current):
            wanted = logged  # the correction took away what set it
        if wanted != current:
            save_revision(
                contact,
                contact.revision,
                {"last_contact_date": wanted},
                what=contact.name,
                editor=user,
            )


@transaction.atomic
def do_log_engagement(
    user: User,
    account: Account,
    *,
    kind: str,
    date: date,
    today: date,
    status: str | None = None,
    start_time: time | None = None,
    duration_minutes: int = 60,
    title: str = "",
    location: str = "",
    our_people: Sequence[User] = (),
    contacts: Sequence[Contact] = (),
    notes: str = "",
    outcome: str = "",
    rating: int | None = None,
    follow_ups: Sequence[FollowUp] = (),
) -> Engagement:
    """Log an engagement with ``account``: held (the default for a day up to today) or
    planned (the default for a day ahead), with who took part, how it went and its
    follow-up actions, which become actions of the account plan."""
    check_permission(user, Permission.LOG_ENGAGEMENTS, on=account)
    values: dict[str, Any] = {
        "kind": kind,
        "status": status or (EngagementStatus.HELD if date <= today else EngagementStatus.PLANNED),
        "date": date,
        "start_time": start_time,
        "duration_minutes": duration_minutes,
        "title": title,
        "location": location,
        "notes": notes,
        "outcome": outcome,
        "rating": rating,
    }
    errors = _clean(values, today) | _check_people(account, list(our_people), list(contacts))
    if errors:
        raise EngagementError(errors)
    engagement = Engagement.objects.create(
        account=account, created_by=user, updated_by=user, **values
    )
    engagement.our_people.set(our_people)
    engagement.contacts.set(contacts)
    _add_follow_ups(user, engagement, follow_ups, today)
    if engagement.status == EngagementStatus.HELD:
        _refresh_last_contacted(user, contacts)
    return engagement


@transaction.atomic
def do_update_engagement(
    user: User,
    engagement: Engagement,
    *,
    today: date,
    expected_revision: int | None = None,
    our_people: Sequence[User] | None = None,
    contacts: Sequence[Contact] | None = None,
    follow_ups: Sequence[FollowUp] = (),
    **changes: Any,
) -> Engagement:
    """Correct an engagement or record how a planned one went (any of ``FIELDS``, the
    people), adding ``follow_ups``; refused with ``EditConflict`` when someone saved it
    since ``expected_revision``."""
    check_permission(user, Permission.LOG_ENGAGEMENTS, on=engagement)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"not engagement fields: {', '.join(sorted(unknown))}")
    values = {name: getattr(engagement, name) for name in FIELDS} | changes
    errors = _clean(values, today)
    errors |= _check_people(
        engagement.account,
        list(our_people) if our_people is not None else None,
        list(contacts) if contacts is not None else None,
    )
    if errors:
        raise EngagementError(errors)
    before_contacts = list(engagement.contacts.all())
    before_date = engagement.date if engagement.status == EngagementStatus.HELD else None
    base = engagement.revision if expected_revision is None else expected_revision
    changed = {name: values[name] for name in FIELDS if values[name] != getattr(engagement, name)}
    if changed or our_people is not None or contacts is not None:
        save_revision(engagement, base, changed, what=engagement.heading, editor=user)
    if our_people is not None:
        engagement.our_people.set(our_people)
    if contacts is not None:
        engagement.contacts.set(contacts)
    _add_follow_ups(user, engagement, follow_ups, today)
    _refresh_last_contacted(
        user, [*before_contacts, *(contacts or before_contacts)], was=before_date
    )
    return engagement


@transaction.atomic
def do_add_follow_ups(
    user: User, engagement: Engagement, follow_ups: Sequence[FollowUp], *, today: date
) -> list[PlanAction]:
    """Add follow-up actions to an engagement: actions of the account's plan (its active
    plan, else its latest draft, else a draft started for them), owner and due date each."""
    check_permission(user, Permission.LOG_ENGAGEMENTS, on=engagement)
    return _add_follow_ups(user, engagement, follow_ups, today)


@transaction.atomic
def do_comment_on_engagement(user: User, engagement: Engagement, text: str) -> EngagementComment:
    """Add a remark to an engagement (its manager, the Head of KAM, its executive sponsor)."""
    check_permission(user, Permission.COMMENT_ON_ENGAGEMENTS, on=engagement)
    text = (text or "").strip()
    if not text:
        raise EngagementError({"text": "Write the comment first."})
    if len(text) > 5000:
        raise EngagementError({"text": "A comment holds at most 5,000 characters."})
    return EngagementComment.objects.create(
        engagement=engagement, account_id=engagement.account_id, author=user, text=text
    )


@transaction.atomic
def do_save_cadence_policy(
    user: User,
    rules: Iterable[cadence.CadenceRule],
    *,
    note: str = "",
    expected_version: int | None = None,
) -> CadencePolicyVersion:
    """Save the cadence policy as its next version; the due dates of every key account follow
    at once. Refused with ``EditConflict`` when someone saved a version after the one the
    editor started from (``expected_version``; 0 for the defaults)."""
    check_permission(user, Permission.EDIT_CADENCE)
    try:
        checked = cadence.check_rules(rules)
    except cadence.RuleProblem as problem:
        raise EngagementError({"rules": "; ".join(problem.problems)}) from None
    latest = CadencePolicyVersion.objects.select_for_update().order_by("-version").first()
    current = latest.version if latest else 0
    if expected_version is not None:
        check_unchanged(
            "The cadence policy",
            expected=expected_version,
            current=current,
            by=latest.created_by if latest else None,
        )
    return CadencePolicyVersion.objects.create(
        version=current + 1,
        rules=[rule.as_json() for rule in checked],
        note=(note or "").strip(),
        created_by=user,
    )


@transaction.atomic
def do_import_engagements(
    user: User,
    path: Path,
    *,
    today: date,
    file_label: str | None = None,
    progress: Progress | None = None,
) -> EngagementImportReport:
    """Import an engagement log from CSV or Excel, all or nothing.

    Every row is checked before anything is written; a bad file raises
    ``EngagementImportRefused`` naming every bad row by line (row for Excel), column and
    reason, and changes nothing. The importer must be allowed to log engagements on every
    account the file names. Rows match earlier imports by ``reference`` (else by account,
    kind, date and title), so importing the same file twice changes nothing the second time.
    """
    check_permission(user, Permission.LOG_ENGAGEMENTS)
    label = file_label or path.name
    with quiet():
        report = import_engagements(user, path, file_label=label, today=today, progress=progress)
    counts = {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
    trail.record_file("engagements", path, file_label=label, counts=counts)
    return report
