"""Reading the audit trail: one object's history, and the whole trail filtered."""

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from kam.audit.models import AuditEntry
from kam.audit.trail import HIDDEN

HISTORY_LENGTH = 200
"""The newest entries a History page shows; the administrators' trail pages through all."""


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class ShownEntry:
    """An entry as a page shows it: values in words, financial ones left out if need be."""

    entry: AuditEntry
    changes: tuple[Change, ...]
    hidden: int
    """How many changed fields the reader may not see (financial figures)."""

    @property
    def detail(self) -> dict[str, Any]:
        return self.entry.detail


def history(
    *, account_id: str | None = None, plan_id: int | None = None, contact_id: int | None = None
) -> QuerySet[AuditEntry]:
    """The entries about one account (everything that belongs to it), plan or contact."""
    if plan_id is not None:
        return AuditEntry.objects.filter(plan_id=plan_id)
    if contact_id is not None:
        return AuditEntry.objects.filter(
            Q(contact_id=contact_id)
            | Q(object_type="relationships.contact", object_id=str(contact_id))
        )
    return AuditEntry.objects.filter(account_id=account_id)


@dataclass(frozen=True)
class TrailFilter:
    actor: str = ""
    interface: str = ""
    action: str = ""
    object_type: str = ""
    account_id: str = ""
    since: date | None = None
    until: date | None = None


def trail(chosen: TrailFilter) -> QuerySet[AuditEntry]:
    """The whole trail, newest first, narrowed by ``chosen`` (each part optional)."""
    entries = AuditEntry.objects.all()
    if chosen.actor:
        entries = entries.filter(actor__iexact=chosen.actor)
    if chosen.interface:
        entries = entries.filter(interface=chosen.interface)
    if chosen.action:
        entries = entries.filter(action=chosen.action)
    if chosen.object_type:
        entries = entries.filter(object_type=chosen.object_type)
    if chosen.account_id:
        entries = entries.filter(account_id=chosen.account_id)
    zone = timezone.get_current_timezone()
    if chosen.since:
        entries = entries.filter(at__gte=datetime.combine(chosen.since, time.min, zone))
    if chosen.until:
        entries = entries.filter(
            at__lt=datetime.combine(chosen.until + timedelta(days=1), time.min, zone)
        )
    return entries


def object_types() -> list[str]:
    return list(
        AuditEntry.objects.values_list("object_type", flat=True).distinct().order_by("object_type")
    )


def shown(
    entries: Iterable[AuditEntry], *, hidden_fields: Collection[str] = ()
) -> list[ShownEntry]:
    """``entries`` ready for a page: field labels, a foreign key as the name of what it
    pointed to (looked up once per model for the whole page), ``hidden_fields`` left out."""
    listed = list(entries)
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    for entry in listed:
        for name, values in entry.changes.items():
            target = _related_model(entry.object_type, name)
            if target is not None:
                wanted[target].update(
                    v for v in _pair(values) if isinstance(v, int | str) and v != HIDDEN
                )
    names = {
        model: {str(pk): str(obj) for pk, obj in model._base_manager.in_bulk(list(pks)).items()}
        for model, pks in wanted.items()
    }
    return [_shown(entry, names, hidden_fields) for entry in listed]


def _shown(entry: AuditEntry, names: dict, hidden_fields: Collection[str]) -> ShownEntry:
    changes, hidden = [], 0
    for name, values in sorted(entry.changes.items()):
        if name in hidden_fields:
            hidden += 1
            continue
        before, after = _pair(values)
        target = _related_model(entry.object_type, name)
        lookup = names.get(target, {}) if target is not None else {}
        changes.append(
            Change(
                name, _label(entry.object_type, name), _words(before, lookup), _words(after, lookup)
            )
        )
    return ShownEntry(entry, tuple(changes), hidden)


def _pair(values: Any) -> tuple[Any, Any]:
    if isinstance(values, list | tuple) and len(values) == 2:
        return values[0], values[1]
    return None, values


def _field(object_type: str, name: str) -> Any:
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _related_model(object_type: str, name: str) -> type[models.Model] | None:
    field = _field(object_type, name)
    if field is not None and field.is_relation and (field.many_to_one or field.one_to_one):
        return field.related_model
    return None


def _label(object_type: str, name: str) -> str:
    field = _field(object_type, name)
    label = getattr(field, "verbose_name", None) or name.replace("_", " ")
    return str(label)[:1].upper() + str(label)[1:]


def _words(value: Any, names: dict[str, str]) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_words(item, names) for item in value) or "—"
    if isinstance(value, dict) and set(value) == {"text"}:  # a plan's text section
        return _words(value["text"], names)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_words(item, names)}" for key, item in value.items()) or "—"
    return names.get(str(value), str(value))
