"""NPS / CSAT answers in (`kam import satisfaction`): all or nothing, every bad cell named
by line and column; the satisfaction component reads the year before its as-of date and is
missing, never a value, for an account without an answer."""

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied
from typer.testing import CliRunner

from kam.accounts.models import Account
from kam.analytics.health import DEFAULT_POLICY
from kam.analytics.health.score import external_component
from kam.analytics.ingest import ImportRefused
from kam.audit.models import AuditEntry
from kam.cli import app
from kam.health import queries
from kam.health.models import SatisfactionAnswer
from kam.health.services import do_import_satisfaction
from kam.people.roles import Role

TODAY = dt.date(2026, 6, 30)
GOOD = (
    "customer_id,date,survey,score,respondent,comment\n"
    "C1,2026-03-01,nps,10,ana@c1.example,Great service\n"
    "C1,2026-04-01,nps,4,bo@c1.example,Late deliveries\n"
    "C1,2026-05-01,csat,5,ana@c1.example,\n"
    "C2,2026-05-02,CSAT,2,,\n"
)


@pytest.fixture
def accounts(db):
    for customer_id in ("C1", "C2", "C3"):
        Account.objects.create(customer_id=customer_id, name=f"Customer {customer_id}")


def _import(user, tmp_path, text, name="answers.csv"):
    path = tmp_path / name
    path.write_text(text)
    return do_import_satisfaction(user, path, today=TODAY)


def test_answers_import_once_and_feed_the_satisfaction_component(accounts, head_of_kam, tmp_path):
    first = _import(head_of_kam, tmp_path, GOOD)
    again = _import(head_of_kam, tmp_path, GOOD)

    assert (first.inserted, first.updated) == (4, 0)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert AuditEntry.objects.filter(object_repr="satisfaction answers file answers.csv").count()
    found = queries.satisfaction(TODAY)
    # C1: NPS 10 → 1.0, NPS 4 → 0.4, CSAT 5 → 1.0; C2: CSAT 2 → 0.25
    assert found["C1"].raw == pytest.approx(0.8)
    assert "2 NPS answer(s) in the last year: 1 promoter(s), 1 detractor(s), NPS +0" in (
        found["C1"].explanation
    )
    assert "1 CSAT answer(s) in the last year, 5.0 of 5 on average" in found["C1"].explanation
    assert found["C2"].raw == pytest.approx(0.25)
    assert external_component("satisfaction", found["C1"]).points == pytest.approx(80)


def test_an_account_without_answers_is_missing_not_zero(accounts, head_of_kam, tmp_path):
    _import(head_of_kam, tmp_path, GOOD)

    measured = queries.app_components(TODAY)
    # answers older than a year are not read either
    late = queries.app_components(TODAY + dt.timedelta(days=400))

    assert "satisfaction" not in measured.get("C3", {})
    assert "C1" not in late or "satisfaction" not in late["C1"]
    component = external_component("satisfaction", measured.get("C3", {}).get("satisfaction"))
    assert component.points is None
    assert component.explanation == "no data for satisfaction"
    assert DEFAULT_POLICY.weight("satisfaction") > 0


def test_a_bad_file_names_each_row_and_column_and_changes_nothing(accounts, head_of_kam, tmp_path):
    _import(head_of_kam, tmp_path, GOOD)
    bad = (
        "customer_id,date,survey,score,respondent\n"
        "C1,2026-05-01,nps,7,cy@c1.example\n"
        "C9,2026-05-01,nps,7,\n"
        "C1,01/05/2026,nps,7,\n"
        "C1,2026-05-01,ces,7,\n"
        "C1,2026-05-01,nps,11,\n"
        "C1,2026-05-01,csat,0,\n"
    )
    # the rules across rows are checked once every cell is good
    clash = (
        "customer_id,date,survey,score,respondent\n"
        "C1,2026-05-01,nps,7,cy@c1.example\n"
        "C1,2026-07-15,nps,8,\n"
        "C1,2026-05-01,nps,7,CY@c1.example\n"
    )

    with pytest.raises(ImportRefused) as refused:
        _import(head_of_kam, tmp_path, bad, "bad.csv")

    problems = {(p.line, p.column): p.reason for p in refused.value.report.problems}
    assert problems[(3, "customer_id")] == "no account 'C9'"
    assert "is not a YYYY-MM-DD date" in problems[(4, "date")]
    assert "is not a survey (nps or csat)" in problems[(5, "survey")]
    assert "'11' is not a whole number 0–10 (NPS)" in problems[(6, "score")]
    assert "'0' is not a whole number 1–5 (CSAT)" in problems[(7, "score")]
    with pytest.raises(ImportRefused) as refused:
        _import(head_of_kam, tmp_path, clash, "clash.csv")
    problems = {(p.line, p.column): p.reason for p in refused.value.report.problems}
    assert problems == {
        (3, "date"): "2026-07-15 is after today: an answer not given yet",
        (4, "respondent"): "the same answer as line 2",
    }
    assert SatisfactionAnswer.objects.count() == 4
    assert not SatisfactionAnswer.objects.filter(respondent="cy@c1.example").exists()


def test_only_a_user_who_may_import_data_imports_answers(accounts, make_user, tmp_path):
    manager = make_user(Role.KEY_ACCOUNT_MANAGER, "kim")

    with pytest.raises(PermissionDenied):
        _import(manager, tmp_path, GOOD)

    assert not SatisfactionAnswer.objects.exists()


def test_the_command_prints_its_figures_and_refusals_as_json(accounts, head_of_kam, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD.replace("2026-", "2025-"))
    bad.write_text("customer_id,date,survey,score\nC1,2025-05-01,nps,x\n")

    imported = CliRunner().invoke(
        app, ["import", "satisfaction", str(good), "--as", "head", "--json"]
    )
    refused = CliRunner().invoke(
        app, ["import", "satisfaction", str(bad), "--as", "head", "--json"]
    )

    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["inserted"] == 4
    assert refused.exit_code == 1
    problem = json.loads(refused.stdout)["problems"][0]
    assert (problem["line"], problem["column"]) == (2, "score")


def test_the_upload_page_imports_a_file_or_names_every_bad_cell(accounts, head_of_kam):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(head_of_kam)
    url = reverse("health:satisfaction_import")
    bad = "customer_id,date,survey,score\nC1,2025-05-01,nps,12\n"

    refused = client.post(url, {"file": SimpleUploadedFile("bad.csv", bad.encode())})
    imported = client.post(
        url, {"file": SimpleUploadedFile("good.csv", GOOD.replace("2026-", "2025-").encode())}
    )

    assert refused.status_code == 422
    assert "&#x27;12&#x27; is not a whole number 0–10 (NPS)" in refused.content.decode()
    assert imported.status_code == 200
    assert "Imported good.csv" in imported.content.decode()
    assert SatisfactionAnswer.objects.count() == 4
