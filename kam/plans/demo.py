"""Account plans for the demo company: deterministic for a seed, written through the services
so every rule holds. Plans vary on purpose — some complete, some half-written, some with
overdue actions, reviews of each kind, a few with versions — so every screen has something
to show.
"""

import random
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from kam.accounts.access import across_programme
from kam.accounts.models import Account
from kam.people.models import User
from kam.people.roles import Permission, Role
from kam.people.services import has_permission
from kam.plans import services
from kam.plans.models import AccountPlan, ActionStatus, ReviewKind, RiskStatus

OBJECTIVES = (
    ("Cut total logistics cost by 8%", "Cost per shipped unit, quarterly"),
    ("Enter two new EU markets", "Revenue from new markets"),
    ("Halve stock-outs at the main plants", "Stock-out days per month"),
    ("Reach net-zero packaging by 2028", "Share of recyclable packaging"),
    ("Consolidate the supplier base", "Number of active suppliers"),
    ("Shorten time to market for new lines", "Weeks from brief to launch"),
)
VALUE_PROPOSITIONS = (
    "One partner for the whole category, with a single service desk and quarterly cost reviews.",
    "Guaranteed availability on the top 200 lines, backed by vendor-managed inventory.",
    "Joint innovation: our application lab co-develops their next product generation.",
)
SWOT = {
    "strengths": ["Broadest range in the category", "Local technical service", "Long history"],
    "weaknesses": ["Slow quoting", "Weak digital ordering", "Price above market"],
    "opportunities": ["New plant opening", "Supplier consolidation", "Sustainability push"],
    "threats": ["Low-cost entrant", "Budget freeze", "Change of CPO"],
}
PEST = {
    "political": ["New EU packaging rules", "Trade tariffs on imports"],
    "economic": ["Energy prices", "Currency swings"],
    "social": ["Skills shortage on the shop floor"],
    "technological": ["Automation of procurement", "Telematics and IoT"],
}
RISKS = (
    ("Incumbent competitor undercuts on price", "Total-cost-of-ownership study with finance"),
    ("Our champion leaves the company", "Build relationships with two more senior contacts"),
    ("Budget freeze for next year", "Phase the project; show payback within 12 months"),
    ("Quality incident at their main plant", "Joint quality audit every quarter"),
)
ACTIONS = (
    "Prepare the quarterly business review",
    "Invite the CFO to our innovation day",
    "Send the total-cost study",
    "Run a joint roadmap workshop",
    "Agree the service level report",
    "Map the new procurement team",
    "Propose a vendor-managed inventory pilot",
)


def _actor(users: Sequence[User]) -> User:
    """Who writes the demo plans: someone who edits every account (the Head of KAM)."""
    for user in users:
        if has_permission(user, Permission.EDIT_PLANS) and across_programme(
            user, Permission.EDIT_PLANS
        ):
            return user
    raise ValueError("The demo needs a Head of KAM or an Administrator to write its plans.")


def _fill_plan(
    rng: random.Random, actor: User, owner: User, account: Account, today: date, richness: float
) -> None:
    """Write one plan; ``richness`` (0–1) decides how much of it is filled."""
    plan = services.do_create_plan(
        actor, account, today=today - timedelta(days=rng.randint(30, 300))
    )
    plan.owner = owner
    plan.save(update_fields=["owner"])
    account.team.add(owner)  # the manager who keeps the plan works the account
    objectives = (
        [
            services.do_add_objective(actor, plan, title, measure)
            for title, measure in rng.sample(OBJECTIVES, rng.randint(1, 3))
        ]
        if richness > 0.15
        else []
    )
    revenue = Decimal(rng.randrange(400, 6000)) * 1000
    for year in range(today.year, today.year + (3 if richness > 0.5 else 1)):
        services.do_set_target(actor, plan, year=year, revenue=revenue)
        revenue = (revenue * Decimal(1 + rng.uniform(0.03, 0.2))).quantize(Decimal(1000))
    if richness > 0.35:
        swot = {name: rng.sample(items, rng.randint(1, 2)) for name, items in SWOT.items()}
        if richness < 0.6:
            swot["threats"] = []  # the quadrant people skip
        services.do_update_section(actor, plan, "swot", swot, expected_revision=0)
    if richness > 0.5:
        text = rng.choice(VALUE_PROPOSITIONS)
        services.do_update_section(
            actor, plan, "value_proposition", {"text": text}, expected_revision=0
        )
    if richness > 0.65:
        pest = {name: rng.sample(items, 1) for name, items in PEST.items()}
        services.do_update_section(actor, plan, "pest", pest, expected_revision=0)
        services.do_update_section(
            actor,
            plan,
            "implementation",
            {
                "text": "Pilot at one site this quarter, roll-out to all sites within a year; "
                "value tracked monthly against the agreed baseline."
            },
            expected_revision=0,
        )
    if richness > 0.25:
        for risk, mitigation in rng.sample(RISKS, rng.randint(1, 3)):
            added = services.do_add_risk(
                actor,
                plan,
                risk=risk,
                likelihood=rng.randint(1, 5),
                impact=rng.randint(2, 5),
                mitigation=mitigation,
                owner=owner,
            )
            if rng.random() < 0.25:
                services.do_update_risk_status(actor, added, RiskStatus.MITIGATED)
    for text in rng.sample(ACTIONS, rng.randint(2, 5)):
        action = services.do_add_action(
            actor,
            plan,
            action=text,
            owner=owner,
            due_on=today + timedelta(days=rng.randint(-45, 90)),
            objective=rng.choice(objectives) if objectives else None,
        )
        roll = rng.random()
        if roll < 0.3:
            services.do_update_action_status(actor, action, ActionStatus.DONE)
        elif roll < 0.5:
            services.do_update_action_status(actor, action, ActionStatus.IN_PROGRESS)
        elif roll < 0.55:
            services.do_update_action_status(actor, action, ActionStatus.CANCELLED)
    if rng.random() < 0.85:
        services.do_activate_plan(actor, plan)


def _review(
    rng: random.Random, actor: User, owner: User, plan_index: int, plan: AccountPlan, today: date
) -> None:
    kinds = list(ReviewKind)
    for number in range(plan_index % 3 + 1):
        kind = kinds[(plan_index + number) % len(kinds)]
        services.do_record_review(
            actor,
            plan,
            held_on=today - timedelta(days=rng.randint(5, 200)),
            kind=kind,
            reviewers=[owner],
            today=today,
            outcome=rng.choice(
                (
                    "Targets confirmed",
                    "Two new actions agreed",
                    "Risk register updated",
                    "Customer asked for a joint roadmap",
                )
            ),
            customer_participants="" if kind == ReviewKind.INTERNAL else "Head of Procurement",
        )


@transaction.atomic
def do_load_demo_plans(
    accounts: Sequence[Account], users: Sequence[User], today: date, seed: int
) -> int:
    """Write demo plans for ``accounts`` (the top ~40 key accounts), owned by ``users`` in turn.

    Accounts that already have a plan are left alone, so loading twice changes nothing.
    Returns how many plans were written.
    """
    rng = random.Random(seed)
    actor = _actor(users)
    # Key account managers keep plans; others only when the demo has no manager.
    owners = [u for u in users if Role.KEY_ACCOUNT_MANAGER in u.roles()] or [actor]
    written = 0
    for index, account in enumerate(accounts):
        if account.plans.exists():
            continue
        owner = owners[index % len(owners)]
        richness = 1.0 if index % 5 == 0 else rng.random()
        _fill_plan(rng, actor, owner, account, today, richness)
        plan = account.plans.get()
        if index % 4 != 3:  # some plans were never reviewed
            _review(rng, actor, owner, index, plan, today)
        if index % 6 == 0:
            services.do_cut_version(actor, plan, today=today - timedelta(days=60), note="Agreed")
            services.do_add_action(
                actor,
                plan,
                action="Follow up on the review",
                owner=owner,
                due_on=today + timedelta(days=14),
            )
            services.do_cut_version(actor, plan, today=today, note="After the last review")
        written += 1
    return written
