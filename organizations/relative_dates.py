"""Dates and times as people say them: "tomorrow", "in 3 days", "2 hours ago".

UX: dates and times in the organisation's time zone, relative where it helps, with the exact
date kept beside the words or in a ``title``. The wording functions are pure: they take the
reference point (``today`` for a calendar date, ``now`` for a moment) so that reads building
reason strings decide what "today" is and tests can pin it. Calendar words ("today",
"yesterday", "in 3 days") compare local calendar dates, never 24-hour spans: a date with the
organisation's today (``org_today``), a moment in the active time zone (the TenantMiddleware
activates the organisation's; the practice pages activate the learner's own).

Templates use the filters in ``organizations/templatetags/relative_dates.py``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR

from organizations.tenancy import current_org
from organizations.words import counted as ngettext
from organizations.words import translated as _
from organizations.words import words

# Spans shorter than this many days are counted in days ("in 13 days"), then in weeks.
WEEKS_FROM_DAYS = 14
# Spans shorter than this many days are counted in weeks ("in 8 weeks"), then in months.
MONTHS_FROM_DAYS = 60
DAYS_PER_MONTH = 365.25 / 12
DAYS_PER_YEAR = 365.25


def zone_named(*names: str) -> zoneinfo.ZoneInfo:
    """The first of ``names`` that is a known time zone (empty ones skipped), else UTC: a zone
    stored before its name was checked, or since withdrawn from the zone database, must not
    break a page or a roll-up."""
    for name in names:
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo("UTC")


def org_today(now: dt.datetime | None = None) -> dt.date:
    """The calendar date at ``now`` in the current organisation's time zone (steps open and
    fall due by the organisation's day, not UTC's; UTC with no organisation in context or an
    unknown zone). No query: the tenant is in context."""
    org = current_org()
    zone = zone_named(org.time_zone if org is not None else "")
    return timezone.localdate(now or timezone.now(), timezone=zone)


def local_today(now: dt.datetime | None = None) -> dt.date:
    """Today for a page: the organisation's date when one is in context, otherwise the date in
    the active time zone."""
    if current_org() is not None:
        return org_today(now)
    return timezone.localdate(now or timezone.now())


def _half_up(value: float) -> int:
    return int(value + 0.5)


def relative_day(value: dt.date, today: dt.date) -> str:
    """``value`` in words relative to ``today``: "today", "tomorrow", "yesterday", "in 3 days",
    "3 days ago", then weeks from 14 days ("in 2 weeks"), months from 60 days ("5 months ago")
    and years once a span rounds to 12 months or more ("in 1 year"). Spans are rounded to the
    nearest unit."""
    days = (value - today).days
    span = abs(days)
    if span == 0:
        return _("today")
    if span == 1:
        return _("tomorrow") if days > 0 else _("yesterday")
    if span < WEEKS_FROM_DAYS:
        if days > 0:
            return ngettext("in %(n)d day", "in %(n)d days", span) % {"n": span}
        return ngettext("%(n)d day ago", "%(n)d days ago", span) % {"n": span}
    if span < MONTHS_FROM_DAYS:
        weeks = _half_up(span / 7)
        if days > 0:
            return ngettext("in %(n)d week", "in %(n)d weeks", weeks) % {"n": weeks}
        return ngettext("%(n)d week ago", "%(n)d weeks ago", weeks) % {"n": weeks}
    months = _half_up(span / DAYS_PER_MONTH)
    if months < 12:
        if days > 0:
            return ngettext("in %(n)d month", "in %(n)d months", months) % {"n": months}
        return ngettext("%(n)d month ago", "%(n)d months ago", months) % {"n": months}
    years = max(1, _half_up(span / DAYS_PER_YEAR))
    if days > 0:
        return ngettext("in %(n)d year", "in %(n)d years", years) % {"n": years}
    return ngettext("%(n)d year ago", "%(n)d years ago", years) % {"n": years}


def relative_time(value: dt.datetime, now: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """The moment ``value`` in words relative to ``now`` (both aware): "just now" up to half a
    minute before, "in less than a minute" up to half a minute after, then minutes ("5 minutes
    ago") and hours ("in 3 hours", at most 23 under a day apart) rounded to the nearest, and
    from a day apart the calendar words of ``relative_day`` for the two local dates in ``zone``
    (default: the active time zone), so that 30 hours ago on the day before yesterday reads
    "2 days ago"."""
    # In UTC: Python subtracts two times of one zone by the wall clock, blind to a DST shift.
    seconds = (value.astimezone(dt.UTC) - now.astimezone(dt.UTC)).total_seconds()
    span = abs(seconds)
    if span < 30:
        return _("just now") if seconds <= 0 else _("in less than a minute")
    minutes = _half_up(span / 60)
    if minutes < 60:
        if seconds > 0:
            return ngettext("in %(n)d minute", "in %(n)d minutes", minutes) % {"n": minutes}
        return ngettext("%(n)d minute ago", "%(n)d minutes ago", minutes) % {"n": minutes}
    zone = zone or timezone.get_current_timezone()
    day = timezone.localdate(value, timezone=zone)
    today = timezone.localdate(now, timezone=zone)
    # Hours within a day; a day apart on one calendar date happens only on a 25-hour DST day.
    if span < 86400 or day == today:
        hours = _half_up(span / 3600)
        if span < 86400:
            hours = min(23, hours)
        if seconds > 0:
            return ngettext("in %(n)d hour", "in %(n)d hours", hours) % {"n": hours}
        return ngettext("%(n)d hour ago", "%(n)d hours ago", hours) % {"n": hours}
    return relative_day(day, today)


def _month(month: int) -> str:
    """``date_format``'s ``M`` ("Dec"): the month's abbreviation in the active language, looked
    up once per catalogue."""
    return words().kept("months_3", lambda: {m: MONTHS_3[m].title() for m in MONTHS_3})[month]


def _weekday(weekday: int) -> str:
    """``date_format``'s ``D`` ("Thu") for ``date.weekday()``, once per catalogue."""
    return words().kept("weekdays_abbr", lambda: {d: str(WEEKDAYS_ABBR[d]) for d in range(7)})[
        weekday
    ]


def short_date(value: dt.date, today: dt.date) -> str:
    """The date as "3 Dec", with the year when it is not ``today``'s: "3 Dec 2027" (what
    ``date_format`` writes for ``j M`` and ``j M Y``, put together directly)."""
    if value.year == today.year:
        return f"{value.day} {_month(value.month)}"
    return f"{value.day} {_month(value.month)} {value.year:04d}"


def short_datetime(value: dt.datetime, now: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """The moment as "3 Dec, 14:05" in ``zone`` (default: the active time zone), with the year
    when it is not ``now``'s: "3 Dec 2025, 14:05"."""
    zone = zone or timezone.get_current_timezone()
    local = timezone.localtime(value, zone)
    day = f"{local.day} {_month(local.month)}"
    if local.year != timezone.localtime(now, zone).year:
        day = f"{day} {local.year:04d}"
    return f"{day}, {local.hour:02d}:{local.minute:02d}"  # ``j M[ Y], H:i``


def long_date(value: dt.date) -> str:
    """The exact date a relative one stands for: "Thu 3 Dec 2026" (``D j M Y``)."""
    return f"{_weekday(value.weekday())} {value.day} {_month(value.month)} {value.year:04d}"


def long_datetime(value: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """The exact moment a relative one stands for: "Thu 3 Dec 2026, 14:05" in ``zone``
    (default: the active time zone). What ``date_format(value, "D j M Y, H:i")`` writes, put
    together directly: a table of fifty rows calls it fifty times."""
    local = timezone.localtime(value, zone)
    return (
        f"{_weekday(local.weekday())} {local.day} {_month(local.month)} "
        f"{local.year:04d}, {local.hour:02d}:{local.minute:02d}"
    )


def with_date(relative: str, date: str) -> str:
    """A relative phrase followed by the exact date: "in 8 days (3 Dec)"."""
    # Translators: a relative date ("in 8 days", "yesterday") and the exact one ("3 Dec").
    return _("%(relative)s (%(date)s)") % {"relative": relative, "date": date}


def relative_day_with_date(value: dt.date, today: dt.date) -> str:
    """Words and exact date, "in 8 days (3 Dec)", for reasons a person acts on."""
    return with_date(relative_day(value, today), short_date(value, today))


def relative_time_with_date(
    value: dt.datetime, now: dt.datetime, zone: dt.tzinfo | None = None
) -> str:
    """Words and exact moment, "2 hours ago (3 Dec, 12:05)", in ``zone`` (default: the active
    time zone)."""
    return with_date(relative_time(value, now, zone), short_datetime(value, now, zone))
