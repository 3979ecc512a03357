"""Fixtures for the audit trail's tests."""

import pytest
from django.db import connection

from kam.audit.trail import UNLOCK_TABLE


@pytest.fixture
def sealed_audit(db):
    """The trail as a real install's database holds it: sealed (the test database is
    unsealed so that transactional tests can empty it). Rolled back with the test."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {UNLOCK_TABLE}")
