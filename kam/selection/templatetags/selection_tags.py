"""Template tags other apps' pages use to show an account's place in the key-account portfolio.

A tag rather than an import keeps the dependency one way: selection knows accounts, the
account pages only load this library.
"""

from typing import Any

from django import template

from kam.selection.models import KeyAccount

register = template.Library()


@register.inclusion_tag("selection/_key_account_badge.html")
def key_account_badge(customer_id: str) -> dict[str, Any]:
    """Key account or not; if key, its tier, McDonald's type, manager and sponsor."""
    key = (
        KeyAccount.objects.select_related("manager", "executive_sponsor")
        .filter(account_id=customer_id)
        .first()
    )
    return {"key": key, "customer_id": customer_id}
