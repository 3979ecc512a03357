"""The Head of KAM's selection journey in a real browser: portfolio, policy, re-score, cycle."""

import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("managers_work_every_account"),
]

sys.path.insert(0, str(Path(__file__).parent.parent / "selection"))


@pytest.fixture(autouse=True)
def selection_urls(settings):
    """Mount the selection URLs until kam/urls.py includes them itself."""
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("selection:portfolio")
    except NoReverseMatch:
        settings.ROOT_URLCONF = "selection_test_urls"
