"""The key accounts' health for the portfolio review: the distribution of their scores in
the latest health scoring run and in the run before it (``kam.health``'s history)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kam.analytics.program.health_mix import HealthMix, health_mix
from kam.health.models import HealthRun, HealthScore
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission
from kam.selection.models import KeyAccount


@dataclass(frozen=True)
class HealthPicture:
    """The distribution as of the latest run, and as of the run before (None without one)."""

    as_of: date
    now: HealthMix
    before_as_of: date | None
    before: HealthMix | None


def _mix(run: HealthRun, ids: list[str]) -> HealthMix:
    scored = dict(
        HealthScore.objects.filter(run=run, account_id__in=ids).values_list("account_id", "score")
    )
    # A key account the run did not score has no score: missing, like a score of None.
    return health_mix([scored.get(cid) for cid in ids])


def key_account_health(user: User, keys: list[KeyAccount]) -> HealthPicture | None:
    """The health of the key accounts ``keys``; None before any health scoring run or
    without key accounts."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    ids = [key.account_id for key in keys]
    portfolio = HealthRun.objects.filter(rescored__isnull=True)  # not one-account rescorings
    runs = list(portfolio.order_by("-created_at", "-id")[:2])
    if not runs or not ids:
        return None
    before = runs[1] if len(runs) > 1 else None
    return HealthPicture(
        as_of=runs[0].as_of,
        now=_mix(runs[0], ids),
        before_as_of=before.as_of if before else None,
        before=_mix(before, ids) if before else None,
    )
