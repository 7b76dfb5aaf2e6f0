"""The coach's home, the coach's sessions and the admin's engagements put together in Python
(coaching/page_parts.py, in the pages' templates): the same HTML as the templates they
replaced (tests/coaching/templates_before.py), in every shape the pages take (lists empty,
short and cut, a search with characters to escape, several pages) and language, in a time zone
other than UTC."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.paginator import Paginator
from django.template import Context, Template
from django.utils import timezone, translation

from coaching import page_parts, tables
from coaching.queries import (
    AttentionRow,
    Coachee,
    CoachHome,
    EngagementListRow,
    HomeCounts,
    OtherOrganisation,
    RosterSummary,
    SessionRow,
)
from organizations.html_parts import url_with_id
from tests.coaching import templates_before

SLUG = "acme-t"
NOW = dt.datetime(2026, 3, 4, 9, 30, tzinfo=dt.UTC)


def _content(template: str) -> str:
    """The content block of one of the pages' templates as it is now."""
    text = (Path(settings.BASE_DIR) / "templates" / "coaching" / template).read_text()
    start = text.index("{% block content %}") + len("{% block content %}")
    return "{% load i18n %}" + text[start : text.rindex("{% endblock %}")]


def _render(source: str, context: dict[str, Any]) -> str:
    return Template(source).render(Context({"org": SimpleNamespace(slug=SLUG), **context}))


def _session(pk: int, hours: float, participants: int, status: str = "scheduled") -> SessionRow:
    starts = NOW + dt.timedelta(hours=hours)
    return SessionRow(
        id=pk,
        title=f'Check-in <{pk}> & "O\'Neil"',
        kind="group" if participants > 1 else "one_to_one",
        kind_label="Group <session>",
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=45),
        minutes=45,
        mode_label="Video & call",
        location="",
        status=status,
        status_label="Cancelled" if status == "cancelled" else "Scheduled",
        coach="Cora",
        participants=tuple(f"Lea <{i}> & co" for i in range(participants)),
        cohort="",
    )


def _coachee(i: int, overdue: int, done: int | None) -> Coachee:
    return Coachee(
        enrollment_id=i,
        learner_id=100 + i,
        name=["O'Brien & <Sons>", 'cora "both"', "Zoë"][i % 3],
        email=f"c{i}+<x>@example.test",
        team=["", "R&D"][i % 2],
        pathway="Leading <Change>",
        cohort='Spring "A"',
        status="Active",
        steps_done=done,
        steps_total=None if done is None else 4,
        steps_overdue=overdue,
    )


def _home(shape: str) -> CoachHome:
    if shape == "empty":
        return CoachHome([], [], False, [], 0, [], 0, 0, [])
    if shape == "on track":
        return CoachHome([], [], True, [], 0, [], 0, 7, [])
    to_log = [_session(i, -30 - i, i % 6) for i in range(1, 11)]
    attention = [
        AttentionRow(f"Coachee <{i}> & co", 40 + i, ("no session held yet", "2 overdue <x>"))
        for i in range(10)
    ]
    return CoachHome(
        today=[_session(20, 2, 0), _session(21, 3, 4, "cancelled")],
        this_week=[_session(22, 50, 1)],
        upcoming_more=shape == "full",
        to_log=to_log,
        to_log_count=14 if shape == "full" else 10,
        attention=attention,
        attention_count=12 if shape == "full" else 10,
        engagements=20,
        other_organisations=[OtherOrganisation("Globex & <Co>", "globex-t")]
        if shape == "full"
        else [],
    )


def _summary(shape: str) -> RosterSummary:
    attention = [_coachee(i, overdue=i % 2 * 3, done=0) for i in range(5)]
    return RosterSummary(
        enrolments=0 if shape == "empty" else 1234,
        learners=0 if shape == "empty" else 1,
        counted=1200,
        overdue=300,
        not_started=55,
        as_of=None if shape == "short" else timezone.now() - dt.timedelta(minutes=3),
        attention=[] if shape == "on track" else attention,
        attention_total=9 if shape == "full" else 5,
        period=dt.date(2026, 3, 1),
        home=HomeCounts(20, 14, 1),
    )


def _old_home(home: CoachHome) -> SimpleNamespace:
    """The home as the template read it: each session to log with its link, each coachee who
    needs attention with theirs."""
    log, engagement = url_with_id("session_log", SLUG), url_with_id("engagement_detail", SLUG)
    values = {f.name: getattr(home, f.name) for f in fields(home)}
    values["to_log"] = [
        SimpleNamespace(**{f.name: getattr(s, f.name) for f in fields(s)}, log_url=log(s.id))
        for s in home.to_log
    ]
    values["attention"] = [
        SimpleNamespace(**{f.name: getattr(a, f.name) for f in fields(a)}, url=engagement(pk))
        for a in home.attention
        for pk in [a.engagement_id]
    ]
    return SimpleNamespace(**values)


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize(
    ("shape", "show", "q", "page_number", "rows"),
    [
        ("full", "all", "", 2, 60),
        ("full", "overdue", "<b>&\"'", 1, 3),
        ("short", "not_started", "", 1, 0),
        ("short", "all", "zz", 1, 0),
        ("on track", "not_counted", "", 3, 80),
        ("empty", "all", "", 1, 0),
    ],
)
def test_the_coach_home_is_what_its_template_wrote(language, shape, show, q, page_number, rows):
    home, summary = _home(shape), _summary(shape)
    coachees = [_coachee(i, overdue=i % 3, done=[None, 0, 2][i % 3]) for i in range(rows)]
    page = Paginator(coachees, 25).get_page(page_number)
    query = urlencode({"show": show, "q": q} if q else {"show": show})
    with translation.override(language), timezone.override("Europe/Berlin"):
        expected = _render(
            templates_before.COACH_HOME,
            {
                "home": _old_home(home),
                "summary": summary,
                "page": page,
                "roster_rows": tables.roster_rows(page.object_list),
                "show": show,
                "q": q,
                "query": query,
                "roster_tabs": [
                    ("all", translation.gettext("All"), summary.enrolments),
                    ("overdue", translation.gettext("Overdue"), summary.overdue),
                    ("not_started", translation.gettext("Not started"), summary.not_started),
                    ("not_counted", translation.gettext("Not counted yet"), summary.not_counted),
                ],
            },
        )
        urls = page_parts.HomeUrls.of(SLUG)
        written = _render(
            _content("coach_home.html"),
            {
                "top": page_parts.home_top(home, urls),
                "roster_summary": page_parts.roster_summary(summary),
                "summary": summary,
                "page": page,
                "query": query,
                "roster": page_parts.roster_parts(summary, page, show, q, urls.home),
            },
        )
    assert written == expected
    if shape == "full":
        assert "Check-in &lt;1&gt;" in written and "Globex &amp; &lt;Co&gt;" in written


def _engagement(i: int) -> EngagementListRow:
    return EngagementListRow(
        id=i,
        coachee=f"Lea <{i}>",
        coach="O'Brien & Co",
        cohort=['Spring "A"', "—"][i % 2],
        sessions=f"{i % 4} / 6",
        dates="1 Mar 2026 – 1 Jun 2026",
        focus="Listening, <Feedback>",
    )


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize(("rows", "page_number"), [(60, 1), (60, 2), (60, 3), (7, 1), (0, 1)])
def test_the_sessions_page_is_what_its_template_wrote(language, rows, page_number):
    sessions = [replace(_session(i, -i * 5, i % 4), status_label="x") for i in range(rows)]
    page = Paginator(sessions, 25).get_page(page_number)
    with translation.override(language), timezone.override("Europe/Berlin"):
        detail = url_with_id("session_detail", SLUG)
        expected = _render(
            templates_before.SESSION_LIST,
            {"page": page, "rows": tables.session_rows(page.object_list, detail)},
        )
        written = _render(
            _content("session_list.html"),
            {"page": page, "content": page_parts.session_list(page, SLUG)},
        )
    assert written == expected


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize(
    ("rows", "page_number", "q"),
    [(60, 1, ""), (60, 2, "<b>&\"' x"), (60, 3, "a"), (3, 1, "a"), (0, 1, ""), (0, 1, "zz")],
)
def test_the_engagements_page_is_what_its_template_wrote(language, rows, page_number, q):
    page = Paginator([_engagement(i) for i in range(rows)], 25).get_page(page_number)
    query = urlencode({"q": q}) if q else ""
    with translation.override(language):
        expected = _render(templates_before.ENGAGEMENT_LIST, {"page": page, "q": q, "query": query})
        written = _render(
            _content("engagement_list.html"),
            {
                "page": page,
                "content": page_parts.engagement_list(page, q, SLUG),
                "pager": page_parts.engagement_pager(page, q),
                "q": q,
                "query": query,
            },
        )
    assert written == expected
