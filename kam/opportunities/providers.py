"""Filled in below."""


def register() -> None:
    """Register nothing yet."""
