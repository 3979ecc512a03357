"""The demo plans: varied, with overdue actions, every review kind and a few versions."""

from kam.accounts.models import Account
from kam.people.roles import Role
from kam.plans import queries
from kam.plans.demo import do_load_demo_plans
from kam.plans.models import AccountPlan, PlanReview, PlanStatus, PlanVersion


def test_demo_plans_are_varied_and_idempotent(make_user, today):
    accounts = [
        Account.objects.create(customer_id=f"D{i:03d}", name=f"Demo Customer {i}")
        for i in range(12)
    ]
    users = [
        make_user(Role.HEAD_OF_KAM, "demo-head"),
        make_user(Role.KEY_ACCOUNT_MANAGER, "demo-kam-1"),
        make_user(Role.KEY_ACCOUNT_MANAGER, "demo-kam-2"),
    ]
    assert do_load_demo_plans(accounts, users, today, seed=7) == 12
    plans = list(AccountPlan.objects.all())
    assert len(plans) == 12
    percents = {queries.completeness(plan).percent for plan in plans}
    assert 100 in percents
    assert len(percents) >= 3
    assert sum(len(queries.overdue_actions(plan, today)) for plan in plans) >= 3
    assert set(PlanReview.objects.values_list("kind", flat=True)) == {
        "internal",
        "external",
        "co_created",
    }
    assert PlanVersion.objects.filter(number=2).exists()
    assert AccountPlan.objects.filter(status=PlanStatus.ACTIVE).exists()
    # Loading again writes nothing new.
    assert do_load_demo_plans(accounts, users, today, seed=7) == 0
    assert AccountPlan.objects.count() == 12
