"""The ORM's signals, turned into audit entries for every model of every kam app.

``pre_save`` reads the row as stored, ``post_save`` records what changed; ``post_delete``
the values that went; ``m2m_changed`` the members added or removed (an account's team, a
user's roles). Raw saves (a restore loading its export) and writes inside ``quiet()`` (an
import, the demo: they record one entry of their own) are not recorded row by row.
"""

from typing import Any

from django.apps import apps
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from kam.audit.choices import Action
from kam.audit.context import current
from kam.audit.trail import difference, record, snapshot, snapshot_as_created

NOT_WATCHED = frozenset({"audit.auditentry"})


def watched_models() -> list[type[models.Model]]:
    """Every concrete model of a kam app, the trail's own aside."""
    return [
        model
        for config in apps.get_app_configs()
        if config.name.startswith("kam.")
        for model in config.get_models()
        if model._meta.label_lower not in NOT_WATCHED and not model._meta.proxy
    ]


def _quiet(raw: bool = False) -> bool:
    return raw or current().quiet


def remember_stored(
    sender: type[models.Model], instance: models.Model, raw: bool = False, **_: Any
) -> None:
    if _quiet(raw) or instance._state.adding or instance.pk is None:
        return
    stored = sender._base_manager.filter(pk=instance.pk).first()
    instance._audit_before = snapshot(stored) if stored is not None else None  # type: ignore[attr-defined]


def record_saved(
    sender: type[models.Model], instance: models.Model, created: bool, raw: bool = False, **_: Any
) -> None:
    if _quiet(raw):
        return
    before = getattr(instance, "_audit_before", None)
    instance.__dict__.pop("_audit_before", None)
    if created or before is None:
        record(Action.CREATED, instance, changes=snapshot_as_created(instance))
        return
    changes = difference(before, snapshot(instance))
    if changes:
        record(Action.CHANGED, instance, changes=changes)


def record_deleted(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    if _quiet():
        return
    record(Action.DELETED, instance, changes={k: [v, None] for k, v in snapshot(instance).items()})


def _members(instance: models.Model, accessor: str) -> list[str]:
    return sorted(str(member) for member in getattr(instance, accessor).all())


def record_members(
    sender: Any,
    instance: models.Model,
    action: str,
    reverse: bool,
    model: Any,
    pk_set: Any,
    **_: Any,
) -> None:
    if _quiet() or action not in {
        "pre_add",
        "pre_remove",
        "pre_clear",
        "post_add",
        "post_remove",
        "post_clear",
    }:
        return
    accessor = _accessor(sender, type(instance), reverse)
    if accessor is None:
        return
    if action.startswith("pre_"):
        instance.__dict__.setdefault("_audit_members", {})[accessor] = _members(instance, accessor)
        return
    before = instance.__dict__.get("_audit_members", {}).pop(accessor, None)
    after = _members(instance, accessor)
    if before != after:
        record(Action.CHANGED, instance, changes={accessor: [before, after]})


def _accessor(through: Any, model: type[models.Model], reverse: bool) -> str | None:
    """The name of the many-to-many field (or of its reverse accessor) ``through`` serves."""
    for field in model._meta.get_fields():
        if not getattr(field, "many_to_many", False):
            continue
        if isinstance(field, models.ManyToManyField):
            if field.remote_field.through is through and not reverse:
                return field.name
        elif getattr(field, "through", None) is through and reverse:
            return field.get_accessor_name()  # type: ignore[union-attr]
    return None


def connect() -> None:
    for model in watched_models():
        pre_save.connect(
            remember_stored, sender=model, dispatch_uid=f"audit-pre-{model._meta.label_lower}"
        )
        post_save.connect(
            record_saved, sender=model, dispatch_uid=f"audit-save-{model._meta.label_lower}"
        )
        post_delete.connect(
            record_deleted, sender=model, dispatch_uid=f"audit-del-{model._meta.label_lower}"
        )
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                record_members,
                sender=field.remote_field.through,
                dispatch_uid=f"audit-m2m-{model._meta.label_lower}-{field.name}",
            )
