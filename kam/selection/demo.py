"""Key-account selection for the demo company: a fitted policy, ratings, two cycles, managers.

The demo has about 3,000 customers and 12 key account managers. Under the default policy
about 400 accounts qualify (the top 15%), and 12 managers holding 5–10 each cover 120 of
them: the key set is the 120 most attractive, and the pages show both figures and what
another manager would cover. The demo rates the larger accounts as their managers would,
publishes a first cycle as of one year before the latest transaction, assigns managers
and executive sponsors (each sponsor at the capacity the demo gives them),
and proposes a second (draft) cycle as of the latest transaction.
Deterministic for a seed.
"""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from kam.accounts.models import Account
from kam.analytics.demo import DEMO_PEOPLE
from kam.analytics.selection.features import account_features
from kam.analytics.store import latest_transaction_date
from kam.people.models import User
from kam.people.roles import Role
from kam.selection import assignment, services
from kam.selection.models import SelectionCycle
from kam.stores import analytics_store

RATED_ACCOUNTS = 240


@dataclass(frozen=True)
class DemoSelection:
    """What the demo selection created."""

    published: SelectionCycle
    draft: SelectionCycle
    ratings: int
    assignment_problem: str


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _assign(head: User, cycle: SelectionCycle) -> str:
    proposal = assignment.propose_assignment(head, cycle)
    chosen = proposal.sponsor_of
    if proposal.assignment is None:
        services.do_apply_sponsors(head, cycle, chosen)
        return proposal.problem
    services.do_apply_assignment(head, cycle, proposal.placements, chosen)
    return ""


def _sponsor_capacities(head: User, people: Sequence[User]) -> None:
    capacity = {p.username: p.sponsor_capacity for p in DEMO_PEOPLE if p.sponsor_capacity}
    for person in people:
        if Role.EXECUTIVE_SPONSOR in person.roles() and person.username in capacity:
            services.do_set_sponsor_capacity(head, person, capacity[person.username])


def do_load_demo_selection(
    users: Sequence[str | User],
    seed: int = 7,
    after_publishing: Callable[[SelectionCycle], None] | None = None,
) -> DemoSelection:
    """Run the demo's selection end to end as its Head of KAM (see the module docstring).
    ``after_publishing`` runs once the first cycle is published and assigned, before the
    second is scored: the demo's programme starts working there."""
    people = [u if isinstance(u, User) else User.objects.get(username=u) for u in users]
    head = next(p for p in people if Role.HEAD_OF_KAM in p.roles())
    managers = [p for p in people if Role.KEY_ACCOUNT_MANAGER in p.roles()]
    rng = random.Random(seed)
    _sponsor_capacities(head, people)

    version = services.do_ensure_default_policy()
    base = version.policy()

    store = analytics_store()
    with store.connect(read_only=True) as con:
        latest = latest_transaction_date(con)
        if latest is None:
            raise services.SelectionError("the store has no transactions; load the demo first")
        features = account_features(con, latest)
        largest = (
            features.filter(features.revenue_12m > 0)
            .order_by([features.revenue_12m.desc(), features.customer_id])
            .limit(RATED_ACCOUNTS)
            .select("customer_id", "growth_slope")
            .to_pyarrow()
            .to_pylist()
        )
    rated = 0
    keys = [c.key for c in base.criteria if c.source.value == "rated"]
    for index, row in enumerate(largest):
        rater = managers[index % len(managers)] if managers else head
        # Growing accounts tend to rate better on fit and access: a plausible, varied picture.
        lean = 1 if (row["growth_slope"] or 0) > 0 else 0
        values: dict[str, int | None] = {
            key: min(5, max(1, round(rng.gauss(3 + lean, 1)))) for key in keys
        }
        if rng.random() < 0.15:  # some ratings not given yet: missing, not zero
            values[rng.choice(keys)] = None
        if rater is not head:  # a manager rates the accounts they work on
            Account.objects.get(customer_id=row["customer_id"]).team.add(rater)
        rated += len(services.do_rate_account(rater, row["customer_id"], values, note="demo"))

    first_run = services.do_run_scoring(head, version, _year_before(latest))
    first = services.do_create_cycle(
        head, score_run=first_run, name=f"Key accounts {first_run.as_of:%Y}"
    )
    services.do_approve_cycle(head, first)
    services.do_publish_cycle(head, first)
    problem = _assign(head, first)
    if after_publishing is not None:
        after_publishing(first)

    second_run = services.do_run_scoring(head, version, latest)
    draft = services.do_create_cycle(
        head, score_run=second_run, name=f"Key accounts {second_run.as_of:%Y}"
    )
    problem = _assign(head, draft) or problem
    return DemoSelection(published=first, draft=draft, ratings=rated, assignment_problem=problem)
