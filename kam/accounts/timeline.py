"""An account's timeline: what happened with it, from every app that has something to say.

``kam.accounts`` sits below the apps that hold the events (engagements, plan versions,
selection decisions, opportunities), so it does not know them: each app registers a
provider when it starts, ``register_timeline_provider("plans", "Plan versions", events)``,
and the timeline page asks them all. A provider takes a customer id and returns its
events: anything with ``date``, ``kind``, ``title`` and ``url`` (``TimelineEvent`` is one;
an app may return frozen dataclasses of its own with those attributes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol


class AnEvent(Protocol):
    """What the timeline reads of an event, whichever app made it."""

    @property
    def date(self) -> date | datetime: ...

    @property
    def kind(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def url(self) -> str: ...


@dataclass(frozen=True)
class TimelineEvent:
    """One thing that happened with an account: when, what kind, in words, and where to read
    more (``detail`` is a second line, e.g. the outcome of a meeting)."""

    date: date
    kind: str
    title: str
    url: str
    detail: str = ""


Provider = Callable[[str], Iterable[AnEvent]]


@dataclass(frozen=True)
class TimelineSource:
    """An app's contribution to the timeline: its key, its name on the page, its provider."""

    key: str
    label: str
    provider: Provider


@dataclass(frozen=True)
class Entry:
    """An event as the timeline shows it, with the source it came from."""

    date: date
    kind: str
    title: str
    url: str
    detail: str
    source: str
    source_label: str

    @property
    def kind_label(self) -> str:
        """The kind in words: ``opportunity_won`` → "Opportunity won"."""
        return self.kind.replace("_", " ").capitalize()


SOURCES: dict[str, TimelineSource] = {}


def register_timeline_provider(key: str, label: str, provider: Provider) -> None:
    """Make ``provider`` one of the timeline's sources (registering a key again replaces it)."""
    SOURCES[key] = TimelineSource(key, label, provider)


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def account_timeline(customer_id: str, sources: Iterable[str] | None = None) -> list[Entry]:
    """Every registered source's events for ``customer_id`` (only ``sources`` when given),
    newest first; events of one day keep their sources' order of registration."""
    wanted = set(sources) if sources is not None else None
    entries: list[Entry] = []
    for source in SOURCES.values():
        if wanted is not None and source.key not in wanted:
            continue
        for event in source.provider(customer_id):
            entries.append(
                Entry(
                    date=_day(event.date),
                    kind=str(event.kind),
                    title=str(event.title),
                    url=str(event.url or ""),
                    detail=str(getattr(event, "detail", "") or ""),
                    source=source.key,
                    source_label=source.label,
                )
            )
    return sorted(entries, key=lambda entry: entry.date, reverse=True)
