"""Fixtures shared by every test: a private analytical store and users in each role."""

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from kam.analytics.store import AnalyticsStore
from kam.people.roles import Role


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``make test``, ``--dist loadgroup``) the Spark tests all run in one
    process: a local Spark takes a gigabyte and some 20 s to start, once a run is enough."""
    for item in items:
        if item.get_closest_marker("spark"):
            item.add_marker(pytest.mark.xdist_group("spark"))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, with the audit trail unsealed: a transactional test ends by
    emptying every table, the trail's too, which a real install's database refuses.
    The tests of that refusal seal it again (``sealed_audit`` in tests/audit)."""
    from django.db import connection

    from kam.audit.trail import UNLOCK_TABLE

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {UNLOCK_TABLE} (reason) VALUES ('tests')")


@pytest.fixture(autouse=True)
def fresh_audit_context():
    """Each test starts with no acting user or interface, whatever a command before it set."""
    from kam.audit import context

    token = context._current.set(None)
    yield
    context._current.reset(token)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Tests make users by the dozen; the production hasher would take most of the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def store(tmp_path: Path, settings) -> AnalyticsStore:
    """An empty DuckDB store in the test's tmp dir, and the settings pointed at it."""
    settings.ANALYTICS_URL = f"duckdb://{tmp_path / 'analytics.duckdb'}"
    settings.UPLOAD_DIR = tmp_path / "uploads"
    return AnalyticsStore(settings.ANALYTICS_URL, memory_limit="1GB", threads=2)


@pytest.fixture
def make_user(db) -> Callable[..., object]:
    """Create a user holding the given role; password is always 'pw-for-tests'."""
    from kam.people.services import do_create_user

    def make(role: Role = Role.VIEWER, username: str | None = None, **fields):
        return do_create_user(
            None,
            username or role.name.lower(),
            password="pw-for-tests",
            roles={role},
            **fields,
        )

    return make


@pytest.fixture
def head_of_kam(make_user):
    return make_user(Role.HEAD_OF_KAM, "head", first_name="Hannah", last_name="Head")


@pytest.fixture
def viewer(make_user):
    return make_user(Role.VIEWER, "viewer")


@pytest.fixture
def managers_work_every_account():
    """The test managers kim and olli work every account (as if on each account's team):
    for tests of something else than whose account it is (edit conflicts, page layout)."""
    from kam.accounts.access import TIES
    from kam.people.roles import Role

    def works_it(user, account) -> bool:
        return user.username in {"kim", "olli"}

    TIES[Role.KEY_ACCOUNT_MANAGER].append(works_it)
    yield
    TIES[Role.KEY_ACCOUNT_MANAGER].remove(works_it)


@dataclass(frozen=True)
class DemoCopy:
    """The demo company as one load left it: what the load reported, the operational
    database's rows (serialized as Django's test runner does) and the analytical store."""

    loaded: object
    rows: str
    store: Path


_DEMO_COPIES: dict[tuple[int, int], DemoCopy] = {}


@pytest.fixture
def small_demo(store, settings, tmp_path_factory) -> object:
    """The demo company of 120 customers (seed 3) in this test's database and store, and
    what ``do_load_demo`` reported loading it.

    The first test to ask loads it through ``do_load_demo``; the others get a copy of that
    load — the same rows, audit trail included, and a copy of the same store file — as a
    load takes minutes on a busy machine. A test of the load itself calls ``do_load_demo``.
    The test must have database access (``db`` or ``django_db``)."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from kam.audit.context import quiet
    from kam.datasets import do_load_demo

    key = (3, 120)
    path = Path(settings.ANALYTICS_URL.removeprefix("duckdb://"))
    copy = _DEMO_COPIES.get(key)
    if copy is None:
        loaded = do_load_demo(None, seed=key[0], customers=key[1])
        kept = tmp_path_factory.mktemp("demo") / path.name
        assert not path.with_name(f"{path.name}.wal").exists(), "the store is checkpointed"
        shutil.copyfile(path, kept)
        rows = connection.creation.serialize_db_to_string()
        _DEMO_COPIES[key] = DemoCopy(loaded, rows, kept)
        return loaded
    shutil.copyfile(copy.store, path)
    # Every table is emptied first: after a transactional test the tables were flushed and
    # the flush's post_migrate numbered the content types and permissions anew, so the
    # copy's rows would collide with them by name under other ids.
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    flush = connection.ops.sql_flush(no_style(), tables, allow_cascade=True)
    with quiet(), transaction.atomic():  # restored, not changed: no audit entries, no rescoring
        connection.ops.execute_sql_flush(flush)
        connection.creation.deserialize_db_from_string(copy.rows)
    ContentType.objects.clear_cache()
    models = apps.get_models(include_auto_created=True)
    with connection.cursor() as cursor:  # PostgreSQL: new rows number on after the copied
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
    return copy.loaded
