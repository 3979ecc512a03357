"""The plan pages: sign-in, inline htmx edits, conflicts shown, 403 for viewers on writes."""

from datetime import timedelta

import pytest
from django.urls import reverse

from kam.plans.models import PlanAction, PlanStatus, PlanTemplate
from kam.plans.services import do_add_action, do_update_section

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def kam_client(client, kam_user):
    client.force_login(kam_user)
    return client


def _url(name, plan, *args):
    return reverse(f"plans:{name}", args=[plan.account_id, plan.pk, *args])


def test_plan_pages_need_a_login(client, plan):
    response = client.get(_url("detail", plan))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_account_without_a_plan_offers_to_start_one(kam_client, account):
    response = kam_client.get(reverse("plans:home", args=[account.pk]))
    assert response.status_code == 200
    assert "Start a plan" in response.content.decode()
    created = kam_client.post(
        reverse("plans:create", args=[account.pk]), {"horizon_months": 18, "title": ""}
    )
    plan = account.plans.get()
    assert created["Location"] == _url("detail", plan)
    assert plan.horizon_months == 18


def test_plan_page_shows_health_sections_and_overdue_actions(kam_client, plan, kam_user, today):
    do_add_action(
        kam_user,
        plan,
        action="Chase the signed NDA",
        owner=kam_user,
        due_on=today - timedelta(days=3),
    )
    response = kam_client.get(reverse("plans:home", args=[plan.account_id]), follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Completeness",
        "Freshness",
        "never reviewed",
        "SWOT analysis",
        "PEST analysis",
        "Stakeholder map",
        "Risk register",
        "Still to write:",
    ):
        assert text in page, text
    assert 'class="is-overdue' in page
    assert "Chase the signed NDA" in page


def test_htmx_add_action_answers_with_the_action_card_first(kam_client, plan, kam_user, today):
    objective = plan.objectives.create(title="Grow in Poland")
    response = kam_client.post(
        _url("action_add", plan),
        {
            "action": "Book QBR",
            "owner": kam_user.pk,
            "due_on": "2026-01-10",
            "objective": objective.pk,
        },
        **HTMX,
    )
    fragment = response.content.decode()
    assert response.status_code == 200
    assert fragment.lstrip().startswith('<section class="card plan-section" id="actions">')
    assert "<html" not in fragment
    assert "Book QBR" in fragment
    assert "Overdue" in fragment  # due before today's date on the machine running the test
    action = PlanAction.objects.get(plan=plan)
    assert (action.owner, action.objective) == (kam_user, objective)


def test_htmx_add_action_with_errors_keeps_the_form(kam_client, plan):
    response = kam_client.post(_url("action_add", plan), {"action": "", "due_on": "x"}, **HTMX)
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    assert not PlanAction.objects.exists()


def test_action_status_changes_inline(kam_client, plan, kam_user, today):
    action = do_add_action(kam_user, plan, action="Send deck", owner=kam_user, due_on=today)
    response = kam_client.post(_url("action_status", plan, action.pk), {"status": "done"}, **HTMX)
    assert response.status_code == 200
    action.refresh_from_db()
    assert action.status == "done"


def test_section_edit_conflict_shows_both_texts(kam_client, plan, other_kam):
    edit = kam_client.get(_url("section_edit", plan, "value_proposition"), **HTMX)
    assert 'name="revision" value="0"' in edit.content.decode()
    # Meanwhile a colleague saves the same section.
    do_update_section(
        other_kam,
        plan,
        "value_proposition",
        {"text": "Olli: lowest landed cost"},
        expected_revision=0,
    )
    response = kam_client.post(
        _url("section", plan, "value_proposition"),
        {"revision": 0, "text": "Kim: one control tower"},
    )
    page = response.content.decode()
    assert response.status_code == 409
    assert "Olli: lowest landed cost" in page
    assert "Kim: one control tower" in page
    assert "Olli Other" in page
    assert 'name="revision" value="1"' in page
    assert plan.sections.get(key="value_proposition").content == {
        "text": "Olli: lowest landed cost"
    }


def test_section_save_swaps_the_card(kam_client, plan):
    response = kam_client.post(
        _url("section", plan, "swot"),
        {
            "revision": 0,
            "strengths": "Cold chain\nService",
            "weaknesses": "",
            "opportunities": "",
            "threats": "Price",
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert "<li>Service</li>" in response.content.decode()
    assert plan.sections.get(key="swot").content["strengths"] == ["Cold chain", "Service"]


@pytest.mark.parametrize(
    ("name", "args", "data"),
    [
        ("action_add", (), {"action": "x", "due_on": "2026-07-01"}),
        ("objective_add", (), {"title": "x"}),
        ("risk_add", (), {"risk": "x", "likelihood": 3, "impact": 3}),
        ("target_set", (), {"year": 2026, "revenue": 10}),
        ("section", ("value_proposition",), {"revision": 0, "text": "x"}),
        ("version_cut", (), {}),
        ("review_add", (), {"held_on": "2026-01-01", "kind": "internal", "outcome": "x"}),
        ("activate", (), {}),
    ],
)
def test_viewers_get_403_on_every_write(client, viewer, plan, name, args, data):
    client.force_login(viewer)
    response = client.post(_url(name, plan, *args), data, **HTMX)
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert not plan.actions.exists()
    assert not plan.versions.exists()


def test_viewer_reads_the_plan_without_edit_controls(client, viewer, plan):
    client.force_login(viewer)
    page = client.get(_url("detail", plan)).content.decode()
    assert "SWOT analysis" in page
    assert "Add action" not in page


def test_pdf_download(kam_client, plan):
    response = kam_client.get(_url("document_pdf", plan))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_head_of_kam_edits_a_template_kam_may_not(client, head_of_kam, kam_user):
    url = reverse("plans:template_edit", args=["vendor"])
    client.force_login(kam_user)
    assert client.get(url).status_code == 403
    client.force_login(head_of_kam)
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="revision" value="0"' in page.content.decode()
    response = client.post(
        url,
        {
            "required_sections": ["objectives", "actions"],
            "prompt_actions": "Weekly.",
            "revision": 0,
        },
    )
    assert response.status_code == 302
    template = PlanTemplate.objects.get(alignment_level="vendor")
    assert template.required_sections == ["objectives", "actions"]
    assert template.prompts["actions"] == "Weekly."
    listing = client.get(reverse("plans:templates")).content.decode()
    assert "Vendor" in listing
    assert "Partner" in listing


def test_the_plan_page_says_which_day_freshness_and_overdue_count_from(kam_client, plan):
    from django.utils import timezone

    page = kam_client.get(_url("detail", plan)).content.decode()
    today = timezone.localdate()
    stated = f"Freshness and overdue actions count from today, <strong>{today:%-d %b %Y}</strong>"
    assert stated in page
    assert f"as of today, {today:%-d %b %Y}" in page


def test_the_plan_page_pickers_offer_every_active_person_as_each_form_would(
    kam_client, plan, kam_user, other_kam, make_user
):
    from kam.people.roles import Role
    from kam.plans.forms import ActionForm, ReviewForm, RiskForm, share_people

    gone = make_user(Role.KEY_ACCOUNT_MANAGER, "gone", first_name="Gone", last_name="Away")
    gone.is_active = False
    gone.save()
    alone = [RiskForm(), ActionForm(plan), ReviewForm()]
    shared = [RiskForm(), ActionForm(plan), ReviewForm()]
    share_people(*shared)
    for own, together in zip(alone, shared, strict=True):
        for name in ("owner", "reviewers"):
            if name in own.fields:
                assert str(together[name]) == str(own[name])
                assert "Gone Away" not in str(together[name])
                assert "Olli Other" in str(together[name])
    page = kam_client.get(_url("detail", plan)).content.decode()
    assert page.count("Olli Other") >= 3  # the risk's and the action's owner, the reviewers
    # A shared picker still refuses someone who may no longer be chosen.
    chosen = ActionForm(plan, data={"action": "Call", "owner": gone.pk, "due_on": "2026-07-01"})
    share_people(chosen)
    assert "owner" in chosen.errors
