"""The accounts pages through Django's test client: list, account page and import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from store_rows import insert_rows

from kam.accounts.models import Account
from kam.analytics.store import AnalyticsStore

# customer_id, name, parent_id, country, region, segment
CUSTOMERS = [
    ("C1", "Acme Holding", None, "DE", "EMEA", "Manufacturing"),
    ("C2", "Acme Logistics GmbH", "C1", "DE", "EMEA", "Logistics"),
    ("C3", "Borealis Foods", None, "CA", "Americas", "Food"),
]
# customer_id, month, revenue, cost, orders, first_date, last_date
MONTHS = [
    ("C1", "2023-01-01", 5000.0, 3000.0, 2, "2023-01-04", "2023-01-20"),
    ("C1", "2024-05-01", 8000.0, 5000.0, 3, "2024-05-02", "2024-05-28"),
    ("C2", "2024-04-01", 1234.0, 600.0, 1, "2024-04-10", "2024-04-10"),
    ("C3", "2022-02-01", 999.0, 500.0, 1, "2022-02-11", "2022-02-11"),
]


@pytest.fixture
def seeded(store: AnalyticsStore, db) -> AnalyticsStore:
    """A store and operational DB holding a holding, its subsidiary and one lost account."""
    with store.connect() as con:
        insert_rows(con.con, "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)", CUSTOMERS)
        insert_rows(
            con.con,
            "INSERT INTO customer_month VALUES (?, ?::DATE, ?, ?, 1, 1, ?, ?::DATE, ?::DATE)",
            MONTHS,
        )
    for customer_id, name, parent_id, country, region, segment in CUSTOMERS:
        Account.objects.create(
            customer_id=customer_id,
            name=name,
            parent_id=parent_id,
            country=country,
            region=region,
            segment=segment,
        )
    return store


@pytest.fixture
def as_viewer(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def as_head(client, head_of_kam):
    client.force_login(head_of_kam)
    return client


@pytest.mark.parametrize(
    "url",
    [
        reverse("accounts:list"),
        reverse("accounts:detail", args=["C1"]),
        reverse("accounts:import"),
    ],
)
def test_every_page_needs_a_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_signs_in_and_lands_on_accounts(client, viewer, store):
    page = client.get(reverse("login"))
    assert b"Sign in" in page.content
    response = client.post(
        reverse("login"), {"username": "viewer", "password": "pw-for-tests"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("accounts:list")
    assert b"Log out" in response.content


def test_empty_store_says_how_to_load_data(as_viewer, store):
    response = as_viewer.get(reverse("accounts:list"))
    assert response.status_code == 200
    assert b"No accounts yet" in response.content
    assert b"kam demo" in response.content


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({}, ["Acme Holding", "Acme Logistics GmbH", "Borealis Foods"], []),
        ({"q": "acme"}, ["Acme Holding", "Acme Logistics GmbH"], ["Borealis Foods"]),
        ({"q": "C3"}, ["Borealis Foods"], ["Acme Holding"]),
        ({"region": "Americas"}, ["Borealis Foods"], ["Acme Holding"]),
        ({"segment": "Logistics"}, ["Acme Logistics GmbH"], ["Acme Holding", "Borealis"]),
        ({"status": "lost"}, ["Borealis Foods"], ["Acme Holding"]),
        ({"q": "nobody"}, ["No account matches"], ["Acme Holding"]),
        # A bad parameter falls back to its default without dropping the others.
        ({"q": "acme", "status": "bogus", "page": "x"}, ["Acme Holding"], ["Borealis"]),
    ],
)
def test_list_filters(as_viewer, seeded, params, shown, hidden):
    response = as_viewer.get(reverse("accounts:list"), params)
    content = response.content.decode()
    assert response.status_code == 200
    for text in shown:
        assert text in content
    for text in hidden:
        assert text not in content


def test_list_sorts_by_revenue_and_shows_the_as_of_date(as_viewer, seeded):
    content = as_viewer.get(reverse("accounts:list")).content.decode()
    assert (
        content.index("Acme Holding") < content.index("Acme Logistics") < content.index("Borealis")
    )
    assert "28 May 2024" in content  # the as-of date: the latest transaction, not today
    assert "8,000" in content
    by_name = as_viewer.get(reverse("accounts:list"), {"sort": "name", "dir": "desc"})
    content = by_name.content.decode()
    assert (
        content.index("Borealis") < content.index("Acme Logistics") < content.index("Acme Holding")
    )


def test_htmx_request_gets_only_the_results(as_viewer, seeded):
    response = as_viewer.get(
        reverse("accounts:list"), {"q": "boreal"}, headers={"HX-Request": "true"}
    )
    content = response.content.decode()
    assert "<html" not in content
    assert "Borealis Foods" in content
    assert 'id="sort-state"' in content  # the sort inputs of the filter form follow the swap
    assert "HX-Request" in response["Vary"]


def test_viewer_sees_no_import_link_and_gets_403(as_viewer, seeded):
    page = as_viewer.get(reverse("accounts:list")).content.decode()
    assert reverse("accounts:import") not in page
    assert "Viewer" in page  # the role in the navigation bar
    assert as_viewer.get(reverse("accounts:import")).status_code == 403
    upload = SimpleUploadedFile("c.csv", b"customer_id,name\nX1,X\n")
    response = as_viewer.post(reverse("accounts:import"), {"kind": "customers", "file": upload})
    assert response.status_code == 403
    assert not Account.objects.filter(customer_id="X1").exists()


def test_head_of_kam_sees_the_import_link(as_head, seeded):
    page = as_head.get(reverse("accounts:list")).content.decode()
    assert reverse("accounts:import") in page
    assert "Hannah Head" in page


def test_account_page_shows_profile_kpis_hierarchy_and_chart(as_viewer, seeded):
    response = as_viewer.get(reverse("accounts:detail", args=["C1"]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Manufacturing" in content
    assert "13,000" in content  # lifetime revenue
    assert "37.5%" not in content  # margin is a financial figure: not for a Viewer
    assert "Gross margin" not in content
    assert reverse("accounts:detail", args=["C2"]) in content  # subsidiary, linked
    assert "1,234" in content  # the subsidiary's revenue
    assert "9,234" in content  # group revenue over 12 months
    assert 'id="revenue-chart"' in content
    assert "data-plotly=" in content
    assert "plotly/plotly.min.js" in content


def test_subsidiary_links_back_to_its_parent(as_viewer, seeded):
    content = as_viewer.get(reverse("accounts:detail", args=["C2"])).content.decode()
    assert "Parent" in content
    assert reverse("accounts:detail", args=["C1"]) in content
    assert "1\xa0month, 2\xa0weeks before as-of" in content  # measured from 28 May 2024


def test_unknown_account_is_404(as_viewer, seeded):
    assert as_viewer.get(reverse("accounts:detail", args=["NOPE"])).status_code == 404


def test_account_without_sales_says_so(as_viewer, seeded):
    Account.objects.create(customer_id="P9", name="Prospect Partners")
    content = as_viewer.get(reverse("accounts:detail", args=["P9"])).content.decode()
    assert "Prospect" in content
    assert "No sales recorded" in content


def store_counts(store: AnalyticsStore) -> tuple[int, int]:
    with store.connect(read_only=True) as con:
        row = con.con.execute(
            "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM customer_month)"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_import_refuses_a_bad_file_and_changes_nothing(as_head, seeded):
    before = store_counts(seeded), Account.objects.count()
    upload = SimpleUploadedFile(
        "customers.csv",
        b"customer_id,name,region\nN1,Northwind Traders,EMEA\nN2,,EMEA\nN3,Nimbus,APAC\n",
    )
    response = as_head.post(reverse("accounts:import"), {"kind": "customers", "file": upload})
    content = response.content.decode()
    assert response.status_code == 422
    assert "Nothing was imported" in content
    assert "customers.csv" in content
    row = content[content.index("<tbody>") :]
    assert ">3<" in row  # line 3 of the file: the header is line 1
    assert ">name<" in row
    assert (store_counts(seeded), Account.objects.count()) == before
    assert not Account.objects.filter(customer_id="N1").exists()
    assert list(seeded.path.parent.joinpath("uploads").iterdir()) == []  # temp file removed


def test_import_with_a_column_mapping_reports_what_changed(as_head, seeded):
    upload = SimpleUploadedFile(
        "crm-export.csv",
        b"Customer No.,Company,parent_id,country,region,segment\n"
        b"N1,Northwind Traders,,GB,EMEA,Retail\n"
        b"C3,Borealis Foods,,CA,Americas,Food\n",
    )
    response = as_head.post(
        reverse("accounts:import"),
        {"kind": "customers", "file": upload, "mapping": "customer_id=Customer No.\nname=Company"},
    )
    content = response.content.decode()
    assert response.status_code == 200, content
    assert "Imported crm-export.csv" in content
    assert Account.objects.get(customer_id="N1").name == "Northwind Traders"
    counts = content[content.index('class="counts"') :]
    assert "Inserted</dt><dd>1<" in counts
    assert "Unchanged</dt><dd>1<" in counts


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "customers", "file": ("notes.json", b"{}")}, "kam reads CSV, Parquet"),
        ({"kind": "customers", "file": ("c.csv", b"a,b\n"), "mapping": "date"}, "canonical=header"),
        ({"kind": "suppliers", "file": ("c.csv", b"a,b\n")}, "Select a valid choice"),
    ],
)
def test_import_form_errors(as_head, seeded, data, message):
    name, body = data.pop("file")
    data["file"] = SimpleUploadedFile(name, body)
    response = as_head.post(reverse("accounts:import"), data)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_list_pages_through_many_accounts(as_viewer, store):
    with store.connect() as con:
        con.con.execute(
            "INSERT INTO customers SELECT 'K' || lpad(i::VARCHAR, 2, '0'), "
            "'Kunde ' || lpad(i::VARCHAR, 2, '0'), NULL, 'DE', 'EMEA', 'Retail' FROM range(30) t(i)"
        )
    first = as_viewer.get(reverse("accounts:list"), {"sort": "name", "dir": "asc"})
    content = first.content.decode()
    assert "1–25 of 30" in content
    assert "Page 1 of 2" in content
    assert "Kunde 24" in content
    assert "Kunde 25" not in content
    assert "sort=name&amp;dir=asc&amp;page=2" in content
    second = as_viewer.get(reverse("accounts:list"), {"sort": "name", "dir": "asc", "page": "2"})
    content = second.content.decode()
    assert "26–30 of 30" in content
    assert "Kunde 25" in content
    assert "Kunde 24" not in content


def test_a_txt_file_is_imported_as_csv(as_head, seeded):
    upload = SimpleUploadedFile("crm.txt", b"customer_id,name\nT1,Tabbed Trading\n")
    response = as_head.post(reverse("accounts:import"), {"kind": "customers", "file": upload})
    assert response.status_code == 200, response.content.decode()
    assert Account.objects.get(customer_id="T1").name == "Tabbed Trading"


def test_a_file_over_the_upload_limit_is_refused_with_the_limit(as_head, seeded, settings):
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    before = store_counts(seeded), Account.objects.count()
    upload = SimpleUploadedFile("big.csv", b"customer_id,name\n" + b"X1,Big\n" * 200_000)
    response = as_head.post(reverse("accounts:import"), {"kind": "customers", "file": upload})
    assert "big.csv is 1.3 MB; uploads here are limited to 1.0 MB" in response.content.decode()
    assert "kam import" in response.content.decode()
    assert (store_counts(seeded), Account.objects.count()) == before


def test_a_customer_file_with_every_name_empty_is_refused_at_120k_rows(as_head, seeded):
    before = store_counts(seeded), sorted(Account.objects.values_list("customer_id", "name"))
    body = b"customer_id,name\n" + b"".join(b"W%d,\n" % i for i in range(120_000))
    upload = SimpleUploadedFile("nameless.csv", body)
    response = as_head.post(reverse("accounts:import"), {"kind": "customers", "file": upload})
    content = response.content.decode()
    assert response.status_code == 422
    assert "was refused: 120,000 problems in 120,000 rows" in content
    after = store_counts(seeded), sorted(Account.objects.values_list("customer_id", "name"))
    assert after == before


def test_the_margin_shows_for_a_role_with_financials(as_head, seeded):
    content = as_head.get(reverse("accounts:detail", args=["C1"])).content.decode()
    assert "37.5%" in content  # margin of the last 12 months: (8000 - 5000) / 8000
    listed = as_head.get(reverse("accounts:list")).content.decode()
    assert '<th scope="col" class="num">Margin</th>' in listed
