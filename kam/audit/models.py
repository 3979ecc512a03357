from typing import Any, NoReturn

from django.db import models
from django.utils import timezone

from kam.audit.choices import Action, Interface


class AppendOnly(Exception):
    """An attempt to change or delete an audit entry."""

    def __init__(self) -> None:
        super().__init__("The audit trail is append-only: an entry is never changed or deleted.")


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly()

    def delete(self) -> NoReturn:
        raise AppendOnly()

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly()

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly()


class AuditEntry(models.Model):
    """One write: who, when, through which interface, on what, and the values it changed.

    The actor is kept as an id and a name rather than a foreign key: the trail outlives the
    users it names and is never updated, not even to forget a deleted one. The database
    refuses an UPDATE or DELETE of a row too (triggers, migration 0002), so the rule holds
    below the ORM.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_id = models.PositiveIntegerField(null=True, blank=True)
    actor = models.CharField(
        max_length=150, blank=True, help_text="The user's name when they acted; blank: kam itself."
    )
    interface = models.CharField(max_length=16, choices=Interface.choices)
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(
        max_length=100, help_text="app_label.model, e.g. plans.accountplan"
    )
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=255, blank=True)
    account_id = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="The account the object belongs to."
    )
    plan_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    contact_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True, help_text="Field name to [before, after].")
    detail = models.JSONField(
        default=dict, blank=True, help_text="An import's file, hash and counts; a load's figures."
    )

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ("-at", "-id")
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        who = self.actor or "kam"
        return (
            f"{self.at:%Y-%m-%d %H:%M} {who} {self.action} {self.object_repr or self.object_type}"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly()
