"""Template filters of the whitespace page."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def cell_at(mapping: Any, key: str) -> Any:
    """``mapping[key]``, or an empty dict when it has none (a cell nothing is known of)."""
    return mapping.get(key, {}) if hasattr(mapping, "get") else {}


@register.filter
def percent(share: float | None) -> str:
    """A share as a percentage: 0.253 → "25%"."""
    return "—" if share is None else f"{share * 100:.0f}%"
