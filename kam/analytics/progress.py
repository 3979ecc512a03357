"""The progress callback every long-running operation takes (imports, demo, TPC-H, scoring)."""

from collections.abc import Callable

Progress = Callable[[str, float], None]
"""Told (stage label, overall fraction done 0..1); may be called from a helper thread."""
