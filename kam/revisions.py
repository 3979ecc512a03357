"""Optimistic locking: one mechanism for every edit form, so nobody silently undoes a colleague.

An edit form carries the revision of the record as the editor saw it (``RevisionField``, a
hidden input). The service writes only when the record is still at that revision — one
UPDATE guarded by it (``save_revision``), so two concurrent saves cannot both pass — and
otherwise raises ``EditConflict`` and writes nothing. The page shows the conflict with
``_conflict.html``: who saved, what they saved and what the editor typed, field by field;
the form keeps the editor's input, now based on the revision just shown (``rebase``), so
saving again is a deliberate choice.

A form that adds *or* updates records of a set (a revenue target per year, a relationship
per pair of people) carries the revisions of every record the page showed
(``RevisionsField``); a record the page did not show was added by someone else meanwhile.
Records kept as history (policy versions, ratings) compare the latest version number or
rating instead of a column, and raise the same ``EditConflict``.

A guarded UPDATE is not a ``Model.save()``, so the ORM's ``post_save`` does not see it:
``saved`` is sent instead, inside the writing transaction, once the record is at its new
revision (a refused edit sends nothing). Apps that react to a record's change (the health
score is scored again) listen to both.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from django import forms
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone

from kam.audit import trail
from kam.audit.choices import Action

saved = Signal()
"""Sent by a guarded UPDATE that wrote: ``sender`` the model, ``instance`` the record as
saved, ``editor`` who saved it (None for a command)."""


class Revisioned(models.Model):
    """A record people edit in forms: ``revision`` counts its saves (0 when created)."""

    revision = models.PositiveIntegerField(
        default=0, help_text="Counts saves; an edit carries the revision it started from."
    )

    class Meta:
        abstract = True


@dataclass(frozen=True)
class Change:
    """One field two people saved differently: what is saved now, and what the editor typed."""

    label: str
    saved: str
    yours: str


class EditConflict(Exception):
    """Someone saved the record after the editor opened it: nothing was written.

    ``expected`` is the revision the editor started from (None: the record did not exist
    yet), ``current`` the revision saved now; ``changes`` are the fields that differ.
    """

    def __init__(
        self,
        what: str,
        *,
        by: str,
        expected: int | None,
        current: int,
        changes: Sequence[Change] = (),
    ):
        happened = "was changed" if expected is not None else "was added"
        super().__init__(
            f"{what} {happened} by {by} while you were editing; nothing was saved. "
            "Compare, then save again to keep your version."
        )
        self.what = what
        self.by = by
        self.expected = expected
        self.current = current
        self.changes = tuple(changes)


def editor_name(user: Any) -> str:
    """How a conflict names the person who saved: their name, or "someone"."""
    if user is None:
        return "someone"
    return str(getattr(user, "display_name", "") or user)


def _field(record: models.Model, name: str) -> Any:
    return record._meta.get_field(name)


def shown(record: models.Model, name: str, value: Any) -> str:
    """A field's value as a page shows it: labels for choices, names for people, lists joined."""
    field = _field(record, name)
    if value is None or value == "":
        return "—"
    if field.choices:
        labels = {str(key): label for key, label in field.flatchoices}
        if isinstance(value, list):
            return ", ".join(str(labels.get(str(item), item)) for item in value) or "—"
        return str(labels.get(str(value), value))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)


def changes_between(
    saved: models.Model, submitted: Mapping[str, Any], labels: Mapping[str, str] | None = None
) -> list[Change]:
    """The submitted fields whose value differs from what ``saved`` holds now (not the
    time of the save itself, which always differs)."""
    found: list[Change] = []
    for name, value in submitted.items():
        field = _field(saved, name)
        if isinstance(field, models.DateTimeField):
            continue
        current = getattr(saved, name)
        if _comparable(current) == _comparable(value):
            continue
        label = (labels or {}).get(name) or str(field.verbose_name).capitalize()
        choices = getattr(field, "base_field", field)
        if isinstance(current, dict) and isinstance(value, Mapping):
            found.extend(
                Change(
                    f"{label}: {key}",
                    str(current.get(key, "")) or "—",
                    str(value.get(key, "")) or "—",
                )
                for key in dict.fromkeys([*current, *value])
                if current.get(key, "") != value.get(key, "")
            )
        elif isinstance(current, list) and choices.choices:
            labelled = {str(k): str(v) for k, v in choices.flatchoices}
            found.append(
                Change(
                    label,
                    ", ".join(labelled.get(str(i), str(i)) for i in current) or "—",
                    ", ".join(labelled.get(str(i), str(i)) for i in value) or "—",
                )
            )
        else:
            found.append(Change(label, shown(saved, name, current), shown(saved, name, value)))
    return found


def _comparable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    return value


def save_revision(
    record: Revisioned,
    expected: int,
    values: Mapping[str, Any],
    *,
    what: str,
    editor: Any = None,
    editor_field: str | None = "updated_by",
    labels: Mapping[str, str] | None = None,
) -> None:
    """Write ``values`` onto ``record`` if it is still at revision ``expected``.

    Raises ``EditConflict`` naming who saved since and what differs, and writes nothing,
    when someone else saved first. On success ``record`` holds the saved values and its
    new revision.
    """
    model = type(record)
    updates: dict[str, Any] = dict(values)
    if editor_field is not None:
        updates[editor_field] = editor
    if any(getattr(field, "auto_now", False) for field in model._meta.concrete_fields):
        updates.setdefault("updated_at", timezone.now())
    stored = model._default_manager.filter(pk=record.pk, revision=expected).first()
    written = model._default_manager.filter(pk=record.pk, revision=expected).update(
        **updates, revision=F("revision") + 1
    )
    if not written:
        now = model._default_manager.get(pk=record.pk)
        raise EditConflict(
            what,
            by=editor_name(getattr(now, editor_field) if editor_field else None),
            expected=expected,
            current=now.revision,
            changes=changes_between(now, values, labels),
        )
    record.refresh_from_db()
    if stored is not None:  # an UPDATE the ORM's signals do not see: recorded here
        changed = trail.difference(trail.snapshot(stored), trail.snapshot(record))
        if changed:
            trail.record(Action.CHANGED, record, changes=changed)
    saved.send(sender=model, instance=record, editor=editor)


def check_unchanged(
    what: str,
    *,
    expected: int | None,
    current: int | None,
    by: Any,
    changes: Sequence[Change] = (),
) -> None:
    """Raise ``EditConflict`` unless the revision the editor saw is still the current one.

    For records the form may create (``expected`` None: "there was none") and for histories
    whose revision is a version number or the latest entry's id.
    """
    if expected == current:
        return
    raise EditConflict(
        what, by=editor_name(by), expected=expected, current=current or 0, changes=changes
    )


class RevisionField(forms.IntegerField):
    """The revision the editor started from, carried by the form as a hidden input.

    Empty means the record did not exist when the form was opened.
    """

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class RevisionsField(forms.CharField):
    """The revisions of every record of a set the page showed, as ``id:revision,…``."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dict[int, int]:  # type: ignore[override]
        """``{record id: revision}``; a record missing from it was not on the page."""
        seen: dict[int, int] = {}
        for pair in str(value or "").split(","):
            if not pair.strip():
                continue
            key, _, revision = pair.partition(":")
            try:
                seen[int(key)] = int(revision)
            except ValueError as error:
                raise forms.ValidationError(
                    "The page was out of date; reload it and try again."
                ) from error
        return seen

    @staticmethod
    def token(records: Iterable[Revisioned]) -> str:
        """The field's value for the records a page shows."""
        return ",".join(f"{record.pk}:{record.revision}" for record in records)


def rebase(form: forms.Form, **values: object) -> None:
    """Keep what the editor typed in ``form``, with its hidden revision fields set to the
    ones the conflict showed (``rebase(form, revision=conflict.current)``)."""
    data = form.data.copy()  # type: ignore[attr-defined]  # a QueryDict when bound
    for name, value in values.items():
        data[form.add_prefix(name)] = str(value)
    form.data = data


class Unchecked(Enum):
    """No revision to compare: the write comes from a command or the demo, not a form."""

    UNCHECKED = "unchecked"


UNCHECKED = Unchecked.UNCHECKED
Expected = int | None | Unchecked | Mapping[int, int]
"""What an editor saw: the record at a revision, no record (None), the revisions of every
record of a set the page showed (``RevisionsField``), or nothing to check."""


def save_or_create(
    model: type[Revisioned],
    lookup: Mapping[str, Any],
    expected: Expected,
    values: Mapping[str, Any],
    *,
    what: str,
    editor: Any = None,
    editor_field: str | None = "updated_by",
    labels: Mapping[str, str] | None = None,
) -> tuple[Revisioned, bool]:
    """Update the record ``lookup`` finds, or create it, unless someone saved it meanwhile.

    ``expected`` None means the editor saw no such record, so one that exists now was added
    by someone else; a mapping gives the revision of each record the page showed. A record
    created here starts at revision 1: its first save. Returns the record and whether it
    was created.
    """
    existing = model._default_manager.filter(**lookup).first()
    if isinstance(expected, Mapping):
        expected = expected.get(existing.pk) if existing is not None else None
    if existing is None:
        if isinstance(expected, int):
            raise EditConflict(what, by="someone", expected=expected, current=0)
        fields = dict(lookup) | dict(values)
        if editor_field is not None:
            fields[editor_field] = editor
        try:
            with transaction.atomic():
                return model._default_manager.create(**fields, revision=1), True
        except IntegrityError:
            if expected is UNCHECKED:
                raise
            existing = model._default_manager.get(**lookup)  # added by someone in the same instant
    if expected is None:
        raise EditConflict(
            what,
            by=editor_name(getattr(existing, editor_field) if editor_field else None),
            expected=None,
            current=existing.revision,
            changes=changes_between(existing, values, labels),
        )
    save_revision(
        existing,
        existing.revision if expected is UNCHECKED else expected,
        values,
        what=what,
        editor=editor,
        editor_field=editor_field,
        labels=labels,
    )
    return existing, False
