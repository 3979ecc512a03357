"""The account page says whether an account is key, its tier, type and manager."""

from django.urls import reverse

from kam.selection import services
from kam.selection.models import KeyAccount


def test_account_page_shows_the_published_key_account_designation(client, portfolio, head_of_kam):
    cycle = services.do_create_cycle(head_of_kam)
    services.do_approve_cycle(head_of_kam, cycle)
    services.do_publish_cycle(head_of_kam, cycle)
    key = KeyAccount.objects.get(account_id="C000")
    key.manager = head_of_kam
    key.save()
    client.force_login(head_of_kam)

    key_page = client.get(reverse("accounts:detail", args=["C000"])).content.decode()
    assert "Key account" in key_page
    assert key.get_tier_display() in key_page
    assert "Manager: Hannah Head" in key_page

    other_page = client.get(reverse("accounts:detail", args=["C001"])).content.decode()
    assert "Not a key account" in other_page
