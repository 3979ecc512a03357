"""Two years of engagement history for the demo company's key accounts, deterministic for a
seed (and the day it is loaded: the cadence counts from today).

Consistent with the demo's archetypes: steady accounts and growers meet on cadence most of
the time, with calls and visits between reviews; decliners see their meetings thin out
before they fade; churners stopped meeting months ago. Some accounts of every kind let
their last review slip, so the overdue lists have something to show, and accounts on
cadence have their next review planned. Written as a CSV file and imported through
``do_import_engagements`` like a user's own log; then follow-up actions of the latest
reviews go to the account plans through the services.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path

from kam.accounts.access import across_programme
from kam.engagement import services
from kam.engagement.models import Engagement, EngagementKind, EngagementStatus
from kam.people.models import User
from kam.people.roles import Permission, Role
from kam.plans.models import AccountPlan
from kam.relationships.models import Contact
from kam.selection.models import KeyAccount

YEARS = 2
INTERVAL = {"tier_1": 90, "tier_2": 120, "tier_3": 180, "high_potential": 120}
OUTCOMES = {
    "qbr": (
        "Reviewed the quarter against the plan's targets; service levels on track.",
        "Volumes below forecast; agreed a recovery plan for the next quarter.",
        "They asked for a joint cost study before the budget round.",
        "Good quarter; they want to widen the range to a second site.",
    ),
    "executive_review": (
        "Top-to-top: aligned on a three-year partnership and its governance.",
        "Their CEO raised delivery issues; our sponsor committed a fix plan.",
        "Agreed to co-develop the next product line.",
    ),
    "call": ("Checked the open orders.", "Followed up on the quote.", "Short update on delivery."),
    "visit": ("Site visit with the plant manager.", "Walked the warehouse with their team."),
    "workshop": ("Roadmap workshop: three joint initiatives shortlisted.",),
    "steering_committee": (
        "Steering committee: the rollout is two weeks late, mitigation agreed.",
    ),
    "training": ("Trained twelve users on the ordering portal.",),
    "joint_planning": ("Joint planning for next year's volumes and launches.",),
}
FOLLOW_UPS = (
    "Send the minutes and the agreed actions",
    "Prepare the total-cost study they asked for",
    "Book the next quarterly business review",
    "Introduce our technical lead to their operations team",
)


def archetypes_by_account(table: object) -> dict[str, str]:
    """{customer id: archetype} of the demo company's archetype table (empty without one)."""
    if table is None:
        return {}
    rows = table.select(["customer_id", "archetype"]).to_pylist()  # type: ignore[attr-defined]
    return {row["customer_id"]: row["archetype"] for row in rows}


def _history(
    rng: random.Random, archetype: str, interval: int, today: date, start: date
) -> tuple[list[date], bool]:
    """The days of the account's reviews, oldest first, and whether it keeps its cadence."""
    if archetype == "decliner":
        days, day, gap = [], start + timedelta(days=rng.randint(0, 40)), interval
        while day <= today - timedelta(days=interval // 2):
            days.append(day)
            gap = int(gap * rng.uniform(1.25, 1.6))  # meetings thin out before the account fades
            day += timedelta(days=gap)
        return days, False
    if archetype == "churner":
        stop = today - timedelta(days=rng.randint(interval + 120, 420))
        days, day = [], start + timedelta(days=rng.randint(0, 30))
        while day < stop:
            days.append(day)
            day += timedelta(days=int(interval * rng.uniform(1.0, 1.4)))
        return days, False
    on_cadence = rng.random() < (0.7 if archetype in ("steady", "grower") else 0.5)
    last = (
        today - timedelta(days=rng.randint(5, int(interval * 0.8)))
        if on_cadence
        else today - timedelta(days=interval + rng.randint(8, 110))
    )
    days, day = [], last
    while day >= start:
        days.append(day)
        day -= timedelta(days=int(interval * rng.uniform(0.8, 1.0)))
    return sorted(days), on_cadence


def _row(
    account: str,
    day: date,
    kind: str,
    status: str,
    people: Sequence[str],
    contacts: Sequence[str],
    rating: int | None,
    outcome: str,
    reference: str,
    start: str = "",
) -> dict[str, str]:
    return {
        "customer_id": account,
        "date": day.isoformat(),
        "kind": kind,
        "status": status,
        "start_time": start,
        "our_people": ";".join(people),
        "contacts": ";".join(contacts),
        "outcome": outcome,
        "rating": str(rating) if rating else "",
        "reference": reference,
    }


def write_demo_log(
    keys: Sequence[KeyAccount],
    archetypes: Mapping[str, str],
    contacts: Mapping[str, list[str]],
    *,
    seed: int,
    today: date,
    path: Path,
) -> int:
    """Write the demo's engagement log as a CSV file at ``path``; returns its rows."""
    rng = random.Random(seed * 7919 + 12)
    start = today - timedelta(days=365 * YEARS)
    rows: list[dict[str, str]] = []
    for key in sorted(keys, key=lambda k: k.account_id):
        cid = key.account_id
        archetype = archetypes.get(cid, "steady")
        interval = INTERVAL.get(key.tier, 120)
        manager = key.manager.username if key.manager else ""
        sponsor = key.executive_sponsor.username if key.executive_sponsor else ""
        ours = [manager] if manager else []
        theirs = contacts.get(cid, [])
        reviews, on_cadence = _history(rng, archetype, interval, today, start)
        mood = {"decliner": -1, "churner": -1.5, "grower": 0.5}.get(archetype, 0.0)
        for number, day in enumerate(reviews):
            people = list(ours)
            kind = EngagementKind.QBR.value
            if key.tier == "tier_1" and sponsor and number % 2 == 1:
                kind, people = EngagementKind.EXECUTIVE_REVIEW.value, [*ours, sponsor]
            drift = number / max(1, len(reviews)) if mood < 0 else 0.0
            rating = round(min(5, max(1, rng.gauss(3.6 + mood * drift, 0.7))))
            met = rng.sample(theirs, min(len(theirs), rng.randint(1, 3))) if theirs else []
            rows.append(
                _row(cid, day, kind, "held", people, met, rating,
                     rng.choice(OUTCOMES[kind]), f"demo-{cid}-r{number}")
            )  # fmt: skip
            # Between reviews: calls and visits, fewer for accounts that are fading.
            between = rng.randint(0, 1 if archetype in ("decliner", "churner") else 3)
            for extra in range(between):
                offset = rng.randint(10, max(11, interval - 10))
                when = day + timedelta(days=offset)
                if when > today - timedelta(days=1) or (
                    not on_cadence and number == len(reviews) - 1
                ):
                    continue
                kind = rng.choice(
                    [EngagementKind.CALL.value] * 3
                    + [EngagementKind.VISIT.value, EngagementKind.WORKSHOP.value,
                       EngagementKind.TRAINING.value, EngagementKind.JOINT_PLANNING.value,
                       EngagementKind.STEERING_COMMITTEE.value]
                )  # fmt: skip
                who = rng.sample(theirs, 1) if theirs else []
                rows.append(
                    _row(cid, when, kind, "held", ours, who, rng.randint(3, 5),
                         rng.choice(OUTCOMES[kind]), f"demo-{cid}-r{number}-{extra}")
                )  # fmt: skip
        if on_cadence and reviews:
            due = reviews[-1] + timedelta(days=interval)
            planned = max(today + timedelta(days=1), due - timedelta(days=rng.randint(0, 20)))
            rows.append(
                _row(cid, planned, EngagementKind.QBR.value, "planned", ours, theirs[:2], None,
                     "", f"demo-{cid}-next", start=f"{rng.choice((9, 10, 14, 15))}:00")
            )  # fmt: skip
    columns = list(rows[0]) if rows else ["customer_id", "date", "kind"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def do_load_demo_engagements(
    people: Sequence[User], archetypes: object, *, seed: int, today: date, directory: Path
) -> int:
    """Write and import the demo's engagement log, then give the latest review of accounts
    with a plan its follow-up actions; returns the engagements imported."""
    actor = next(
        person
        for person in people
        if Role.HEAD_OF_KAM in person.roles()
        and across_programme(person, Permission.LOG_ENGAGEMENTS)
    )
    keys = list(KeyAccount.objects.select_related("manager", "executive_sponsor"))
    if not keys:
        return 0
    contacts: dict[str, list[str]] = {}
    for account_id, name, email in (
        Contact.objects.filter(account_id__in=[k.account_id for k in keys])
        .order_by("account_id", "name")
        .values_list("account_id", "name", "email")
    ):
        contacts.setdefault(account_id, []).append(email or name)
    path = directory / "engagements.csv"
    count = write_demo_log(
        keys, archetypes_by_account(archetypes), contacts, seed=seed, today=today, path=path
    )
    if not count:
        return 0
    report = services.do_import_engagements(actor, path, today=today)
    rng = random.Random(seed)
    with_plans = set(AccountPlan.objects.values_list("account_id", flat=True))
    for key in sorted(keys, key=lambda k: k.account_id):
        if key.account_id not in with_plans:
            continue
        latest = (
            Engagement.objects.filter(
                account_id=key.account_id,
                status=EngagementStatus.HELD,
                kind__in=[EngagementKind.QBR, EngagementKind.EXECUTIVE_REVIEW],
            )
            .order_by("-date")
            .first()
        )
        if latest is None or latest.follow_ups.exists():
            continue
        chosen = rng.sample(FOLLOW_UPS, 2)
        services.do_add_follow_ups(
            actor,
            latest,
            [
                services.FollowUp(
                    text, key.manager, latest.date + timedelta(days=rng.randint(14, 60))
                )
                for text in chosen
            ],
            today=today,
        )
    return report.rows
