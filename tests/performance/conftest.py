"""Fixtures of the programme tests (the data: ``programme_data``)."""

import pytest
from programme_data import Programme, seed_programme


@pytest.fixture
def programme(db, store, make_user) -> Programme:
    """Twenty customers with sales, twelve key accounts, a Head of KAM, two managers and a
    Viewer."""
    return seed_programme(store, make_user)
