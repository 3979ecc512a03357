"""How a customer id sits in a URL: as one path segment, whatever characters it holds.

Customer ids come from the customer's source system and may contain ``/``, ``%``, ``?``,
``#``, spaces or any letter. ``reverse()`` quotes what a URL cannot carry, but a ``/``
would split the id across segments (and make ``accounts/A/plan/`` ambiguous), and web
servers decode ``%2F`` before Django sees the path. So the converter escapes ``%`` and
``/`` itself; ``reverse()`` then quotes those escapes once more, and the path Django
receives decodes back to exactly the id. An id that reads like a route of its own
(``import``) or a dot segment that browsers resolve away (``.``, ``..``) has its first
character escaped the same way.
"""

from urllib.parse import unquote

RESERVED_SEGMENTS = frozenset({"import", ".", ".."})
"""Segments that mean something else under ``/accounts/``: the import page, dot segments."""


class CustomerIdConverter:
    """``<customer_id:customer_id>``: any non-empty customer id, as one path segment."""

    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return unquote(value)

    def to_url(self, value: str) -> str:
        escaped = str(value).replace("%", "%25").replace("/", "%2F")
        if escaped in RESERVED_SEGMENTS:
            escaped = f"%{ord(escaped[0]):02X}{escaped[1:]}"
        return escaped
