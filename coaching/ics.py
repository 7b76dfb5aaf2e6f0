"""Calendar files for coaching sessions (RFC 5545 through the ``icalendar`` package).

One event per session: its ``UID`` never changes, ``SEQUENCE`` rises with every reschedule or
cancellation, so calendar programs update the event they already hold instead of adding one.
Times carry the organisation's time zone (``TZID`` plus its ``VTIMEZONE``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from icalendar import Calendar, Event, vCalAddress, vText

from organizations.relative_dates import zone_named

PRODID = "-//Pathwise//Coaching sessions//EN"


@dataclass(frozen=True)
class SessionEvent:
    uid: str
    sequence: int
    title: str
    starts_at: dt.datetime
    minutes: int
    location: str
    description: str
    organizer_name: str
    organizer_email: str
    attendees: tuple[tuple[str, str], ...]  # (name, e-mail)
    cancelled: bool = False


def _event(e: SessionEvent, zone_name: str, stamp: dt.datetime) -> Event:
    zone = zone_named(zone_name)
    event = Event()
    event.add("uid", f"{e.uid}@pathwise")
    event.add("sequence", e.sequence)
    event.add("dtstamp", stamp)
    event.add("summary", e.title)
    event.add("dtstart", e.starts_at.astimezone(zone))
    event.add("dtend", (e.starts_at + dt.timedelta(minutes=e.minutes)).astimezone(zone))
    if e.location:
        event.add("location", e.location)
    if e.description:
        event.add("description", e.description)
    event.add("status", "CANCELLED" if e.cancelled else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{e.organizer_email}")
    organizer.params["cn"] = vText(e.organizer_name)
    event.add("organizer", organizer)
    for name, email in e.attendees:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = vText(name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=False)
    return event


def calendar(
    events: Iterable[SessionEvent], zone_name: str, method: str | None, name: str = ""
) -> bytes:
    """A VCALENDAR with the events; ``method`` is REQUEST, CANCEL or None (a feed)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    stamp = dt.datetime.now(dt.UTC)
    for e in events:
        cal.add_component(_event(e, zone_name, stamp))
    cal.add_missing_timezones()
    return cal.to_ical()
