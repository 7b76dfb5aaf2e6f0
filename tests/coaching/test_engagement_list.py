"""The admin's list of engagements read as SQL text: the same rows, pages and search as the
models and Django's paginator give, one statement a page, only the organisation's own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.paginator import Paginator
from django.db.models import Q
from django.utils import dateformat, timezone

from coaching import queries
from coaching.models import CoachingEngagement, CoachingSession, EngagementFocus, SessionParticipant
from organizations.tenancy import tenant_context
from tests.coaching.helpers import build_world, held_session
from tests.conftest import count_queries, make_member


@pytest.fixture
def worlds(org_a, org_b):
    return build_world(org_a, "a"), build_world(org_b, "b", n_learners=2)


def _more_engagements(w, n: int) -> None:
    """``n`` more engagements of a second coach: starts on few distinct days (ties broken by
    id), every third without a cohort, focus on both competencies in reverse order."""
    coach = make_member(w.org, f"second.coach@{w.org.slug}.example", is_coach=True)
    today = timezone.localdate()
    for i in range(n):
        learner = make_member(w.org, f"extra{i}_x@{w.org.slug}.example", is_learner=True)
        with tenant_context(w.org):
            engagement = CoachingEngagement.objects.create(
                coach=coach,
                coachee=learner,
                cohort=None if i % 3 == 0 else w.engagements[0].cohort,
                starts_on=today - dt.timedelta(days=i % 4),
                ends_on=today + dt.timedelta(days=90),
                sessions_contracted=1 + i % 5,
            )
            for competency in reversed(w.competencies) if i % 2 else []:
                EngagementFocus.objects.create(engagement=engagement, competency=competency)


def _expected(engagement: CoachingEngagement) -> queries.EngagementListRow:
    """The row as the models say it (the template's words before the list was SQL text)."""
    focus = [
        f.competency.name
        for f in EngagementFocus.objects.filter(engagement=engagement).order_by(
            "competency__position", "competency__name"
        )
    ]
    held = SessionParticipant.objects.filter(
        learner=engagement.coachee,
        attendance=SessionParticipant.Attendance.ATTENDED,
        session__coach=engagement.coach,
        session__status=CoachingSession.Status.HELD,
    ).count()
    return queries.EngagementListRow(
        id=engagement.pk,
        coachee=engagement.coachee.user.display_name,
        coach=engagement.coach.user.display_name,
        cohort=engagement.cohort.name if engagement.cohort else "—",
        sessions=f"{held} / {engagement.sessions_contracted}",
        dates=f"{dateformat.format(engagement.starts_on, 'j M Y')} – "
        f"{dateformat.format(engagement.ends_on, 'j M Y')}",
        focus=", ".join(focus) or "—",
    )


def test_it_lists_each_page_as_the_models_say(worlds):
    a, _b = worlds
    _more_engagements(a, 30)
    held_session(a)
    held_session(a, group=True)
    with tenant_context(a.org):
        everyone = list(CoachingEngagement.objects.order_by("-starts_on", "id"))
        assert len(everyone) == 33
        seen = []
        for number in (1, 2):
            with count_queries() as ctx:
                page = queries.engagement_page(number)
            assert len(ctx.app_queries) == 1
            assert page.paginator.count == 33 and page.paginator.num_pages == 2
            start = (number - 1) * queries.ENGAGEMENTS_PER_PAGE
            window = everyone[start : start + queries.ENGAGEMENTS_PER_PAGE]
            assert list(page.object_list) == [_expected(e) for e in window]
            seen += [r.id for r in page.object_list]
        assert seen == [e.pk for e in everyone]
        last = {r.id: r for r in queries.engagement_page(2).object_list}
        assert last[a.engagements[0].pk].sessions == "2 / 6"  # the 1:1 and the group session
        assert last[a.engagements[1].pk].sessions == "1 / 6"


@pytest.mark.parametrize(
    "number", [1, 2, "2", 3, 999, 0, -1, "99999999999999999999", "x", None, "1.5", ""]
)
def test_it_pages_as_djangos_paginator_does(worlds, number):
    a, _b = worlds
    _more_engagements(a, 30)
    with tenant_context(a.org):
        ids = list(
            CoachingEngagement.objects.order_by("-starts_on", "id").values_list("pk", flat=True)
        )
        expected = Paginator(ids, queries.ENGAGEMENTS_PER_PAGE).get_page(number)
        with count_queries() as ctx:
            page = queries.engagement_page(number)
        assert page.number == expected.number
        assert [r.id for r in page.object_list] == list(expected.object_list)
        assert (page.has_previous(), page.has_next()) == (
            expected.has_previous(),
            expected.has_next(),
        )
        # A page past the end or below 1 costs one more read (not a number reads page 1).
        assert len(ctx.app_queries) == (
            2 if number in (3, 999, 0, -1, "99999999999999999999") else 1
        )


def test_an_empty_list_and_an_empty_search_count_nothing(org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    with tenant_context(org_a):
        page = queries.engagement_page(3)
    assert page.number == 1 and page.paginator.count == 0 and list(page.object_list) == []
    assert admin.organization_id == org_a.pk


@pytest.mark.parametrize(
    "q",
    ["learner1", "LEARNER", "Coach", "second.coach", "@a.example", "extra1", "%", "_x", "\\", "zz"],
)
def test_the_search_finds_what_the_orm_finds(worlds, q):
    a, _b = worlds
    _more_engagements(a, 12)
    with tenant_context(a.org):
        # The admin list's search before it was SQL text.
        expected = list(
            CoachingEngagement.objects.filter(
                Q(coach__user__full_name__icontains=q)
                | Q(coachee__user__full_name__icontains=q)
                | Q(coachee__user__email__icontains=q)
            )
            .order_by("-starts_on", "id")
            .values_list("pk", flat=True)
        )
        page = queries.engagement_page(1, q)
        assert [r.id for r in page.object_list] == expected[: queries.ENGAGEMENTS_PER_PAGE]
        assert page.paginator.count == len(expected)
    if q in ("%", "\\", "zz"):
        assert expected == []
    if q in ("LEARNER", "_x"):
        assert expected


def test_the_page_shows_the_rows_and_only_the_organisations_own(client, worlds):
    a, b = worlds
    _more_engagements(a, 30)
    client.force_login(a.admin.user)
    url = f"/o/{a.org.slug}/coaching/engagements/"
    page = client.get(url, {"page": 2}).content.decode()
    assert "<caption>33 engagements</caption>" in page and "Page 2 of 2" in page
    assert "learner0@b.example" not in page and "Learner0</th>" not in page.split("<tbody>")[0]
    with tenant_context(a.org):
        last = CoachingEngagement.objects.order_by("-starts_on", "id").last()
        row = _expected(last)
    assert (
        f'<tr><th scope="row">{row.coachee}</th><td>{row.coach}</td><td>{row.cohort}</td>'
        f"<td>{row.sessions}</td><td>{row.dates}</td><td>{row.focus}</td></tr>"
    ) in page
    client.force_login(b.admin.user)
    assert client.get(url).status_code == 404
    other = client.get(f"/o/{b.org.slug}/coaching/engagements/").content.decode()
    assert "<caption>2 engagements</caption>" in other and "a.example" not in other
