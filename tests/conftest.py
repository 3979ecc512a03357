"""Fixtures shared by every test: a private analytical store and users in each role."""

from collections.abc import Callable
from pathlib import Path

import pytest

from kam.analytics.store import AnalyticsStore
from kam.people.roles import Role


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
