"""The record-level half of a permission check, as a hook the apps above fill in.

``kam.people`` sits below every app, so it cannot know what an account is or who manages
one. An app registers a ``RecordRule`` when it starts (``kam.accounts`` does: whose account
a record belongs to, see ``kam.accounts.access``); ``check_permission(user, p, on=record)``
asks every rule.
"""

from collections.abc import Callable
from dataclasses import dataclass

from kam.people.roles import Permission


@dataclass(frozen=True)
class RecordRule:
    """``allows(user, permission, record)``: may the user use the permission on the record?
    ``refusal(permission, record)``: why not, in words, for the refusal page."""

    allows: Callable[[object, Permission, object], bool]
    refusal: Callable[[Permission, object], str]


RULES: list[RecordRule] = []


def register_record_rule(rule: RecordRule) -> None:
    """Add ``rule`` to every check on a record (idempotent)."""
    if rule not in RULES:
        RULES.append(rule)


def refused_by(user: object, permission: Permission, record: object) -> RecordRule | None:
    """The first rule that refuses ``user`` ``permission`` on ``record``, or None."""
    return next((rule for rule in RULES if not rule.allows(user, permission, record)), None)
