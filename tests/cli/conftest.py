"""Fixtures for the `kam` command tests: the runner, an Administrator, seeded stores."""

import pytest
from selection_seed import seed_buyers, seed_portfolio
from typer.testing import CliRunner

from kam.people.roles import Role


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMINISTRATOR, "admin")


@pytest.fixture
def portfolio(db, store) -> list[str]:
    """Twenty customers with 30 months of history, in both stores (no dated lines)."""
    return seed_portfolio(store)


@pytest.fixture
def buying(db, store) -> list[str]:
    """300 simulated BG/NBD customers with dated invoice lines, in both stores."""
    return seed_buyers(store)
