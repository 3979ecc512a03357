"""The demo company's opportunities and wallets: every stage, won and lost with reasons,
the open ones past prospecting qualified, wallets for part of the categories (the demo of
120 customers, ``small_demo``)."""

from collections import Counter

from kam.opportunities.models import Opportunity, Qualification, Stage, WalletEstimate


def test_the_demo_has_opportunities_in_every_stage_and_wallets_for_some(db, small_demo):
    stages = Counter(Opportunity.objects.values_list("stage", flat=True))
    assert set(stages) == set(Stage.values)
    assert not Opportunity.objects.filter(stage=Stage.LOST, close_reason="").exists()
    qualified = Opportunity.objects.exclude(stage__in=("prospecting", "won", "lost"))
    assert Qualification.objects.count() == qualified.count() > 0
    assert WalletEstimate.objects.values("account_id").distinct().count() > 0
