"""Planned engagements as an iCalendar file (RFC 5545) that Outlook, Google Calendar and
Apple Calendar import: one VEVENT per engagement.

Written by hand because the format is small and its rules are few: CRLF line ends, lines
folded at 75 octets (never inside a UTF-8 character), TEXT values escaped (backslash,
semicolon, comma, newline), a UID stable across exports so a re-import updates rather than
duplicates, a SEQUENCE that grows with every edit, and DTSTAMP in UTC. Timed events are
written in UTC (no VTIMEZONE needed); a whole-day entry is a DATE from its day to the next.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from kam.engagement.models import Engagement

PRODUCT = "-//kam//Key account engagement//EN"


def escape(text: str) -> str:
    """A TEXT value as RFC 5545 §3.3.11 writes it."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """One content line folded at 75 octets, continuation lines starting with a space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, 74  # the leading space takes one octet
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _when(engagement: Engagement, zone: ZoneInfo) -> list[str]:
    if engagement.start_time is None:
        day: date = engagement.date
        return [
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
        ]
    start = datetime.combine(engagement.date, engagement.start_time, tzinfo=zone)
    end = start + timedelta(minutes=engagement.duration_minutes)
    return [f"DTSTART:{_utc(start)}", f"DTEND:{_utc(end)}"]


def _description(engagement: Engagement, url: str) -> str:
    ours = ", ".join(person.display_name for person in engagement.our_people.all())
    theirs = ", ".join(
        f"{contact.name} ({contact.title})" if contact.title else contact.name
        for contact in engagement.contacts.all()
    )
    lines = [f"{engagement.get_kind_display()} with {engagement.account.name}"]
    if ours:
        lines.append(f"Our side: {ours}")
    if theirs:
        lines.append(f"Their side: {theirs}")
    if engagement.notes:
        lines += ["", engagement.notes]
    if url:
        lines += ["", url]
    return "\n".join(lines)


def ics(
    engagements: Iterable[Engagement],
    *,
    name: str,
    host: str,
    time_zone: str,
    now: datetime,
    link: object = None,
) -> str:
    """The calendar ``name`` holding ``engagements`` (their account, people and contacts
    loaded). ``host`` makes the UIDs globally unique; ``link(engagement)`` gives each
    event's address in kam, if wanted."""
    zone = ZoneInfo(time_zone)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    stamp = _utc(now)
    for engagement in engagements:
        url = link(engagement) if callable(link) else ""
        summary = f"{engagement.heading} · {engagement.account.name}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:engagement-{engagement.pk}@{host}",
            f"DTSTAMP:{stamp}",
            f"SEQUENCE:{engagement.revision}",
            *_when(engagement, zone),
            f"SUMMARY:{escape(summary)}",
            f"DESCRIPTION:{escape(_description(engagement, str(url)))}",
            "STATUS:CONFIRMED",
            "TRANSP:OPAQUE",
        ]
        if engagement.location:
            lines.append(f"LOCATION:{escape(engagement.location)}")
        if url:
            lines.append(f"URL:{url}")
        lines.append(f"CATEGORIES:{escape(engagement.get_kind_display())}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
