"""Relative dates: the words ("tomorrow", "in 3 days", "2 hours ago"), their boundaries, the
organisation's calendar day, and the template filters that keep the exact date beside them."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.utils import timezone
from freezegun import freeze_time

from organizations.relative_dates import (
    local_today,
    long_date,
    long_datetime,
    org_today,
    relative_day,
    relative_day_with_date,
    relative_time,
    relative_time_with_date,
    short_date,
    short_datetime,
    zone_named,
)
from organizations.tenancy import tenant_context

UTC = dt.UTC
SYDNEY = zoneinfo.ZoneInfo("Australia/Sydney")
LONDON = zoneinfo.ZoneInfo("Europe/London")
TODAY = dt.date(2026, 3, 2)
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (0, "today"),
        (1, "tomorrow"),
        (-1, "yesterday"),
        (2, "in 2 days"),
        (-2, "2 days ago"),
        (13, "in 13 days"),
        (-13, "13 days ago"),
        (14, "in 2 weeks"),  # from 14 days, weeks rounded to the nearest
        (-17, "2 weeks ago"),
        (18, "in 3 weeks"),
        (59, "in 8 weeks"),
        (60, "in 2 months"),  # from 60 days, months
        (-76, "2 months ago"),
        (-77, "3 months ago"),
        (350, "in 11 months"),
        (351, "in 1 year"),  # once the months round to 12
        (-365, "1 year ago"),
        (-730, "2 years ago"),
        (900, "in 2 years"),
    ],
)
def test_it_words_a_calendar_date_against_today(days, words):
    assert relative_day(TODAY + dt.timedelta(days=days), TODAY) == words


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (dt.timedelta(0), "just now"),
        (-dt.timedelta(seconds=29), "just now"),
        (dt.timedelta(seconds=29), "in less than a minute"),
        (-dt.timedelta(seconds=30), "1 minute ago"),  # rounded to the nearest minute
        (dt.timedelta(seconds=89), "in 1 minute"),
        (-dt.timedelta(seconds=90), "2 minutes ago"),
        (dt.timedelta(minutes=9, seconds=59), "in 10 minutes"),
        (-dt.timedelta(minutes=59, seconds=29), "59 minutes ago"),
        (-dt.timedelta(minutes=59, seconds=30), "1 hour ago"),
        (dt.timedelta(hours=1, minutes=29), "in 1 hour"),
        (dt.timedelta(hours=1, minutes=30), "in 2 hours"),
        (-dt.timedelta(hours=23, minutes=50), "23 hours ago"),  # never "24 hours" within a day
        (dt.timedelta(hours=23, minutes=59), "in 23 hours"),
        (-dt.timedelta(hours=24), "yesterday"),  # from a day apart: calendar words
        (dt.timedelta(days=3, hours=1), "in 3 days"),
        (-dt.timedelta(days=20), "3 weeks ago"),
    ],
)
def test_it_words_a_moment_against_now(delta, words):
    assert relative_time(NOW + delta, NOW, UTC) == words


def test_it_counts_calendar_days_in_the_given_zone_across_midnight():
    # 13:30 UTC on 2 March is 00:30 on 3 March in Sydney.
    now = dt.datetime(2026, 3, 2, 13, 30, tzinfo=UTC)
    earlier = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # 23:00 on 1 March in Sydney
    assert relative_time(earlier, now, UTC) == "yesterday"
    assert relative_time(earlier, now, SYDNEY) == "2 days ago"
    later = dt.datetime(2026, 3, 4, 1, 0, tzinfo=UTC)  # 12:00 on 4 March in Sydney
    assert relative_time(later, now, UTC) == "in 2 days"
    assert relative_time(later, now, SYDNEY) == "tomorrow"
    assert relative_time(now + dt.timedelta(hours=23, minutes=30), now, SYDNEY) == "in 23 hours"


def test_it_uses_the_active_time_zone_by_default():
    now = dt.datetime(2026, 3, 2, 13, 30, tzinfo=UTC)
    earlier = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with timezone.override(SYDNEY):
        assert relative_time(earlier, now) == "2 days ago"
        assert short_datetime(earlier, now) == "1 Mar, 23:00"
        assert long_datetime(earlier) == "Sun 1 Mar 2026, 23:00"
    with timezone.override(UTC):
        assert relative_time(earlier, now) == "yesterday"


def test_it_counts_hours_on_a_25_hour_daylight_saving_day():
    # London falls back on 25 October 2026: 00:20 BST and 23:30 GMT that day are 24 h 10 min
    # apart on one calendar date, so "yesterday" would be wrong and "today" says too little.
    start = dt.datetime(2026, 10, 25, 0, 20, tzinfo=LONDON)
    end = dt.datetime(2026, 10, 25, 23, 30, tzinfo=LONDON)
    assert end.astimezone(UTC) - start.astimezone(UTC) == dt.timedelta(hours=24, minutes=10)
    assert relative_time(start, end, LONDON) == "24 hours ago"
    assert relative_time(end, start, LONDON) == "in 24 hours"
    assert relative_time(start - dt.timedelta(hours=1), end, LONDON) == "yesterday"


def test_it_shows_the_year_only_when_it_is_not_this_one():
    assert short_date(dt.date(2026, 12, 3), TODAY) == "3 Dec"
    assert short_date(dt.date(2027, 1, 2), TODAY) == "2 Jan 2027"
    assert long_date(dt.date(2026, 12, 3)) == "Thu 3 Dec 2026"
    new_year = dt.date(2026, 12, 30)
    assert relative_day_with_date(dt.date(2027, 1, 2), new_year) == "in 3 days (2 Jan 2027)"
    assert relative_day_with_date(dt.date(2026, 12, 29), new_year) == "yesterday (29 Dec)"
    late = dt.datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
    assert short_datetime(late, NOW, UTC) == "31 Dec 2025, 23:00"
    assert relative_time_with_date(NOW - dt.timedelta(hours=2), NOW, UTC) == (
        "2 hours ago (2 Mar, 08:00)"
    )


def test_the_organisations_today_turns_at_its_own_midnight(org_a, org_b):
    org_a.time_zone = "Australia/Sydney"
    org_a.save(update_fields=["time_zone"])
    before = dt.datetime(2026, 3, 2, 12, 59, tzinfo=UTC)  # 23:59 in Sydney
    after = dt.datetime(2026, 3, 2, 13, 0, tzinfo=UTC)  # 00:00 on 3 March in Sydney
    with tenant_context(org_a):
        assert org_today(before) == dt.date(2026, 3, 2)
        assert org_today(after) == dt.date(2026, 3, 3)
        with timezone.override(UTC):  # an active zone does not move the organisation's day
            assert local_today(after) == dt.date(2026, 3, 3)
    with tenant_context(org_b):  # UTC
        assert org_today(after) == dt.date(2026, 3, 2)
        assert local_today(after) == dt.date(2026, 3, 2)
    with timezone.override(SYDNEY):  # no organisation: the active zone decides
        assert org_today(after) == dt.date(2026, 3, 2)
        assert local_today(after) == dt.date(2026, 3, 3)


def test_an_unknown_organisation_zone_falls_back_to_utc(org_a, org_b):
    org_a.time_zone = "Mars/Olympus_Mons"  # bypasses the choices, as an old row might
    with tenant_context(org_a):
        assert org_today(dt.datetime(2026, 3, 2, 23, 30, tzinfo=UTC)) == dt.date(2026, 3, 2)


def test_an_unknown_organisation_zone_does_not_break_the_rollup_period_or_pages(
    client, org_a, org_b
):
    from measurement.services import period_for
    from organizations.models import Organization
    from tests.conftest import make_member

    assert zone_named("", "Mars/Olympus_Mons", "Europe/Paris").key == "Europe/Paris"
    assert zone_named("Mars/Olympus_Mons").key == "UTC"
    Organization.objects.filter(pk=org_a.pk).update(time_zone="Mars/Olympus_Mons")
    org_a.refresh_from_db()
    assert period_for(org_a, dt.datetime(2026, 3, 31, 23, 30, tzinfo=UTC)) == dt.date(2026, 3, 1)
    learner = make_member(org_a, "leo@a.example", is_learner=True)
    client.force_login(learner.user)
    assert client.get(f"/o/{org_a.slug}/").status_code == 200


def _render(source: str, **context: object) -> str:
    return Template("{% load relative_dates %}" + source).render(Context(context))


@freeze_time("2026-03-02 13:30:00+00:00")  # 00:30 on 3 March in Sydney
def test_the_filters_keep_the_exact_date_in_a_time_element(org_a, org_b):
    org_a.time_zone = "Australia/Sydney"
    org_a.save(update_fields=["time_zone"])
    due = dt.date(2026, 3, 3)
    with tenant_context(org_a), timezone.override(SYDNEY):
        assert _render("{{ d|relative_date }}", d=due) == (
            '<time datetime="2026-03-03" title="Tue 3 Mar 2026">today</time>'
        )
        assert _render('{{ d|relative_date:"dated" }}', d=due + dt.timedelta(days=8)) == (
            '<time datetime="2026-03-11" title="Wed 11 Mar 2026">in 8 days (11 Mar)</time>'
        )
        moment = timezone.now() - dt.timedelta(hours=2)
        assert _render("{{ t|relative_time }}", t=moment) == (
            '<time datetime="2026-03-02T22:30:00+11:00" title="Mon 2 Mar 2026, 22:30">'
            "2 hours ago</time>"
        )
        assert _render('{{ t|relative_time:"dated" }}', t=moment) == (
            '<time datetime="2026-03-02T22:30:00+11:00" title="Mon 2 Mar 2026, 22:30">'
            "2 hours ago (2 Mar, 22:30)</time>"
        )
        assert _render('{{ t|relative_time:"text" }}', t=moment) == "2 hours ago"
        # A moment given to relative_date counts by its local date: 22:30 yesterday.
        assert _render('{{ t|relative_date:"text" }}', t=moment) == "yesterday"
        assert _render("{{ d|relative_time }}", d=due).endswith(">today</time>")
        assert _render("[{{ d|relative_date }}][{{ t|relative_time }}]", d=None, t="") == "[][]"
    # The same date in an organisation on UTC, where it is still 2 March.
    with tenant_context(org_b), timezone.override(UTC):
        assert _render('{{ d|relative_date:"text" }}', d=due) == "tomorrow"


def test_the_filters_escape_nothing_they_should_not_and_refuse_unknown_styles(org_a, org_b):
    with tenant_context(org_a):
        html = _render(
            "{% load i18n %}{% blocktranslate with when=d|relative_date %}due {{ when }}"
            "{% endblocktranslate %}",
            d=org_today(),
        )
        assert html.startswith('due <time datetime="') and html.endswith(">today</time>")
        with pytest.raises(TemplateSyntaxError, match="Unknown relative date style"):
            _render('{{ d|relative_date:"soon" }}', d=org_today())


@pytest.mark.parametrize("language", ["en-gb", "fr", "de"])
def test_the_long_moment_is_what_the_date_format_writes(language):
    from django.utils import formats, translation

    zone = zoneinfo.ZoneInfo("Europe/Paris")
    start = dt.datetime(2026, 1, 4, 0, 5, tzinfo=dt.UTC)
    with translation.override(language):
        for days in range(0, 366, 17):
            moment = start + dt.timedelta(days=days, minutes=37 * days)
            local = timezone.localtime(moment, zone)
            assert long_datetime(moment, zone) == formats.date_format(local, "D j M Y, H:i")


@pytest.mark.parametrize("language", ["en-gb", "fr", "de"])
def test_the_short_and_long_dates_are_what_the_date_format_writes(language):
    from django.utils import formats, translation

    zone = zoneinfo.ZoneInfo("Europe/Paris")
    start = dt.datetime(2026, 1, 4, 0, 5, tzinfo=dt.UTC)
    now = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
    with translation.override(language):
        for days in range(-400, 400, 13):  # every month and weekday, this year and others
            moment = start + dt.timedelta(days=days, minutes=37 * days)
            local = timezone.localtime(moment, zone)
            same_year = local.year == timezone.localtime(now, zone).year
            written = formats.date_format(local, "j M, H:i" if same_year else "j M Y, H:i")
            assert short_datetime(moment, now, zone) == written
            day = local.date()
            assert long_date(day) == formats.date_format(day, "D j M Y")
            this_year = day.year == now.date().year
            assert short_date(day, now.date()) == formats.date_format(
                day, "j M" if this_year else "j M Y"
            )
    with translation.override("fr"):
        assert short_date(dt.date(2026, 2, 3), dt.date(2026, 1, 1)) == "3 Fév"
