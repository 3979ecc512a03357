"""Opportunities and wallet estimates for the demo company's key accounts, deterministic for
a seed (and the day it is loaded: close dates count from today).

Consistent with the demo's archetypes: growers have the fullest pipeline and win most of
what closes; steady accounts a few opportunities, won about as often as lost; decliners
lose more than they win and open little; churners have lost their last ones. Every stage
appears, lost opportunities say why. Opportunities sit in categories the account does not
buy yet (cross-sell) or buys in one business unit and not another (up-sell), in the
account's own business units. Wallet estimates are entered for about half of the
categories each key account buys — the rest show the peers' estimate. Both are written as
CSV files and imported through the services like a user's own; the open ones with a stage
past prospecting are then qualified by the four questions.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from kam.accounts.access import across_programme
from kam.analytics.whitespace import bought
from kam.opportunities import services
from kam.opportunities.models import OPEN_STAGES, Opportunity, Stage
from kam.opportunities.verdict import Question
from kam.people.models import User
from kam.people.roles import Permission, Role
from kam.selection.models import KeyAccount
from kam.stores import analytics_store

LOST_REASONS = (
    "Price: the competitor came in 12% lower.",
    "They kept the incumbent: switching cost too high this year.",
    "Budget frozen after their reorganisation.",
    "Our lead time was six weeks longer.",
    "No access to the new plant's decision maker.",
)
WON_REASONS = (
    "Won on total cost of ownership and the joint study.",
    "Their champion carried it through the committee.",
    "Service level guarantee made the difference.",
)
COMPETITORS = ("Acme Industrial", "Globex", "Initech Supply", "Umbrella Parts", "Hooli Trade")
SHAPE = {
    # archetype: (open opportunities, closed ones, chance a closed one was won)
    "grower": (4, 3, 0.7),
    "steady": (2, 2, 0.5),
    "decliner": (1, 3, 0.25),
    "churner": (0, 2, 0.0),
}
EVIDENCE = {
    Question.REAL: "Budget confirmed for the next financial year; volumes from their forecast.",
    Question.COMPETE: "Our range covers the spec; the incumbent is cheaper on list price.",
    Question.WIN: "Our champion in purchasing; the plant director not met yet.",
    Question.WORTH: "Margin in line with the account; opens the second site.",
}


def _purchases(customer_ids: list[str]) -> tuple[dict[str, dict[str, dict[str, float]]], list[str]]:
    """{account: {category: {unit: revenue}}} over the last 12 months, and every category."""
    from kam.analytics.store import latest_transaction_date

    with analytics_store().connect(read_only=True) as con:
        as_of = latest_transaction_date(con)
        if as_of is None:
            return {}, []
        rows = bought(con, as_of).to_pyarrow().to_pylist()
    found: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    wanted = set(customer_ids)
    for row in rows:
        if row["customer_id"] in wanted:
            found[row["customer_id"]][row["category"]][row["business_unit"]] = row["revenue_12m"]
    return found, sorted({row["category"] for row in rows})


def write_demo_files(
    keys: list[KeyAccount], archetypes: dict[str, str], *, seed: int, today: date, directory: Path
) -> tuple[Path, Path]:
    """Write opportunities.csv and wallets.csv for ``keys``; their paths."""
    rng = random.Random(seed * 7 + 12)
    purchases, catalogue = _purchases([k.account_id for k in keys])
    stages = list(OPEN_STAGES)
    opportunities, wallets = [], []
    for number, key in enumerate(sorted(keys, key=lambda k: k.account_id)):
        mine = purchases.get(key.account_id, {})
        units = sorted({unit for cats in mine.values() for unit in cats}) or [""]
        spend = {category: sum(by_unit.values()) for category, by_unit in mine.items()}
        for category in sorted(spend):
            if spend[category] > 0 and rng.random() < 0.5:
                amount = f"{spend[category] * rng.uniform(1.6, 4):.0f}"
                wallets.append([key.account_id, category, amount, "Customer's procurement review"])
        archetype = archetypes.get(key.account_id, "steady")
        opened, closed, win_rate = SHAPE.get(archetype, SHAPE["steady"])
        average = max(sum(spend.values()) / max(len(spend), 1), 5_000.0)
        for index in range(opened + closed):
            is_open = index < opened
            category = rng.choice(catalogue) if catalogue else "General"
            unit = rng.choice(units)
            value = round(average * rng.uniform(0.2, 1.2), -2)
            stage = stages[(number + index) % len(stages)] if is_open else (
                Stage.WON if rng.random() < win_rate else Stage.LOST
            )  # fmt: skip
            close = today + timedelta(days=rng.randint(10, 270)) if is_open else None
            closed_on = today - timedelta(days=rng.randint(20, 600)) if not is_open else None
            reason = ""
            if stage == Stage.LOST:
                reason = rng.choice(LOST_REASONS)
            elif stage == Stage.WON:
                reason = rng.choice(WON_REASONS)
            opportunities.append(
                [
                    key.account_id,
                    f"{category} for {unit or key.account.name}"[:200],
                    f"{value:.0f}",
                    (close or closed_on or today).isoformat(),
                    category,
                    stage,
                    unit,
                    "; ".join(rng.sample(COMPETITORS, rng.randint(1, 2))),
                    key.manager.username if key.manager else "",
                    closed_on.isoformat() if closed_on else "",
                    reason,
                    f"DEMO-{key.account_id}-{index}",
                ]
            )
    directory.mkdir(parents=True, exist_ok=True)
    opportunity_file, wallet_file = directory / "opportunities.csv", directory / "wallets.csv"
    with opportunity_file.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "name", "value", "expected_close_date", "product_category",
                         "stage", "business_unit", "competitors", "owner", "closed_on",
                         "close_reason", "reference"])  # fmt: skip
        writer.writerows(opportunities)
    with wallet_file.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "category", "amount", "source"])
        writer.writerows(wallets)
    return opportunity_file, wallet_file


def do_load_demo_opportunities(
    people: list[User], archetypes: dict[str, str], *, seed: int, today: date, directory: Path
) -> int:
    """Write and import the demo's opportunities and wallets, then qualify the open ones
    past prospecting; returns the opportunities imported."""
    actor = next(
        person
        for person in people
        if Role.HEAD_OF_KAM in person.roles()
        and across_programme(person, Permission.EDIT_OPPORTUNITIES)
    )
    keys = list(KeyAccount.objects.select_related("manager", "account"))
    if not keys:
        return 0
    opportunity_file, wallet_file = write_demo_files(
        keys, archetypes, seed=seed, today=today, directory=directory
    )
    report = services.do_import_opportunities(actor, opportunity_file, today=today)
    with wallet_file.open(encoding="utf-8") as lines:
        if sum(1 for _ in lines) > 1:
            services.do_import_wallets(actor, wallet_file)
    rng = random.Random(seed * 11 + 3)
    found = Opportunity.objects.filter(
        reference__startswith="DEMO-", stage__in=OPEN_STAGES[1:]
    ).order_by("pk")
    for opportunity in found:
        scores = {q: rng.choice((2, 3, 4, 4, 5)) for q in Question}
        services.do_qualify_opportunity(
            actor, opportunity, scores=scores, evidence=EVIDENCE,
            expected_margin_pct=round(rng.uniform(12, 38), 1),
        )  # fmt: skip
    return report.rows
