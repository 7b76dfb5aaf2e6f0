"""Downloads of the coaching lists: the admin's engagements, the coach's sessions and roster.
The page's rows (all of them, not one page), formulas neutralised, never what was said in
coaching, the page's readers only, and a constant number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from coaching import services
from organizations.tenancy import tenant_context
from tests.coaching.helpers import build_world, held_session, plan
from tests.conftest import enroll, make_member, make_pathway
from tests.downloads import assert_constant_queries, column, download, rename

EVIL = '=HYPERLINK("http://x.test","hi")'
SECRET = "She doubts her manager"


@pytest.fixture
def worlds(org_a, org_b):
    return build_world(org_a, "a"), build_world(org_b, "b", n_learners=2)


def _more_engagements(w, n: int) -> None:
    coach = w.coach
    for i in range(n):
        learner = make_member(w.org, f"extra{i}@{w.org.slug}.example", is_learner=True)
        with tenant_context(w.org):
            services.do_create_engagement(
                coach=coach,
                coachee=learner,
                cohort=None,
                starts_on=timezone.localdate(),
                ends_on=timezone.localdate() + dt.timedelta(days=90),
                focus_competencies=w.competencies,
            )


def test_engagements_download_all_that_match_the_search(worlds, login):
    a, b = worlds
    rename(a.learners[0], EVIL)
    held_session(a, notes=SECRET, summary="Agreed to delegate")
    client = login(a.admin)
    url = reverse("engagement_list", args=[a.org.slug])
    assert "format=csv" in client.get(url).content.decode()
    assert "q=learner1&amp;format=xlsx" in client.get(url, {"q": "learner1"}).content.decode()
    rows, as_xlsx = download(client, url)
    assert rows[0][:4] == ["Coachee", "Coachee e-mail", "Coach", "Coach e-mail"]
    assert len(rows) == 4  # the three engagements of A, none of B
    by_email = {r[1]: r for r in rows[1:]}
    first = by_email["learner0@a.example"]
    assert first[0] == "'" + EVIL and first[6] == "1" and first[7] == "6"
    assert first[10] == a.competencies[0].name
    text = str(rows) + str(as_xlsx)
    assert SECRET not in text and "Agreed to delegate" not in text
    assert "b.example" not in text
    searched, _ = download(client, url, q="learner1")
    assert column(searched, "Coachee e-mail") == ["learner1@a.example"]
    # More engagements than a page of the list (25): the download has all, in as many queries.
    assert_constant_queries(client, url, lambda: _more_engagements(a, 26))
    assert len(download(client, url)[0]) == 1 + 3 + 26


def test_coach_sessions_download_every_session_without_notes(worlds, login):
    a, b = worlds
    held_session(a, notes=SECRET, summary="Agreed to delegate")
    with tenant_context(a.org):
        services.do_schedule_session(
            a.coach, plan(title="=cmd|' /C calc'!A0"), engagement=a.engagements[1]
        )
    other_coach = make_member(a.org, "coach2@a.example", is_coach=True)
    with tenant_context(a.org):
        theirs = services.do_create_engagement(
            coach=other_coach,
            coachee=a.learners[2],
            cohort=None,
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate() + dt.timedelta(days=90),
            focus_competencies=[],
        )
        services.do_schedule_session(other_coach, plan(title="Not mine"), engagement=theirs)
    client = login(a.coach)
    url = reverse("coach_sessions", args=[a.org.slug])
    assert "format=xlsx" in client.get(url).content.decode()
    rows, as_xlsx = download(client, url)
    assert rows[0] == [
        "Session",
        "Kind",
        "Starts",
        "Minutes",
        "Mode",
        "Location",
        "Cohort",
        "Participants",
        "Status",
    ]
    assert column(rows, "Session") == ["'=cmd|' /C calc'!A0", "Check-in"]
    assert column(rows, "Status") == ["Scheduled", "Held"]
    assert column(rows, "Participants")[1] == "Learner0"
    assert isinstance(as_xlsx[1][2], dt.datetime)
    text = str(rows)
    assert SECRET not in text and "Agreed to delegate" not in text and "Not mine" not in text

    def more_sessions() -> None:
        with tenant_context(a.org):
            for i in range(30):
                services.do_schedule_session(
                    a.coach,
                    plan(starts_in=dt.timedelta(days=10 + i), title=f"Session {i}"),
                    engagement=a.engagements[i % 3],
                )

    assert_constant_queries(client, url, more_sessions)
    assert len(download(client, url)[0]) == 1 + 2 + 30


def test_coach_roster_downloads_with_progress(worlds, login):
    a, b = worlds
    rename(a.learners[1], "+1 555 0100")
    client = login(a.coach)
    url = reverse("coach_home", args=[a.org.slug])
    assert "format=csv" in client.get(url).content.decode()
    rows, _ = download(client, url)
    assert rows[0][:3] == ["Name", "E-mail", "Team"]
    assert sorted(column(rows, "E-mail")) == [f"learner{i}@a.example" for i in range(3)]
    assert "'+1 555 0100" in column(rows, "Name")

    def more_learners() -> None:
        fixture = make_pathway(a.org, n_steps=2, name="Second wave")
        from pathways.models import CohortCoach

        with tenant_context(a.org):
            CohortCoach.objects.create(cohort=fixture.cohort, membership=a.coach)
        for i in range(6):
            enroll(a.org, fixture, make_member(a.org, f"wave{i}@a.example", is_learner=True))

    assert_constant_queries(client, url, more_learners)


def test_coaching_downloads_answer_only_the_pages_readers(worlds, login):
    a, b = worlds
    slug = a.org.slug
    admin_only = reverse("engagement_list", args=[slug])
    coach_only = [reverse("coach_sessions", args=[slug]), reverse("coach_home", args=[slug])]
    for member, urls in (
        (a.coach, [admin_only]),
        (a.sponsor, [admin_only, *coach_only]),
        (a.learners[0], [admin_only, *coach_only]),
        (a.admin, coach_only),
        (b.admin, [admin_only, *coach_only]),
        (b.coach, [admin_only, *coach_only]),
    ):
        client = login(member)
        for url in urls:
            for fmt in ("csv", "xlsx"):
                assert client.get(url, {"format": fmt}).status_code == 404, (member, url)
