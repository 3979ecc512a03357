"""Writing the audit trail: one entry per write, the values before and after.

Every model of a kam app is watched by the receivers (``kam.audit.receivers``), so a save or
delete through any interface is recorded without the code that made it knowing. Writes the
ORM's signals do not see — an UPDATE guarded by a revision, a bulk insert, an import — are
recorded here explicitly by the code that makes them: ``record`` for one object,
``record_file`` for an imported file (one entry with its hash and counts, never a row per
line), ``record_load`` for a data set.
"""

import hashlib
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from django.db import connection, models

from kam.audit.choices import Action, Interface
from kam.audit.context import current
from kam.audit.models import AuditEntry

IGNORED_FIELDS = frozenset({"revision", "updated_at", "created_at", "last_login", "last_used_at"})
"""Bookkeeping every save touches: recording it would bury what changed."""
SECRET_FIELDS = frozenset({"password", "digest"})
"""Recorded as changed, never with their values."""
HIDDEN = "(hidden)"
UNLOCK_TABLE = "kam_audit_unlock"
"""A row here lets a whole-install restore replace the trail (migration 0002)."""


def jsonable(value: Any) -> Any:
    """A field's value as JSON keeps it: numbers stay numbers, a non-finite one is missing."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else None
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    return str(value)


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The recorded fields of ``instance``: every concrete field but the bookkeeping ones
    (a foreign key as the id it holds)."""
    values: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in IGNORED_FIELDS or field.primary_key:
            continue
        value = field.value_from_object(instance)
        values[field.name] = HIDDEN if field.name in SECRET_FIELDS and value else jsonable(value)
    return values


def difference(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Field name to [before, after] for each field whose value differs."""
    changed = {}
    for name in after.keys() | before.keys():
        old, new = before.get(name), after.get(name)
        if old != new:
            changed[name] = [old, new]
    return changed


def subjects(instance: models.Model) -> dict[str, Any]:
    """The account, plan and contact an object belongs to, for their History pages: read
    from its own fields (``account``, ``plan``, ``contact``) and theirs, one level up."""
    label = instance._meta.label_lower
    found: dict[str, Any] = {"account_id": "", "plan_id": None, "contact_id": None}
    if label == "accounts.account":
        found["account_id"] = instance.pk
        return found
    if label == "plans.accountplan":
        found["plan_id"] = instance.pk
    if label == "relationships.contact":
        found["contact_id"] = instance.pk
    names = {field.name for field in instance._meta.concrete_fields}
    if "account" in names:
        found["account_id"] = getattr(instance, "account_id", "") or ""
    for parent in ("plan", "contact"):
        if parent in names and getattr(instance, f"{parent}_id", None) is not None:
            found[f"{parent}_id"] = getattr(instance, f"{parent}_id")
            if not found["account_id"]:
                owner = getattr(instance, parent, None)
                found["account_id"] = getattr(owner, "account_id", "") or ""
    return found


def _actor(by: Any = None) -> tuple[Interface, int | None, str]:
    acting = current()
    user = by if by is not None else acting.who()
    if user is not None and getattr(user, "is_authenticated", False):
        return acting.interface, user.pk, user.get_username()
    return acting.interface, None, ""


def record(
    action: Action,
    instance: models.Model | None = None,
    *,
    changes: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    by: Any = None,
    summary: bool = False,
) -> AuditEntry | None:
    """Write one entry, as done by the acting user (``by``, when the caller knows better)
    through the acting interface. Inside ``quiet()`` only a ``summary`` — a file's, a
    load's — is written: the bulk write it sums up records nothing row by row."""
    if current().quiet and not summary:
        return None
    interface, actor_id, actor = _actor(by)
    about = subjects(instance) if instance is not None else {}
    if instance is not None:
        object_type = object_type or instance._meta.label_lower
        object_id = object_id or str(instance.pk)
        object_repr = object_repr or str(instance)
    return AuditEntry.objects.create(
        interface=interface,
        actor_id=actor_id,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:255],
        changes=jsonable(dict(changes or {})),
        detail=jsonable(dict(detail or {})),
        **about,
    )


def record_each(
    action: Action,
    instances: Iterable[models.Model],
    changes_of: Callable[[Any], Mapping[str, Any]],
) -> int:
    """One entry per object of a bulk write, written in one bulk insert (none inside
    ``quiet()``)."""
    if current().quiet:
        return 0
    interface, actor_id, actor = _actor()
    entries = [
        AuditEntry(
            interface=interface,
            actor_id=actor_id,
            actor=actor,
            action=action,
            object_type=instance._meta.label_lower,
            object_id=str(instance.pk),
            object_repr=str(instance)[:255],
            changes=jsonable(dict(changes_of(instance))),
            **subjects(instance),
        )
        for instance in instances
    ]
    AuditEntry.objects.bulk_create(entries, batch_size=1000)
    return len(entries)


def snapshot_as_created(instance: models.Model) -> dict[str, list[Any]]:
    return {
        name: [None, value]
        for name, value in snapshot(instance).items()
        if value not in ("", None, [], {})
    }


def sha256_of(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def record_file(
    kind: str,
    path: Path | str,
    *,
    file_label: str | None = None,
    counts: Mapping[str, int],
    account: models.Model | None = None,
) -> AuditEntry | None:
    """One entry for an imported file: its name, size, SHA-256 and what it changed."""
    source = Path(path)
    detail = {
        "kind": kind,
        "file": file_label or source.name,
        "bytes": source.stat().st_size,
        "sha256": sha256_of(source),
        **counts,
    }
    what = f"{kind} file {detail['file']}"
    if account is not None:
        return record(Action.IMPORTED, account, detail=detail, object_repr=what, summary=True)
    return record(
        Action.IMPORTED, object_type=f"import.{kind}", object_repr=what, detail=detail, summary=True
    )


def record_load(name: str, figures: Mapping[str, Any]) -> AuditEntry | None:
    """One entry for a bundled data set loaded (the demo company, TPC-H)."""
    return record(
        Action.LOADED,
        object_type="dataset",
        object_id=name,
        object_repr=name,
        detail=figures,
        summary=True,
    )


@contextmanager
def unsealed() -> Iterator[None]:
    """Inside the caller's transaction, let the trail's rows be replaced: only a restore of a
    whole install does this, and it records itself afterwards."""
    table = connection.ops.quote_name(UNLOCK_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (reason) VALUES (%s)", ["restore"])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE reason = %s", ["restore"])
