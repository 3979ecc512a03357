"""The Django side's handle on the analytical store, configured by KAM_ANALYTICS_URL."""

from django.conf import settings

from kam.analytics.store import AnalyticsStore


def analytics_store() -> AnalyticsStore:
    """The store the running configuration points at (tests point it at a temporary file)."""
    return AnalyticsStore(settings.ANALYTICS_URL)
