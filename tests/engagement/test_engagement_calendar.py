"""The calendar export, read back by a real iCalendar parser (the ``icalendar`` package):
one event per planned engagement with a stable UID, DTSTAMP, times in UTC or whole days,
text escaped and long lines folded as RFC 5545 asks."""

from datetime import UTC, date, datetime, time

import icalendar
from django.test import Client
from django.urls import reverse

from kam.engagement import calendar, services

TODAY = date(2026, 6, 15)
TRICKY = "Budget; pricing, and \\ the new plant\nsecond line: Ärger über Öl — 価格"


def plan(programme, **kwargs):
    values = {
        "kind": "qbr",
        "date": date(2026, 7, 2),
        "status": "planned",
        "today": TODAY,
        "our_people": [programme.kam, programme.sponsor],
        "contacts": programme.contacts,
    }
    return services.do_log_engagement(programme.kam, programme.own, **(values | kwargs))


def parse(text: str):
    return icalendar.Calendar.from_ical(text)


def test_a_planned_qbr_reads_back_as_one_event_with_every_field(programme, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    qbr = plan(programme, start_time=time(14, 30), duration_minutes=90, title="Q3 review",
               location="Hamburg, Speicherstadt 4", notes=TRICKY)  # fmt: skip
    text = calendar.ics(
        [qbr], name="kam · Kim", host="kam.example", time_zone="Europe/Berlin",
        now=datetime(2026, 6, 15, 8, 0, tzinfo=UTC), link=lambda e: f"https://kam.example/e/{e.pk}",
    )  # fmt: skip
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    events = parse(text).walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert str(event["UID"]) == f"engagement-{qbr.pk}@kam.example"
    assert event.decoded("DTSTAMP") == datetime(2026, 6, 15, 8, 0, tzinfo=UTC)
    assert event.decoded("DTSTART") == datetime(2026, 7, 2, 12, 30, tzinfo=UTC)  # 14:30 CEST
    assert event.decoded("DTEND") == datetime(2026, 7, 2, 14, 0, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "Q3 review · Nordwind Logistics GmbH"
    assert str(event["LOCATION"]) == "Hamburg, Speicherstadt 4"
    description = str(event["DESCRIPTION"])
    assert TRICKY in description  # escaped and folded, read back whole
    assert "Their side: Jonas Weber (Head of Logistics), Petra Roth (CPO)" in description
    assert "Our side: Kim Keller, Sam Sponsor" in description


def test_an_all_day_entry_is_a_date_to_the_next_day_and_an_edit_raises_the_sequence(programme):
    visit = plan(programme, kind="visit")
    first = parse(calendar.ics([visit], name="x", host="h", time_zone="UTC", now=datetime.now(UTC)))
    event = first.walk("VEVENT")[0]
    assert event.decoded("DTSTART") == date(2026, 7, 2)
    assert event.decoded("DTEND") == date(2026, 7, 3)
    services.do_update_engagement(programme.kam, visit, today=TODAY, title="Plant tour")
    again = parse(calendar.ics([visit], name="x", host="h", time_zone="UTC", now=datetime.now(UTC)))
    assert int(again.walk("VEVENT")[0]["SEQUENCE"]) > int(event["SEQUENCE"])
    assert again.walk("VEVENT")[0]["UID"] == event["UID"]


def test_the_pages_export_the_account_and_the_manager_calendars(programme):
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()  # the pages count from the calendar day
    plan(programme, date=today + timedelta(days=17), today=today)
    services.do_log_engagement(
        programme.head, programme.foreign, kind="call", date=today + timedelta(days=18),
        today=today, status="planned", our_people=[programme.keeper],
    )  # fmt: skip
    plan(programme, date=today - timedelta(days=40), status="held", today=today)  # past
    client = Client()
    client.force_login(programme.kam)
    mine = client.get(reverse("engagement:calendar"))
    assert mine["Content-Type"].startswith("text/calendar")
    assert len(parse(mine.content.decode()).walk("VEVENT")) == 1
    account = client.get(reverse("engagement:account_calendar", args=["C-OWN"]))
    assert len(parse(account.content.decode()).walk("VEVENT")) == 1
    assert client.get(reverse("engagement:account_calendar", args=["C-FOREIGN"])).status_code == 403
    assert client.get(reverse("engagement:calendar") + "?manager=kai").status_code == 403
    client.force_login(programme.head)
    kais = client.get(reverse("engagement:calendar") + "?manager=kai")
    assert [str(e["SUMMARY"]) for e in parse(kais.content.decode()).walk("VEVENT")] == [
        "Call · Borealis Foods Inc."
    ]
