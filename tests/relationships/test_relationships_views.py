"""The stakeholder map pages: reading, htmx edits, imports and who may do what."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kam.relationships.models import AccountAlignment, Contact, Relationship
from kam.relationships.services import do_add_contact, do_link_relationship

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, account, **kwargs) -> str:
    return reverse(f"relationships:{name}", kwargs={"customer_id": account.customer_id, **kwargs})


@pytest.fixture
def ceo(kam_user, account):
    return do_add_contact(
        kam_user, account, name="Anna Berg", title="CEO", level="executive",
        buying_roles=["decision_maker"], influence=5,
    )  # fmt: skip


@pytest.fixture
def kam_client(client, kam_user):
    client.force_login(kam_user)
    return client


def test_the_map_needs_a_login(client, account) -> None:
    response = client.get(url("map", account))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_map_shows_model_chart_contacts_and_alignment(kam_client, account, ceo, kam_user):
    do_link_relationship(kam_user, ceo, kam_user, strength=4)
    response = kam_client.get(url("map", account))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bow-tie" in html
    assert "Principal contact between two people – the account manager and the buyer." in html
    assert "Single-threaded" in html
    assert "<svg" in html
    assert f'data-contact-id="{ceo.pk}"' in html
    assert "Anna Berg" in html
    assert "No alignment level set for this account yet." in html
    assert "Add a stakeholder" in html


def test_a_kam_adds_a_stakeholder_under_an_existing_one_without_leaving_the_page(
    kam_client, account, ceo, kam_user, sponsor
):
    do_link_relationship(kam_user, ceo, sponsor, strength=3)
    response = kam_client.post(
        url("contact_add", account),
        {"name": "Jan Vos", "title": "Head of Procurement", "level": "senior",
         "buying_roles": ["budget_holder"], "influence": 4, "attitude": 1,
         "reports_to": ceo.pk},
        **HTMX,
    )  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="rel-workspace"' in html
    assert "<html" not in html  # a fragment, not a page
    buyer = Contact.objects.get(name="Jan Vos")
    assert buyer.reports_to == ceo
    assert f'data-contact-id="{buyer.pk}"' in html  # drawn in the chart and listed

    # Linking our KAM to the new stakeholder turns the account into a diamond team.
    response = kam_client.post(
        url("link", account),
        {"contact": buyer.pk, "supplier_person": kam_user.pk, "strength": 4},
        **HTMX,
    )
    assert response.status_code == 200
    assert 'data-model="diamond"' in response.content.decode()
    assert Relationship.objects.count() == 2


def test_an_htmx_form_with_errors_comes_back_with_the_reasons(kam_client, account, ceo):
    response = kam_client.post(
        url("contact_add", account), {"name": "", "level": "board", "influence": 3}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "field-error" in html
    assert Contact.objects.count() == 1


def test_without_htmx_a_post_redirects_back_to_the_map(kam_client, account) -> None:
    response = kam_client.post(
        url("contact_add", account), {"name": "Mia Lund", "level": "operational",
                                      "influence": 2, "attitude": 0}
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == url("map", account)


def test_a_loop_chosen_on_the_edit_page_is_refused(kam_client, account, ceo, kam_user) -> None:
    buyer = do_add_contact(kam_user, account, name="Jan Vos", reports_to=ceo)
    response = kam_client.post(
        url("contact_edit", account, contact_id=ceo.pk),
        {"name": "Anna Berg", "level": "executive", "influence": 5, "attitude": 0,
         "reports_to": buyer.pk},
    )  # fmt: skip
    assert response.status_code == 400
    ceo.refresh_from_db()
    assert ceo.reports_to is None


def test_setting_the_alignment_level_shows_its_playbook(kam_client, account) -> None:
    response = kam_client.post(
        url("alignment", account), {"level": "business_consultant", "rationale": "QBR"}, **HTMX
    )
    html = response.content.decode()
    assert AccountAlignment.objects.get().level == "business_consultant"
    assert "Key Account Manager" in html
    assert "Value proposition crafted for and offered to the customer" in html
    assert "Higher switching costs due to higher integration, top-to-top engagement" in html


def test_the_vendor_level_says_the_seed_has_no_playbook_for_it(kam_client, account) -> None:
    response = kam_client.post(url("alignment", account), {"level": "vendor"}, **HTMX)
    assert "gives no value or risk playbook for" in response.content.decode()


def test_a_viewer_reads_the_map_but_may_not_change_it(client, viewer, account, ceo) -> None:
    client.force_login(viewer)
    page = client.get(url("map", account))
    assert page.status_code == 200
    assert "Add a stakeholder" not in page.content.decode()
    writes = [
        (
            url("contact_add", account),
            {"name": "X", "level": "senior", "influence": 3, "attitude": 0},
        ),
        (url("contact_edit", account, contact_id=ceo.pk), {"name": "Renamed"}),
        (url("contact_remove", account, contact_id=ceo.pk), {}),
        (url("link", account), {"contact": ceo.pk, "supplier_person": viewer.pk, "strength": 3}),
        (url("alignment", account), {"level": "partner"}),
        (url("import", account), {}),
    ]
    for target, data in writes:
        assert client.post(target, data, **HTMX).status_code == 403, target
    assert list(Contact.objects.values_list("name", flat=True)) == ["Anna Berg"]
    assert not AccountAlignment.objects.exists()


def test_an_unknown_account_is_not_found(kam_client) -> None:
    response = kam_client.get(reverse("relationships:map", kwargs={"customer_id": "NOPE"}))
    assert response.status_code == 404


def test_the_org_chart_downloads_as_svg(kam_client, account, ceo) -> None:
    response = kam_client.get(url("org_chart_svg", account))
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
    assert b"Anna Berg" in response.content


def test_the_import_page_lists_every_refused_row(kam_client, account) -> None:
    upload = SimpleUploadedFile("people.csv", b"name,influence\nAnna,9\n,2\n", "text/csv")
    response = kam_client.post(url("import", account), {"file": upload})
    assert response.status_code == 422
    html = response.content.decode()
    assert "people.csv was refused" in html
    assert "&#x27;9&#x27; is not a whole number from 1 to 5" in html
    assert Contact.objects.count() == 0


def test_the_import_page_reports_what_it_did(kam_client, account) -> None:
    upload = SimpleUploadedFile("people.csv", b"name,title\nAnna Berg,CEO\nJan Vos,CPO\n")
    response = kam_client.post(url("import", account), {"file": upload})
    assert response.status_code == 200
    assert "2 created" in response.content.decode()


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (
            b"name," + b",".join(b"c%d" % i for i in range(1_000_000)) + b"\nAnna\n",
            400,
            "uploads here are limited to 5.0 MB",
        ),
        (
            b"name," + b",".join(b"c%d" % i for i in range(150_000)) + b"\nAnna\n",
            422,
            "the header line is longer than 1 MB",
        ),
    ],
    ids=["million-columns", "wide-header"],
)
def test_a_pathological_file_gets_a_short_answer(kam_client, account, content, status, message):
    upload = SimpleUploadedFile("people.csv", content, "text/csv")
    response = kam_client.post(url("import", account), {"file": upload})
    assert response.status_code == status
    assert message in response.content.decode()
    assert len(response.content) < 100_000
    assert Contact.objects.count() == 0


def test_a_txt_upload_is_read_as_csv(kam_client, account) -> None:
    upload = SimpleUploadedFile("people.txt", b"name,title\nAnna Berg,CEO\n")
    response = kam_client.post(url("import", account), {"file": upload})
    assert response.status_code == 200
    assert Contact.objects.count() == 1
