"""`kam health score|backtest|fit|decide` on simulated buyers: figures, history, the
policy's proposal and decision, and refusals."""

import datetime as dt

from cli_output import parse_json
from selection_seed import BUYERS_AS_OF

from kam.accounts.models import Account
from kam.cli import app
from kam.health import queries
from kam.health.models import HealthPolicyVersion, HealthScore, PolicyStatus
from kam.people.roles import Role


def test_backtest_prints_the_three_aucs_as_json(runner, buying, head_of_kam):
    as_of = (BUYERS_AS_OF - dt.timedelta(days=365)).isoformat()
    result = runner.invoke(
        app, ["health", "backtest", "--as-of", as_of, "--horizon", "6", "--json", "--as", "head"]
    )
    assert result.exit_code == 0, result.output
    figures = parse_json(result.stdout)
    assert set(figures["auc"]) == {"health", "revenue_trend", "recency"}
    assert all(0 <= value <= 1 for value in figures["auc"].values())
    assert figures["accounts"] == figures["bad"] + (figures["accounts"] - figures["bad"])
    assert sum(band["accounts"] for band in figures["calibration"]) == figures["accounts"]
    table = runner.invoke(
        app, ["health", "backtest", "--as-of", as_of, "--horizon", "6", "--as", "head"]
    ).stdout
    assert "recency alone" in table
    assert f"{figures['auc']['recency']:.3f}" in table


def test_each_scoring_run_adds_a_point_to_every_history(runner, buying, head_of_kam):
    runs = []
    for _ in range(2):
        result = runner.invoke(app, ["health", "score", "--as", "head", "--json"])
        assert result.exit_code == 0, result.output
        runs.append(parse_json(result.output))
    # The second run's P(alive) fit starts from the first's model, and says how it was fitted
    # when that was not the usual way.
    assert runs[0]["alive_model"]
    assert runs[1]["alive_model"] == runs[0]["alive_model"]
    assert isinstance(runs[1]["alive_note"], str)
    first = HealthScore.objects.order_by("account_id").first()
    assert first is not None
    account = Account.objects.get(customer_id=first.account_id)
    history = queries.score_history(account)
    assert len(history) == 2
    assert history[0].score == history[1].score
    latest = queries.latest_score(account)
    assert latest is not None
    assert {c["key"] for c in latest.components} >= {"revenue_trend", "p_alive", "order_rhythm"}
    assert HealthScore.objects.filter(run_id=history[0].run_id).count() > 0


def test_fit_proposes_a_version_the_head_of_kam_decides(runner, buying, head_of_kam, make_user):
    make_user(Role.ANALYST, "analyst")
    fitted = runner.invoke(app, ["health", "fit", "--horizon", "6", "--as", "analyst", "--json"])
    assert fitted.exit_code == 0, fitted.output
    figures = parse_json(fitted.stdout)
    assert figures["status"] == PolicyStatus.PROPOSED
    assert figures["version"] == 2  # the hand-set default was stored as version 1
    assert set(figures["current"]["auc"]) == set(figures["proposed"]["auc"])
    assert figures["training_as_of"] < figures["validation_as_of"]
    refused = runner.invoke(app, ["health", "decide", "2", "--accept", "--as", "analyst"])
    assert refused.exit_code == 3
    assert queries.current_policy().policy.version == 1
    accepted = runner.invoke(app, ["health", "decide", "2", "--accept", "--as", "head"])
    assert accepted.exit_code == 0, accepted.output
    assert queries.current_policy().policy.version == 2
    again = runner.invoke(app, ["health", "decide", "2", "--reject", "--as", "head"])
    assert again.exit_code == 1
    assert "not proposed" in again.output
    assert HealthPolicyVersion.objects.get(version=2).decided_by == head_of_kam


def test_a_viewer_may_not_score_or_backtest(runner, buying, viewer):
    assert runner.invoke(app, ["health", "score", "--as", "viewer"]).exit_code == 3
    result = runner.invoke(
        app, ["health", "backtest", "--as-of", BUYERS_AS_OF.isoformat(), "--as", "viewer"]
    )
    assert result.exit_code == 3
