"""Account health: an account's latest score with its components, its alerts and its score
history. Reading needs what the page needs (the account's summary)."""

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from kam.api import access
from kam.api.schemas import Out, responses
from kam.health import queries
from kam.health.alerts import current_alerts
from kam.people.roles import Permission

router = Router(tags=["health"])


class ComponentOut(Out):
    """One component: its points (null: missing), its raw figure and why in words."""

    key: str
    points: float | None
    raw: float | None
    explanation: str


class AlertOut(Out):
    """One alert: the rule, why in a sentence, and the page where to act."""

    rule: str
    label: str
    why: str
    url: str


class HistoryOut(Out):
    """The account's score in one scoring run."""

    as_of: dt.date
    run: int
    score: float | None


class HealthOut(Out):
    """An account's latest health score (null when never scored or nothing was present)."""

    customer_id: str
    as_of: dt.date | None
    policy_version: int | None
    score: float | None
    weight_present: float | None
    components: list[ComponentOut]
    alerts: list[AlertOut]
    history: list[HistoryOut]


@router.get(
    "/accounts/{customer_id:customer_id}/health",
    response=responses(HealthOut),
    summary="An account's health score, alerts and history",
)
def account_health(request: HttpRequest, customer_id: str) -> HealthOut:
    """The latest scoring run's score of the account, each component, the alerts it raises
    and the score of every run (oldest first)."""
    account = access.allow(request, Permission.VIEW_ACCOUNTS, on=access.account(customer_id))
    latest = queries.latest_score(account)
    components = latest.components if latest else []
    return HealthOut(
        customer_id=account.customer_id,
        as_of=latest.run.as_of if latest else None,
        policy_version=latest.run.policy.version if latest else None,
        score=latest.score if latest else None,
        weight_present=latest.weight_present if latest else None,
        components=[
            ComponentOut(
                key=c["key"], points=c["points"], raw=c["raw"], explanation=c["explanation"]
            )
            for c in components
        ],
        alerts=[
            AlertOut(rule=a.rule, label=a.label, why=a.why, url=a.url)
            for a in current_alerts([account.customer_id], timezone.localdate())[
                account.customer_id
            ].shown
        ],
        history=[
            HistoryOut(as_of=p.as_of, run=p.run_id, score=p.score)
            for p in queries.score_history(account)
        ],
    )
