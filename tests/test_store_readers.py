"""Pages keep serving while another process writes to the analytical store.

A real second process stands for ``kam import``: it opens the store for writing through
kam (the writer lock, then the live file) and holds it mid-transaction. Pages read the
reader copy (kam/analytics/store.py): they answer at once, with the data as committed
before the write, and the next page after the write shows it. Only what cannot be served
from a copy — a second write, or reads while the very first import creates the store —
gets the "data is being updated" page (503 with Retry-After, inside the site's layout),
never a 500.
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
    import sys
    from kam.analytics.store import AnalyticsStore
    with AnalyticsStore(sys.argv[1]).connect() as con:
        con.raw_sql("BEGIN TRANSACTION")
        con.raw_sql("INSERT INTO customers (customer_id, name) VALUES ('NEW', 'Written meanwhile')")
        print("holding", flush=True)
        sys.stdin.readline()  # hold the store until the test says so
        con.raw_sql("COMMIT")
    """
)


@pytest.fixture
def seeded(store: AnalyticsStore, db) -> AnalyticsStore:
    with store.connect() as con:
        con.raw_sql("INSERT INTO customers (customer_id, name) VALUES ('C1', 'Acme Holding')")
    Account.objects.create(customer_id="C1", name="Acme Holding")
    return store


def _hold(store: AnalyticsStore) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, store.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "holding"
    return process


@pytest.fixture
def writer(seeded: AnalyticsStore) -> Iterator[subprocess.Popen[str]]:
    """Another process writing the store through kam, as a long import does."""
    process = _hold(seeded)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.communicate("done\n", timeout=30)


@pytest.fixture
def first_import(store: AnalyticsStore, db) -> Iterator[subprocess.Popen[str]]:
    """The very first import of an install, still running: it created the store file."""
    Account.objects.create(customer_id="C1", name="Acme Holding")
    process = _hold(store)
    try:
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
def test_pages_answer_at_once_from_the_committed_data_while_another_process_writes(
    kam_client, writer, url
):
    started = time.monotonic()
    response = kam_client.get(url)
    took = time.monotonic() - started
    page = response.content.decode()
    assert response.status_code == 200
    assert took < 1.5, f"the page waited {took:.1f} s for the writer"
    assert "Acme Holding" in page
    assert "Written meanwhile" not in page


def test_the_write_shows_on_the_next_page_once_it_is_committed(kam_client, writer):
    assert "Written meanwhile" not in kam_client.get(reverse("accounts:list")).content.decode()
    release(writer)
    Account.objects.create(customer_id="NEW", name="Written meanwhile")
    response = kam_client.get(reverse("accounts:list"))
    assert response.status_code == 200
    assert "Written meanwhile" in response.content.decode()


def test_many_reader_processes_and_a_writer_at_once_none_waits_or_fails(seeded, writer):
    script = textwrap.dedent(
        """
        import sys, time
        from kam.analytics.store import AnalyticsStore
        store = AnalyticsStore(sys.argv[1], lock_wait_seconds=0.2)
        for _ in range(20):
            with store.connect(read_only=True) as con:
                names = con.table("customers").name.to_pyarrow().to_pylist()
            assert names == ["Acme Holding"], names
        print("ok", flush=True)
        """
    )
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", script, seeded.url], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [reader.communicate(timeout=60)[0].strip() for reader in readers]
    assert outputs == ["ok"] * 4
    assert [reader.returncode for reader in readers] == [0] * 4


def test_a_page_answers_503_within_seconds_while_the_first_import_creates_the_store(
    kam_client, first_import
):
    started = time.monotonic()
    response = kam_client.get(reverse("accounts:list"))
    took = time.monotonic() - started
    page = response.content.decode()
    assert response.status_code == 503
    assert took < 4, f"the page waited {took:.1f} s for the writer"
    assert int(response["Retry-After"]) > 0
    assert "Data is being updated" in page
    assert 'aria-label="Main"' in page  # the site's navigation, not a bare error
    assert "Kim" in page
    assert f'http-equiv="refresh" content="{response["Retry-After"]}"' in page


def test_an_htmx_request_gets_the_notice_alone(kam_client, first_import):
    response = kam_client.get(reverse("accounts:list"), {"q": "acme"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 503
    assert "<html" not in page
    assert 'role="alert"' in page
    assert "Data is being updated" in page
    assert response["HX-Push-Url"] == "false"  # the address bar keeps the page still shown


def test_a_write_while_another_process_writes_says_nothing_was_changed(
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


def test_pages_that_do_not_read_the_store_keep_working(kam_client, first_import):
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
    with store.connect(read_only=True) as con:
        names = sorted(con.table("customers").name.to_pyarrow().to_pylist())
    assert names == ["Acme", "Pending"]


def test_a_second_writer_is_refused_after_the_wait_not_before(seeded, writer):
    store = AnalyticsStore(seeded.url, lock_wait_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(StoreBusy, match="being written by another kam process"), store.connect():
        pass
    assert 0.5 <= time.monotonic() - started < 3


def test_old_reader_copies_are_deleted_but_an_open_one_stays_readable(store):
    with store.connect() as con:
        con.raw_sql("INSERT INTO customers (customer_id, name) VALUES ('C1', 'Acme')")
    with store.connect(read_only=True) as early:
        for n in range(4):
            with store.connect() as con:
                con.raw_sql(f"INSERT INTO customers (customer_id, name) VALUES ('X{n}', 'x')")
            with store.connect(read_only=True) as con:
                assert con.table("customers").count().to_pyarrow().as_py() == n + 2
        assert early.table("customers").count().to_pyarrow().as_py() == 1
    assert len(list(store.readers_dir.glob("*.duckdb"))) == 2
