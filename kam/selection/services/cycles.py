"""Writes about selection cycles: propose, override, approve, publish, apply an assignment.

A cycle reads two snapshots — its own run's and the previous published cycle's — and turns
their difference into decisions: add, keep or remove, each with the criteria that moved.
"""

from collections import Counter
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from kam.accounts.access import may_manage_accounts
from kam.accounts.models import Account
from kam.analytics.assignment import AssignmentInfeasible
from kam.analytics.progress import Progress
from kam.analytics.selection.policy import Criterion, SelectionPolicy
from kam.analytics.store import resolve_as_of
from kam.audit import trail
from kam.audit.choices import Action
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission
from kam.revisions import Change, check_unchanged
from kam.selection import snapshots
from kam.selection.models import (
    CycleDecision,
    KeyAccount,
    Rating,
    ScoreRun,
    SelectionCycle,
    TierChoice,
)
from kam.selection.queries import latest_published
from kam.selection.services.scoring import (
    SelectionError,
    do_ensure_default_policy,
    do_run_scoring,
)
from kam.selection.services.sponsors import do_apply_sponsors
from kam.selection.signals import managers_changed
from kam.stores import analytics_store

MOVED_POINTS = 0.5
"""A criterion "moved" when its points changed by at least half a point (points run 1–5)."""
MAX_REASONS = 4
KEY_TIERS = {TierChoice.TIER_1, TierChoice.TIER_2, TierChoice.TIER_3, TierChoice.HIGH_POTENTIAL}
ROW_COLUMNS = (
    "customer_id", "name", "country", "region", "segment", "tier", "quadrant", "total",
    "key_rank", "revenue_12m", "is_key", "qualifies", "declining", "attractiveness",
)  # fmt: skip


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def decision_why(
    proposal: str, row: dict[str, Any], policy: SelectionPolicy, size: int, first: bool
) -> str:
    """The proposal for one account in the seeds' words (000: future value; 004: types).

    ``row`` is the account in the cycle's scores (empty when it has none), ``size`` the
    key-set size N, ``first`` whether there is no previous cycle to keep accounts from.
    """
    rank = row.get("key_rank")
    ranked = f"ranked {_ordinal(int(rank))} by attractiveness and future value" if rank else ""
    if proposal == CycleDecision.Proposal.KEEP:
        return f"Still a key account: {ranked}, within the {size:,} key accounts."
    if proposal == CycleDecision.Proposal.ADD:
        if first:
            return f"Among the most attractive accounts: {ranked}."
        return (
            f"Clearly above the cut: {ranked}, within the top "
            f"{int(size * (1 - policy.entry_band)):,} a newcomer must reach."
        )
    if not row or not (row.get("revenue_12m") or 0) > 0:
        return "No revenue in the last 12 months: the account has stopped buying."
    keep_to = int(size * (1 + policy.keep_band))
    declining = (
        " It is declining (revenue trend below the policy's line)." if row.get("declining") else ""
    )
    if rank and rank <= keep_to:
        return (
            f"Managers' capacity: {ranked}, within the keep band, but the {size:,} key "
            f"accounts the managers can hold are all ranked higher.{declining}"
        )
    return (
        f"Less attractive now — its future value no longer makes it a key account "
        f"(seed 000): {ranked or 'not ranked'}, clearly below the cut (a key account stays "
        f"while within the top {keep_to:,}).{declining}"
    )


def _points(con: Any, run: ScoreRun, ids: list[str]) -> dict:
    """{customer_id: {criterion_key: points or None}} from a run's snapshot."""
    if not ids:
        return {}
    table = snapshots.explanations(con, run.snapshot_id)
    rows = table.filter(table.customer_id.isin(ids)).select(
        "customer_id", "criterion_key", "points"
    )
    result: dict[str, dict[str, float | None]] = {}
    for row in rows.to_pyarrow().to_pylist():
        result.setdefault(row["customer_id"], {})[row["criterion_key"]] = row["points"]
    return result


def reasons_for(
    policy: SelectionPolicy, after: dict[str, float | None], before: dict[str, float | None] | None
) -> list[dict[str, Any]]:
    """The criteria that explain a decision, most weighty first.

    With a previous snapshot: those whose points moved by MOVED_POINTS or more, or became
    missing or present. Without one (a first cycle, a new customer): the strongest criteria.
    """
    reasons: list[tuple[float, Criterion, float | None, float | None]] = []
    for criterion in policy.criteria:
        now = after.get(criterion.key)
        if before is None:
            if now is not None:
                reasons.append((now * criterion.weight, criterion, None, now))
            continue
        then = before.get(criterion.key)
        if now is None and then is None:
            continue
        if now is None or then is None or abs(now - then) >= MOVED_POINTS:
            weight = criterion.weight * abs((now or 0) - (then or 0)) if now and then else 1e9
            reasons.append((weight, criterion, then, now))
    reasons.sort(key=lambda item: -item[0])
    return [
        {
            "key": c.key,
            "label": c.label,
            "before": None if then is None else round(then, 2),
            "after": None if now is None else round(now, 2),
            "delta": None if then is None or now is None else round(now - then, 2),
        }
        for _, c, then, now in reasons[:MAX_REASONS]
    ]


def _ensure_accounts(rows: dict[str, dict]) -> None:
    """Mirror accounts the store knows but the customer master here lacks (never overwrite)."""
    known = set(Account.objects.filter(customer_id__in=rows).values_list("customer_id", flat=True))
    Account.objects.bulk_create(
        [
            Account(
                customer_id=cid,
                name=row.get("name") or cid,
                country=row.get("country") or "",
                region=row.get("region") or "",
                segment=row.get("segment") or "",
            )
            for cid, row in rows.items()
            if cid not in known
        ],
        ignore_conflicts=True,
    )


def _current_run(user: User, as_of: date | None, progress: Progress | None) -> ScoreRun:
    """The latest run of the latest policy at ``as_of`` newer than every rating, else a new one."""
    version = do_ensure_default_policy()
    with analytics_store().connect(read_only=True) as con:
        resolved = resolve_as_of(con, as_of)
    runs = ScoreRun.objects.filter(
        status=ScoreRun.Status.DONE, policy_version=version, as_of=resolved
    )
    # A run older than the latest rating would propose on stale scores.
    rated = Rating.objects.aggregate(latest=Max("rated_at"))["latest"]
    if rated is not None:
        runs = runs.filter(started_at__gt=rated)
    # The key set's hysteresis reads the key accounts as they were when the run was made.
    published = latest_published()
    if published is not None and published.published_at is not None:
        runs = runs.filter(started_at__gt=published.published_at)
    run = runs.order_by("-finished_at", "-id").first()
    return run or do_run_scoring(user, version, resolved, progress)


def do_create_cycle(
    user: User,
    *,
    as_of: date | None = None,
    score_run: ScoreRun | None = None,
    name: str = "",
    progress: Progress | None = None,
) -> SelectionCycle:
    """Propose a cycle: add / keep / remove against the latest published cycle, with reasons.

    Uses ``score_run`` if given, else the latest run of the latest policy at ``as_of``
    (scoring now if there is none).
    """
    check_permission(user, Permission.RUN_SELECTION)
    run = score_run or _current_run(user, as_of, progress)
    if run.status != ScoreRun.Status.DONE:
        raise SelectionError(f"score run {run.pk} did not finish; run the scoring again")
    previous = latest_published()
    before_keys: set[str] = set()
    if previous is not None:
        before_keys = {d.account_id for d in previous.decisions.all() if d.is_key}
    policy = run.policy_version.policy()
    with analytics_store().connect(read_only=True) as con:
        table = snapshots.scores(con, run.snapshot_id)
        columns = tuple(c for c in ROW_COLUMNS if c in table.columns)  # older snapshots
        current = {r["customer_id"]: r for r in snapshots.key_rows(table, columns)}
        ids = sorted(set(current) | before_keys)
        current.update(snapshots.rows_for(table, [i for i in ids if i not in current], columns))
        after_points = _points(con, run, ids)
        before_rows: dict[str, dict] = {}
        before_points: dict[str, dict] = {}
        if previous is not None:
            old = previous.score_run
            old_table = snapshots.scores(con, old.snapshot_id)
            old_columns = tuple(c for c in columns if c in old_table.columns)
            before_rows = snapshots.rows_for(old_table, ids, old_columns)
            before_points = _points(con, old, ids)
    with transaction.atomic():
        _ensure_accounts({cid: current.get(cid) or before_rows.get(cid) or {} for cid in ids})
        cycle = SelectionCycle.objects.create(
            name=name or f"Selection {run.as_of:%b %Y}",
            as_of=run.as_of or date.min,  # a DONE run always has its as-of
            score_run=run,
            previous=previous,
            created_by=user,
        )
        decisions = []
        size = sum(1 for r in current.values() if r.get("is_key"))
        for cid in ids:
            row, old_row = current.get(cid, {}), before_rows.get(cid, {})
            key_now, key_before = bool(row.get("is_key")), cid in before_keys
            proposal = (
                CycleDecision.Proposal.KEEP
                if key_now and key_before
                else CycleDecision.Proposal.ADD
                if key_now
                else CycleDecision.Proposal.REMOVE
            )
            prior = before_points.get(cid) if previous is not None and old_row else None
            decisions.append(
                CycleDecision(
                    cycle=cycle,
                    account_id=cid,
                    proposal=proposal,
                    tier=row.get("tier") or "",
                    quadrant=row.get("quadrant") or "",
                    previous_tier=old_row.get("tier") or "",
                    previous_quadrant=old_row.get("quadrant") or "",
                    total=row.get("total"),
                    previous_total=old_row.get("total"),
                    key_rank=row.get("key_rank"),
                    revenue_12m=row.get("revenue_12m"),
                    reasons=reasons_for(policy, after_points.get(cid, {}), prior),
                    why=decision_why(proposal, row, policy, size, previous is None),
                )
            )
        CycleDecision.objects.bulk_create(decisions, batch_size=1000)
    trail.record(
        Action.CHANGED,
        cycle,
        detail={"decisions": len(decisions), "key": sum(1 for d in decisions if d.is_key)},
    )
    return cycle


def _open_cycle(cycle: SelectionCycle) -> None:
    if cycle.status == SelectionCycle.Status.PUBLISHED:
        raise SelectionError(f"{cycle.name} is published; start a new cycle to change it")


@transaction.atomic
def do_override_decision(
    user: User,
    cycle: SelectionCycle,
    customer_id: str,
    *,
    is_key: bool,
    reason: str,
    shown_key: bool | None = None,
) -> CycleDecision:
    """Make ``customer_id`` key (or not) in ``cycle`` against the proposal; a reason is required.

    Choosing what was proposed anyway clears an earlier override. Any change sends an
    approved cycle back to draft: the approval was for other decisions. ``shown_key`` is the
    decision the page showed: if someone decided otherwise since, ``EditConflict`` says who
    and nothing changes.
    """
    check_permission(user, Permission.APPROVE_CYCLE)
    _open_cycle(cycle)
    reason = reason.strip()
    decision = cycle.decisions.select_for_update().filter(account_id=customer_id).first()
    if decision is not None and shown_key is not None:
        check_unchanged(
            f"The decision on {decision.account.name}",
            expected=int(shown_key),
            current=int(decision.is_key),
            by=decision.overridden_by,
            changes=[
                Change(
                    "Decision",
                    ("Key" if decision.is_key else "Not key")
                    + (f" — “{decision.override_reason}”" if decision.override_reason else ""),
                    ("Key" if is_key else "Not key") + (f" — “{reason}”" if reason else ""),
                )
            ],
        )
    if decision is None:
        if not Account.objects.filter(customer_id=customer_id).exists():
            raise SelectionError(f"no account {customer_id!r}")
        decision = CycleDecision(cycle=cycle, account_id=customer_id, proposal="out")
    if is_key == decision.proposed_key:
        decision.override_key, decision.override_reason = None, ""
        decision.overridden_by, decision.overridden_at = None, None
    else:
        if not reason:
            raise SelectionError("an override needs a reason: say why you decide otherwise")
        decision.override_key, decision.override_reason = is_key, reason
        decision.overridden_by, decision.overridden_at = user, timezone.now()
    decision.save()
    if cycle.status == SelectionCycle.Status.APPROVED:
        cycle.status, cycle.approved_by, cycle.approved_at = "draft", None, None
        cycle.save(update_fields=["status", "approved_by", "approved_at"])
    return decision


@transaction.atomic
def do_approve_cycle(user: User, cycle: SelectionCycle) -> SelectionCycle:
    """Approve the cycle's decisions as they stand (overrides included)."""
    check_permission(user, Permission.APPROVE_CYCLE)
    _open_cycle(cycle)
    cycle.status = SelectionCycle.Status.APPROVED
    cycle.approved_by, cycle.approved_at = user, timezone.now()
    cycle.save(update_fields=["status", "approved_by", "approved_at"])
    return cycle


@transaction.atomic
def do_publish_cycle(user: User, cycle: SelectionCycle) -> SelectionCycle:
    """Designate the cycle's key accounts: KeyAccount rows created, updated or removed.

    Managers and sponsors stay with accounts that remain key; a manager or sponsor assigned
    in the cycle replaces the current one, and an account's plans follow its new manager. An
    account that leaves Tier 1 keeps a sponsor only if the cycle assigned one.
    """
    check_permission(user, Permission.APPROVE_CYCLE)
    _open_cycle(cycle)
    if cycle.status != SelectionCycle.Status.APPROVED:
        raise SelectionError(f"{cycle.name} is not approved yet; approve it before publishing")
    latest = latest_published()
    if latest is not None and latest.pk != (cycle.previous_id or None):
        raise SelectionError(
            f"{latest.name} was published after this cycle was proposed, so its add / keep / "
            "remove no longer compare with the current key accounts; start a new cycle"
        )
    keep = [d for d in cycle.decisions.select_related("account", "manager") if d.is_key]
    existing = {k.account_id: k for k in KeyAccount.objects.select_for_update()}
    KeyAccount.objects.exclude(account_id__in=[d.account_id for d in keep]).delete()
    handed_over: dict[str, User] = {}
    for decision in keep:
        tier = decision.tier if decision.tier in KEY_TIERS else TierChoice.TIER_3
        current = existing.get(decision.account_id)
        if current is None:
            KeyAccount.objects.create(
                account_id=decision.account_id,
                tier=tier,
                quadrant=decision.quadrant,
                manager=decision.manager,
                executive_sponsor_id=decision.sponsor_id,
                since_cycle=cycle,
                confirmed_cycle=cycle,
            )
            if decision.manager is not None:
                handed_over[decision.account_id] = decision.manager
            continue
        if decision.manager is not None and decision.manager_id != current.manager_id:
            handed_over[decision.account_id] = decision.manager
        current.tier, current.quadrant, current.confirmed_cycle = tier, decision.quadrant, cycle
        current.manager = decision.manager or current.manager
        if decision.sponsor_id or tier != TierChoice.TIER_1:
            current.executive_sponsor_id = decision.sponsor_id
        current.save()
    managers_changed.send(KeyAccount, user=user, handed_over=handed_over)
    cycle.status, cycle.published_at = SelectionCycle.Status.PUBLISHED, timezone.now()
    cycle.save(update_fields=["status", "published_at"])
    return cycle


# ---- manager assignment -------------------------------------------------------------------


@transaction.atomic
def do_apply_assignment(
    user: User,
    cycle: SelectionCycle,
    placements: dict[str, str],
    sponsors: dict[str, str] | None = None,
) -> list[CycleDecision]:
    """Give every key account of ``cycle`` the manager named in ``placements`` (customer → user)
    and the executive sponsor named in ``sponsors`` (customer → user; accounts not named get
    none; None leaves the sponsors as they are).

    Refuses, in plain words, an assignment that leaves a key account without a manager or
    breaks a manager's or sponsor's capacity. For the current published cycle the KeyAccount
    rows change too, and each reassigned account's plans pass to its new manager; for a
    draft the managers and sponsors take over when it is published.
    """
    check_permission(user, Permission.APPROVE_CYCLE)
    keys = [d for d in cycle.decisions.all() if d.is_key]
    unassigned = [d.account_id for d in keys if d.account_id not in placements]
    if unassigned:
        raise AssignmentInfeasible(
            f"{len(unassigned)} key account(s) have no manager, e.g. {unassigned[0]}"
        )
    managers = {u.username: u for u in User.objects.filter(username__in=set(placements.values()))}
    unknown = sorted(set(placements.values()) - set(managers))
    if unknown:
        raise AssignmentInfeasible(f"no user {unknown[0]!r}")
    if not_managers := sorted(n for n, u in managers.items() if not may_manage_accounts(u)):
        raise AssignmentInfeasible(
            f"{managers[not_managers[0]].display_name} may not manage key accounts: only "
            "users with the Key Account Manager role may"
        )
    counts = Counter(placements[d.account_id] for d in keys)
    for name, manager in managers.items():
        count = counts.get(name, 0)
        if not manager.min_key_accounts <= count <= manager.max_key_accounts:
            raise AssignmentInfeasible(
                f"{manager.display_name} would hold {count} key accounts; their capacity is "
                f"{manager.min_key_accounts}–{manager.max_key_accounts}"
            )
    before = {decision.pk: decision.manager_id for decision in keys}
    for decision in keys:
        decision.manager = managers[placements[decision.account_id]]
    CycleDecision.objects.bulk_update(keys, ["manager"])
    trail.record_each(
        Action.CHANGED,
        [d for d in keys if d.manager_id != before[d.pk]],
        lambda d: {"manager": [before[d.pk], d.manager_id]},
    )
    if cycle.status == SelectionCycle.Status.PUBLISHED and latest_published() == cycle:
        handed_over: dict[str, User] = {}
        for key_account in KeyAccount.objects.filter(account_id__in=placements):
            manager = managers[placements[key_account.account_id]]
            if key_account.manager_id != manager.pk:
                handed_over[key_account.account_id] = manager
            key_account.manager = manager
            key_account.save(update_fields=["manager", "updated_at"])
        managers_changed.send(KeyAccount, user=user, handed_over=handed_over)
    if sponsors is not None:
        do_apply_sponsors(user, cycle, sponsors)
    return keys
