"""Writes for account health: scoring runs, learned policy versions and their decision."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from kam.accounts.models import Account
from kam.analytics.account_figures import shift_months
from kam.analytics.health import HealthPolicy, score_accounts
from kam.analytics.health.backtest import backtest_frame, measure
from kam.analytics.health.fit import DEFAULT_OBJECTIVE, DEFAULT_PENALTY, fit_weights
from kam.analytics.health.signals import AliveModel, PurchaseSignals, purchase_signals
from kam.analytics.ingest.problems import ImportReport
from kam.analytics.progress import Progress
from kam.analytics.store import resolve_as_of
from kam.audit import trail
from kam.audit.context import quiet
from kam.health.models import (
    AlertAcknowledgement,
    AlertResponse,
    HealthPolicyVersion,
    HealthRun,
    HealthScore,
    PolicyStatus,
)
from kam.health.queries import app_components, current_policy, policy_of
from kam.health.satisfaction import import_satisfaction
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission
from kam.stores import analytics_engine, analytics_store


class HealthError(ValueError):
    """A health action that cannot be done, with the reason in words."""


def _next_version() -> int:
    latest = HealthPolicyVersion.objects.order_by("-version").first()
    return (latest.version if latest else 0) + 1


@transaction.atomic
def do_ensure_health_policy(user: User | None = None) -> HealthPolicyVersion:
    """The accepted version in force, storing the hand-set default as version 1 if none is."""
    found = current_policy().version
    if found is not None:
        return found
    policy = current_policy().policy
    return HealthPolicyVersion.objects.create(
        version=_next_version(), rules=policy.as_dict(), note=policy.note, created_by=user
    )


def do_score_health(user: User, as_of: dt.date | None = None) -> HealthRun:
    """Score every account that bought in the year up to ``as_of`` (default: the latest
    transaction) under the policy in force, and keep each score as a point of its history.

    The P(alive) model is fitted again on the histories as of ``as_of``, starting from the
    parameters of the latest portfolio run (``alive_probability``)."""
    check_permission(user, Permission.RUN_SELECTION)
    previous = latest_portfolio_run()
    start = _alive_of(previous) if previous is not None else None
    with analytics_store().connect(read_only=True) as con:
        day = resolve_as_of(con, as_of)
    if day is None:
        raise HealthError("nothing to score yet: the store holds no invoice lines")
    with analytics_engine() as calc:  # Spark over the lake with the spark engine
        signals = purchase_signals(calc, day, alive_start=start)
    return _store_run(user, day, signals)


def do_rescore_account(user: User, account: Account) -> HealthRun | None:
    """Score one account again, after something its score reads changed through kam (an
    engagement logged or held, a plan action done, a stakeholder mapped): one more point of
    its history, in a run of its own (``HealthRun.rescored``).

    The same policy, components and as-of convention (the latest transaction) as a
    portfolio run; P(alive) comes from the latest portfolio run's fitted model as it is,
    not fitted again, so it takes a fraction of a second. None (nothing written) before
    the first portfolio run: there is no model to read P(alive) from yet."""
    _check_may_rescore(user, account)
    latest = latest_portfolio_run()
    if latest is None:
        return None
    with analytics_store().connect(read_only=True) as con:
        day = resolve_as_of(con, None)
    if day is None:
        return None
    with analytics_engine() as calc:
        signals = purchase_signals(
            calc, day, alive_given=_alive_of(latest), alive_for=account.customer_id
        )
    return _store_run(user, day, signals, account)


def _check_may_rescore(user: User, account: Account) -> None:
    """Those who may change what the score reads on the account — log its engagements,
    edit its plan or map its people — may have it scored again."""
    from kam.accounts.access import EDITS
    from kam.people.services import has_permission

    allowed = (Permission.LOG_ENGAGEMENTS, *sorted(EDITS))
    if not any(has_permission(user, each, on=account) for each in allowed):
        check_permission(user, Permission.LOG_ENGAGEMENTS, on=account)


def latest_portfolio_run() -> HealthRun | None:
    """The latest run that scored every account (one-account rescorings left out)."""
    return HealthRun.objects.filter(rescored__isnull=True).order_by("-created_at", "-id").first()


def _alive_of(run: HealthRun) -> AliveModel:
    params = {k: float(v) for k, v in (run.alive_params or {}).items()}
    return AliveModel(run.alive_model, params, run.alive_note)


def _store_run(
    user: User, day: dt.date, signals: PurchaseSignals | None, account: Account | None = None
) -> HealthRun:
    version = do_ensure_health_policy(user)
    policy = policy_of(version)
    only = [account.customer_id] if account is not None else None
    measured = app_components(day, only)
    healths = score_accounts(signals, policy, measured, only)
    accounts = set(
        Account.objects.filter(customer_id__in=list(healths)).values_list("customer_id", flat=True)
    )
    alive = signals.alive if signals is not None else AliveModel()
    with transaction.atomic():
        run = HealthRun.objects.create(
            policy=version,
            as_of=day,
            created_by=user,
            rescored=account,
            alive_model=alive.model,
            alive_params=dict(alive.params),
            alive_note=alive.note,
        )
        HealthScore.objects.bulk_create(
            [
                HealthScore(
                    run=run,
                    account_id=customer_id,
                    score=health.score,
                    weight_present=health.weight_present,
                    components=[
                        {
                            "key": c.key,
                            "points": c.points,
                            "raw": c.raw,
                            "explanation": c.explanation,
                            **_second(measured, customer_id, c.key),
                        }
                        for c in health.components
                    ],
                )
                for customer_id, health in healths.items()
                if customer_id in accounts
            ],
            batch_size=2000,
        )
        run.accounts = len(healths)
        run.save(update_fields=["accounts"])
    return run


def _second(measured: dict[str, Any], customer_id: str, key: str) -> dict[str, Any]:
    """The plan's overdue actions, kept beside its age for the alerts."""
    value = measured.get(customer_id, {}).get(key)
    if key != "plan" or value is None or value.second is None:
        return {}
    return {"overdue_actions": int(value.second)}


@transaction.atomic
def do_import_satisfaction(
    user: User,
    path: Path,
    *,
    today: dt.date,
    file_label: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import NPS / CSAT answers from CSV or Excel, all or nothing: a bad file raises
    ``ImportRefused`` naming every bad row by line (row for Excel), column and reason, and
    changes nothing. The same file twice changes nothing the second time."""
    check_permission(user, Permission.IMPORT_DATA)
    label = file_label or path.name
    with quiet():
        report = import_satisfaction(user, path, file_label=label, today=today, progress=progress)
    counts = {"created": report.inserted, "updated": report.updated, "unchanged": report.unchanged}
    trail.record_file("satisfaction answers", path, file_label=label, counts=counts)
    return report


@dataclass(frozen=True)
class FitProposal:
    """A learned policy version, proposed, with both backtests on the validation date."""

    version: HealthPolicyVersion
    comparison: dict[str, Any]


def do_fit_health_policy(
    user: User,
    horizon_months: int = 12,
    validation_as_of: dt.date | None = None,
    penalty: float = DEFAULT_PENALTY,
    objective: str = DEFAULT_OBJECTIVE,
) -> FitProposal:
    """Learn weights on the accounts scored at ``validation_as_of`` − horizon (outcomes up
    to ``validation_as_of``), judge them on those scored at ``validation_as_of`` (default:
    one horizon before the latest transaction), and propose them as a new version."""
    check_permission(user, Permission.EDIT_POLICY)
    current = policy_of(do_ensure_health_policy(user))
    with analytics_store().connect(read_only=True) as con:
        latest = resolve_as_of(con, None)
    if latest is None:
        raise HealthError("nothing to learn from: the store holds no invoice lines")
    validation = validation_as_of or shift_months(latest, -horizon_months)
    training = shift_months(validation, -horizon_months)
    with analytics_engine() as calc:  # Spark over the lake with the spark engine
        try:
            train = backtest_frame(
                calc,
                training,
                horizon_months,
                current,
                app_components(training, history_only=True),
            )
            judge = backtest_frame(
                calc,
                validation,
                horizon_months,
                current,
                app_components(validation, history_only=True),
            )
            fitted = fit_weights(train.points, train.outcomes.bad, current, penalty, objective)
        except ValueError as error:
            raise HealthError(f"cannot learn weights: {error}") from None
    proposed = HealthPolicy(fitted.weights, current.shrink_share, version=_next_version())
    old, new = measure(judge, current, horizon_months), measure(judge, proposed, horizon_months)
    comparison = {
        "training_as_of": training.isoformat(),
        "validation_as_of": validation.isoformat(),
        "horizon_months": horizon_months,
        "penalty": penalty,
        "objective": fitted.objective,
        "learned": list(fitted.learned),
        "training_accounts": fitted.accounts,
        "current": old.as_dict(),
        "proposed": new.as_dict(),
    }
    note = (
        f"Learned on accounts scored {training} (outcomes to {validation}); validation AUC "
        f"{new.metrics('health').auc:.3f} against {old.metrics('health').auc:.3f} in force."
    )
    with transaction.atomic():
        version = HealthPolicyVersion.objects.create(
            version=proposed.version,
            rules=proposed.as_dict(),
            note=note,
            status=PolicyStatus.PROPOSED,
            comparison=comparison,
            created_by=user,
        )
    return FitProposal(version, comparison)


@transaction.atomic
def do_decide_health_policy(
    user: User, version: HealthPolicyVersion, *, accept: bool, reason: str = ""
) -> HealthPolicyVersion:
    """The Head of KAM accepts a proposed version (it comes into force) or rejects it."""
    check_permission(user, Permission.APPROVE_CYCLE)
    locked = HealthPolicyVersion.objects.select_for_update().get(pk=version.pk)
    if locked.status != PolicyStatus.PROPOSED:
        raise HealthError(f"health policy v{locked.version} is {locked.status}, not proposed")
    locked.status = PolicyStatus.ACCEPTED if accept else PolicyStatus.REJECTED
    locked.decided_by = user
    locked.decided_at = timezone.now()
    locked.decision_reason = reason
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    return locked


@dataclass(frozen=True)
class DigestSent:
    """One manager's daily digest: to whom, how many accounts with alerts, how many alerts."""

    manager: str
    email: str
    accounts: int
    alerts: int


def do_send_health_digests(
    user: User, site_url: str = "", today: dt.date | None = None
) -> list[DigestSent]:
    """Email each key account manager the alerts of their accounts as they stand today,
    acknowledged and snoozed ones left out (Django's email framework: the console by
    default, SMTP by settings). A manager with no alert, or no email address, gets nothing."""
    check_permission(user, Permission.RUN_SELECTION)
    from django.core.mail import send_mail

    from kam.health.alerts import current_alerts
    from kam.health.queries import latest_scores
    from kam.selection.models import KeyAccount

    by_manager: dict[int, list[tuple[str, str]]] = {}
    for manager_pk, customer_id, name in KeyAccount.objects.filter(
        manager__isnull=False
    ).values_list("manager", "account__customer_id", "account__name"):
        by_manager.setdefault(manager_pk, []).append((customer_id, name))
    managers = {u.pk: u for u in User.objects.filter(pk__in=list(by_manager))}
    every = [cid for accounts in by_manager.values() for cid, _ in accounts]
    scores = latest_scores(every)
    found = current_alerts(every, today or timezone.localdate())
    sent = []
    for manager_id, accounts in sorted(by_manager.items()):
        manager = managers[manager_id]
        lines: list[str] = []
        flagged = count = 0
        for customer_id, name in sorted(accounts, key=lambda pair: pair[1]):
            score = scores.get(customer_id)
            alerts = found[customer_id].shown
            if not alerts:
                continue
            flagged += 1
            count += len(alerts)
            health = "" if score is None or score.score is None else f", health {score.score:.0f}"
            lines.append(f"{name} ({customer_id}){health}:")
            lines += [f"  - {a.label}: {a.why} {site_url}{a.url}" for a in alerts]
        if not lines or not manager.email:
            continue
        send_mail(
            subject=f"kam: {count} alert(s) on {flagged} of your accounts",
            message="\n".join(["Your accounts that need attention today:", "", *lines]),
            from_email=None,
            recipient_list=[manager.email],
        )
        sent.append(DigestSent(manager.username, manager.email, flagged, count))
    return sent


MAX_SNOOZE_DAYS = 366


def _check_may_act_on_alerts(user: User, account: Account) -> None:
    """Only those who may edit the account acknowledge or snooze its alerts."""
    from kam.accounts.access import EDITS

    for each in sorted(EDITS):
        check_permission(user, each, on=account)


@transaction.atomic
def do_respond_to_alert(
    user: User,
    account: Account,
    rule: str,
    *,
    reason: str,
    today: dt.date,
    snoozed_until: dt.date | None = None,
) -> AlertAcknowledgement:
    """Acknowledge one of the account's alerts as it fires now (``snoozed_until`` None), or
    snooze it until a date, with a reason. Refused when the alert does not fire."""
    from kam.health.alerts import RULE_NAMES, current_alerts

    _check_may_act_on_alerts(user, account)
    reason = reason.strip()
    if rule not in RULE_NAMES:
        raise HealthError(f"{rule!r} is no alert rule")
    if not reason:
        raise HealthError("say why, in a few words")
    if snoozed_until is not None and not (
        today < snoozed_until <= today + dt.timedelta(days=MAX_SNOOZE_DAYS)
    ):
        raise HealthError(f"snooze until a date after today and within {MAX_SNOOZE_DAYS} days")
    alerts = current_alerts([account.customer_id], today)[account.customer_id]
    firing = next((a for a in alerts.shown if a.rule == rule), None)
    if firing is None:
        raise HealthError("that alert does not fire on this account now, or is already held")
    return AlertAcknowledgement.objects.create(
        account=account,
        rule=rule,
        cause=firing.cause,
        response=AlertResponse.SNOOZED if snoozed_until else AlertResponse.ACKNOWLEDGED,
        reason=reason[:2000],
        snoozed_until=snoozed_until,
        by=user,
    )
