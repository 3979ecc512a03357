"""Template filters of the programme pages and the portfolio review."""

import math

from django import template

register = template.Library()


def share_text(share: float | None) -> str:
    """A share of the whole (a fraction) as a percentage: one decimal ("2.4%"), two below
    one per cent ("0.23%"); missing (None, not finite) as "—". The page, the PDF and
    ``kam program`` all show shares this way."""
    if share is None or not math.isfinite(share):
        return "—"
    percent = share * 100
    return f"{percent:.2f}%" if abs(percent) < 1 else f"{percent:.1f}%"


@register.filter
def share(value: float | None) -> str:
    """A share of the whole as a percentage (``share_text``)."""
    return share_text(value)


def points_text(value: float | None) -> str:
    """A difference of growth rates (a fraction) in signed percentage points ("+25.8 pts");
    missing (None, not finite) as "—"."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value * 100:+.1f} pts"


@register.filter
def points(value: float | None) -> str:
    """A difference of growth rates in percentage points (``points_text``)."""
    return points_text(value)
