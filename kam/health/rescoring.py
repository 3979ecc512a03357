"""Rescoring one account when something its health score reads changes through kam.

An engagement logged or held, a plan edited, a stakeholder mapped: the score's
engagement, meetings, plan and coverage components read these, so the account is scored
again (``services.do_rescore_account``) once the write is committed, as the user who made
it, and its history gains a point. Signals carry the news, so the apps below health
(engagement, plans, relationships) know nothing of it: the ORM's ``post_save`` and
``post_delete`` for records created, saved or deleted; ``kam.revisions.saved`` for the
edits saved by a revision-guarded UPDATE, which ``post_save`` does not see (an engagement
corrected or marked held, a contact edited, an action's or a risk's status); and
``kam.plans.signals.plan_changed`` for every edit of a plan (its freshness is when it was
last edited). A refused edit rolls back before anything is committed, so it rescores
nothing. Writes with no acting user (the demo's bulk loads, imports inside ``quiet()``)
rescore nothing: a portfolio run follows them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from kam.accounts.access import account_of
from kam.audit.context import current
from kam.plans.signals import plan_changed
from kam.revisions import saved as revision_saved

WATCHED = (
    ("engagement", "Engagement"),
    ("plans", "PlanAction"),
    ("plans", "PlanRisk"),
    ("relationships", "Contact"),
    ("relationships", "Relationship"),
)
"""The models whose writes move a component of the health score."""


def _rescore_after(sender: Any, instance: Any, **kwargs: Any) -> None:
    acting = current()
    user = acting.who()
    if acting.quiet or user is None or not getattr(user, "is_authenticated", False):
        return
    account = account_of(instance)
    if account is None:
        return

    key = (user.pk, account.pk)
    queued = getattr(connection, "run_on_commit", [])
    if any(getattr(entry[1], "rescores", None) == key for entry in queued):
        return  # many writes in one transaction (a plan's actions): one rescoring

    def rescore() -> None:
        from kam.health.services import do_rescore_account

        try:
            do_rescore_account(user, account)
        except PermissionDenied:
            # The write was allowed by its own service; rescoring is for those who may
            # change what the score reads, and the next portfolio run scores it anyway.
            return

    rescore.rescores = key  # type: ignore[attr-defined]
    transaction.on_commit(rescore)


def connect() -> None:
    """Watch the writes that move a health score (called once, when the app loads)."""
    from django.apps import apps

    for app_label, model_name in WATCHED:
        model = apps.get_model(app_label, model_name)
        uid = f"health-rescore-{app_label}.{model_name}"
        post_save.connect(_rescore_after, sender=model, dispatch_uid=uid)
        post_delete.connect(_rescore_after, sender=model, dispatch_uid=f"{uid}-deleted")
        revision_saved.connect(_rescore_after, sender=model, dispatch_uid=f"{uid}-revised")
    plan = apps.get_model("plans", "AccountPlan")
    plan_changed.connect(_rescore_after, sender=plan, dispatch_uid="health-rescore-plan-changed")
