"""Pages keep serving while another process writes to the analytical store.

A real second process (``kam import`` stands for it) opens the DuckDB file for writing and
holds it; the web app must answer within a couple of seconds with a "data is being
updated" page — 503 with Retry-After, inside the site's layout — never a 500, and pages
that do not read the store keep working.
"""

import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse

from kam.accounts.models import Account
from kam.analytics.store import AnalyticsStore, StoreBusy
from kam.people.roles import Role

pytestmark = pytest.mark.usefixtures("managers_work_every_account")

HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("BEGIN TRANSACTION")
    con.execute("INSERT INTO customers (customer_id, name) VALUES ('NEW', 'Not committed yet')")
    print("holding", flush=True)
    sys.stdin.readline()  # hold the write lock until the test says so
    """
)


@pytest.fixture
def seeded(store: AnalyticsStore, db) -> AnalyticsStore:
    with store.connect() as con:
        con.raw_sql("INSERT INTO customers (customer_id, name) VALUES ('C1', 'Acme Holding')")
    Account.objects.create(customer_id="C1", name="Acme Holding")
    return store


@pytest.fixture
def writer(seeded: AnalyticsStore) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the store for writing, as a long import does."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(seeded.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "holding"
        yield process
    finally:
        if process.poll() is None:
            process.communicate("done\n", timeout=30)


def release(process: subprocess.Popen[str]) -> None:
    process.communicate("done\n", timeout=30)


@pytest.fixture
def kam_client(client, make_user):
    client.force_login(make_user(Role.KEY_ACCOUNT_MANAGER, "kim", first_name="Kim"))
    return client


@pytest.mark.parametrize(
    "url",
    [
        reverse("accounts:list"),
        reverse("accounts:list") + "?q=acme",
        reverse("accounts:detail", args=["C1"]),
    ],
)
def test_a_page_answers_503_within_seconds_while_another_process_writes(kam_client, writer, url):
    started = time.monotonic()
    response = kam_client.get(url)
    took = time.monotonic() - started
    page = response.content.decode()
    assert response.status_code == 503
    assert took < 4, f"the page waited {took:.1f} s for the writer"
    assert int(response["Retry-After"]) > 0
    assert "Data is being updated" in page
    assert 'aria-label="Main"' in page  # the site's navigation, not a bare error
    assert "Kim" in page
    assert f'http-equiv="refresh" content="{response["Retry-After"]}"' in page


def test_the_page_comes_back_once_the_writer_has_finished(kam_client, writer):
    assert kam_client.get(reverse("accounts:list")).status_code == 503
    release(writer)
    response = kam_client.get(reverse("accounts:list"))
    assert response.status_code == 200
    assert "Acme Holding" in response.content.decode()
    assert "Not committed yet" not in response.content.decode()  # rolled back, never shown


def test_an_htmx_request_gets_the_notice_alone(kam_client, writer):
    response = kam_client.get(reverse("accounts:list"), {"q": "acme"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 503
    assert "<html" not in page
    assert 'role="alert"' in page
    assert "Data is being updated" in page
    assert response["HX-Push-Url"] == "false"  # the address bar keeps the page still shown


def test_a_write_while_the_store_is_held_says_nothing_was_changed(
    client, make_user, writer, tmp_path
):
    client.force_login(make_user(Role.HEAD_OF_KAM, "head"))
    upload = tmp_path / "customers.csv"
    upload.write_text("customer_id,name\nC2,Borealis Foods\n")
    with upload.open("rb") as handle:
        response = client.post(
            reverse("accounts:import"), {"kind": "customers", "mapping": "", "file": handle}
        )
    assert response.status_code == 503
    assert "Nothing was changed" in response.content.decode()
    assert not Account.objects.filter(customer_id="C2").exists()


def test_pages_that_do_not_read_the_store_keep_working(kam_client, writer):
    response = kam_client.get(reverse("relationships:map", args=["C1"]))
    assert response.status_code == 200


def test_the_command_line_still_waits_for_the_writer_as_before(seeded, writer):
    from kam.stores import analytics_store

    store = analytics_store()
    assert store.lock_wait_seconds >= 30  # a command waits; a page does not


def test_a_reader_in_the_writing_process_sees_what_is_committed(tmp_path: Path):
    """kam serve runs one process: a page's read joins a writer thread's database instead
    of failing on DuckDB's "different configuration" refusal."""
    store = AnalyticsStore(f"duckdb://{tmp_path / 'analytics.duckdb'}", lock_wait_seconds=1)
    with store.connect() as con:
        con.raw_sql("INSERT INTO customers (customer_id, name) VALUES ('C1', 'Acme')")
    writing = threading.Event()
    finish = threading.Event()

    def write() -> None:
        with store.connect() as con:
            con.raw_sql("BEGIN TRANSACTION")
            con.raw_sql("INSERT INTO customers (customer_id, name) VALUES ('C2', 'Pending')")
            writing.set()
            finish.wait(10)
            con.raw_sql("COMMIT")

    thread = threading.Thread(target=write)
    thread.start()
    try:
        assert writing.wait(10)
        with store.connect(read_only=True) as con:
            names = sorted(con.table("customers").name.to_pyarrow().to_pylist())
        assert names == ["Acme"]  # committed rows only
    finally:
        finish.set()
        thread.join(10)


def test_busy_is_raised_after_the_wait_not_before(seeded, writer):
    store = AnalyticsStore(seeded.url, lock_wait_seconds=0.5)
    started = time.monotonic()
    with (
        pytest.raises(StoreBusy, match="being written by another kam process"),
        store.connect(read_only=True),
    ):
        pass
    assert 0.5 <= time.monotonic() - started < 3
