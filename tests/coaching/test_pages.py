"""Coaching pages: another organisation's member gets 404 on every URL; the calendar feed;
query counts that do not grow with rows; forms that refuse bad input next to the field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from icalendar import Calendar

from coaching import services
from coaching.models import CoachingSession, Experiment
from organizations.tenancy import tenant_context
from tests.coaching.helpers import build_world, held_session, plan
from tests.conftest import count_queries, make_member


@pytest.fixture
def worlds(org_a, org_b):
    a = build_world(org_a, "a")
    b = build_world(org_b, "b", n_learners=2)
    return a, b


def _object_urls(w, session_id: int) -> list[str]:
    slug = w.org.slug
    with tenant_context(w.org):
        goal = services.do_set_goal(
            w.learners[0],
            w.engagements[0].pk,
            title="Delegate more",
            success_measure="Two projects led by the team",
            target_date=timezone.localdate() + dt.timedelta(days=30),
        )
        experiment = services.do_add_experiment(
            w.coach, w.engagements[0].pk, action="Ask first", due_on=timezone.localdate()
        )
        entry = services.do_write_journal(w.learners[0], text="Today")
    e = w.engagements[0].pk
    return [
        f"/o/{slug}/coaching/sessions/{session_id}/",
        f"/o/{slug}/coaching/sessions/{session_id}/edit/",
        f"/o/{slug}/coaching/sessions/{session_id}/log/",
        f"/o/{slug}/coaching/engagements/{e}/",
        f"/o/{slug}/coaching/observe/{w.learners[0].pk}/",
    ], [
        f"/o/{slug}/coaching/sessions/{session_id}/cancel/",
        f"/o/{slug}/coaching/sessions/{session_id}/rate/",
        f"/o/{slug}/coaching/sessions/{session_id}/feedback/",
        f"/o/{slug}/coaching/engagements/{e}/goals/",
        f"/o/{slug}/coaching/engagements/{e}/experiments/",
        f"/o/{slug}/coaching/engagements/{e}/notes/",
        f"/o/{slug}/coaching/engagements/{e}/observations/",
        f"/o/{slug}/coaching/engagements/{e}/rehearsals/",
        f"/o/{slug}/coaching/goals/{goal.pk}/",
        f"/o/{slug}/coaching/experiments/{experiment.pk}/close/",
        f"/o/{slug}/my-coaching/journal/{entry.pk}/share/",
        f"/o/{slug}/my-coaching/observers/",
        f"/o/{slug}/coaching/rehearsals/1/consent/",
    ]


def test_another_organisations_members_get_404_on_every_coaching_url(client, worlds):
    a, b = worlds
    with tenant_context(a.org):
        session = services.do_schedule_session(
            a.coach, plan(dt.timedelta(days=2)), engagement=a.engagements[0]
        )
    gets, posts = _object_urls(a, session.pk)
    pages = [
        f"/o/{a.org.slug}/coaching/",
        f"/o/{a.org.slug}/coaching/sessions/",
        f"/o/{a.org.slug}/coaching/sessions/new/",
        f"/o/{a.org.slug}/coaching/engagements/",
        f"/o/{a.org.slug}/coaching/engagements/new/",
        f"/o/{a.org.slug}/coaching/engagements/pair-cohort/",
        f"/o/{a.org.slug}/my-coaching/",
        f"/o/{a.org.slug}/my-coaching/journal/",
        f"/o/{a.org.slug}/coaching/calendar/",
        f"/o/{a.org.slug}/coaching/report/",
    ]
    for member in (b.coach, b.learners[0], b.admin, b.sponsor):
        client.force_login(member.user)
        for url in pages + gets:
            assert client.get(url).status_code == 404, (member, url)
        for url in posts:
            assert client.post(url, {"text": "x"}).status_code == 404, (member, url)
    # A member of A with other objects in B's ids: B's own session id under A's slug is 404.
    with tenant_context(b.org):
        b_session = services.do_schedule_session(
            b.coach, plan(dt.timedelta(days=2)), engagement=b.engagements[0]
        )
    client.force_login(a.coach.user)
    assert client.get(f"/o/{a.org.slug}/coaching/sessions/{b_session.pk}/").status_code == 404
    assert (
        client.get(f"/o/{a.org.slug}/coaching/engagements/{b.engagements[0].pk}/").status_code
        == 404
    )


def test_an_external_coach_sees_each_organisations_coachees_separately(client, worlds):
    a, b = worlds
    consultant = make_member(a.org, "consultant@example.com", is_coach=True)
    make_member(b.org, "consultant@example.com", is_coach=True)
    with tenant_context(a.org):
        services.do_create_engagement(
            coach=consultant,
            coachee=a.outsider,
            cohort=None,
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate() + dt.timedelta(days=90),
        )
    client.force_login(consultant.user)
    page_a = client.get(f"/o/{a.org.slug}/coaching/").content.decode()
    page_b = client.get(f"/o/{b.org.slug}/coaching/").content.decode()
    assert "Outsider" in page_a and "Outsider" not in page_b
    assert "You also coach in:" in page_a and b.org.name in page_a


def test_the_calendar_feed_serves_sessions_by_secret_url_and_404s_when_reset(client, worlds):
    a, b = worlds
    with tenant_context(a.org):
        session = services.do_schedule_session(
            a.coach, plan(dt.timedelta(days=2), title="Feed talk"), engagement=a.engagements[0]
        )
        token = services.do_reset_calendar_feed(a.learners[0])
    response = client.get(f"/cal/{token}.ics")  # no session: the URL is the key
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["uid"]) == f"{session.uid}@pathwise" and str(event["summary"]) == "Feed talk"
    # Another organisation's id with the same secret, or a made-up secret, is 404.
    secret = token.partition("-")[2]
    assert client.get(f"/cal/{b.org.pk}-{secret}.ics").status_code == 404
    assert client.get(f"/cal/{a.org.pk}-nope.ics").status_code == 404
    with tenant_context(a.org):
        new = services.do_reset_calendar_feed(a.learners[0])
    assert client.get(f"/cal/{token}.ics").status_code == 404  # revoked
    assert client.get(f"/cal/{new}.ics").status_code == 200


def test_the_calendar_page_makes_and_resets_the_address(client, worlds):
    a, _b = worlds
    client.force_login(a.learners[0].user)
    url = f"/o/{a.org.slug}/coaching/calendar/"
    assert "Make my calendar address" in client.get(url).content.decode()
    client.post(url)
    first = client.get(url).content.decode()
    assert "/cal/" in first
    client.post(url)
    assert client.get(url).content.decode() != first


def _many_sessions(w, n: int, start_day: int) -> None:
    with tenant_context(w.org):
        for i in range(n):
            services.do_schedule_session(
                w.coach,
                plan(dt.timedelta(days=start_day + i, hours=1), title=f"Talk {i}"),
                engagement=w.engagements[i % len(w.engagements)],
            )
            services.do_schedule_session(
                w.coach,
                plan(dt.timedelta(hours=2 + i * 3 - 0.01) if i < 3 else dt.timedelta(days=9 + i)),
                cohort=w.engagements[0].cohort,
                participants=w.learners,
                capacity=5,
            )


def test_coach_pages_and_the_admin_summary_read_in_constant_queries(client, worlds):
    a, b = worlds
    counts: dict[str, list[int]] = {}
    for w, n in ((a, 1), (b, 4)):
        _many_sessions(w, n, start_day=20)
        for d in range(n):
            held_session(w, group=True, days_ago=10 + d, notes="n", summary="s", experiment="Try")
        with tenant_context(w.org):
            Experiment.objects.update(due_on=timezone.localdate() - dt.timedelta(days=1))
            CoachingSession.objects.filter(title__startswith="Talk").update(
                starts_at=timezone.now() - dt.timedelta(hours=1)
            )
        pages = {
            "coach_home": (w.coach, f"/o/{w.org.slug}/coaching/"),
            "sessions": (w.coach, f"/o/{w.org.slug}/coaching/sessions/"),
            "summary": (w.admin, f"/o/{w.org.slug}/coaching/report/"),
            "my_coaching": (w.learners[0], f"/o/{w.org.slug}/my-coaching/"),
            "engagements": (w.admin, f"/o/{w.org.slug}/coaching/engagements/"),
        }
        for name, (member, url) in pages.items():
            client.force_login(member.user)
            with count_queries() as ctx:
                response = client.get(url)
            assert response.status_code == 200, url
            counts.setdefault(name, []).append(len(ctx.app_queries))
    for name, (small, large) in counts.items():
        assert small == large, (name, small, large)


def test_the_coach_home_names_sessions_to_log_and_coachees_needing_attention(client, worlds):
    a, _b = worlds
    with tenant_context(a.org):
        session = services.do_schedule_session(
            a.coach, plan(dt.timedelta(days=2), title="Overdue log"), engagement=a.engagements[1]
        )
        CoachingSession.objects.filter(pk=session.pk).update(
            starts_at=timezone.now() - dt.timedelta(hours=2)
        )
        services.do_add_experiment(
            a.coach,
            a.engagements[2].pk,
            action="Say no once",
            due_on=timezone.localdate() - dt.timedelta(days=2),
        )
    client.force_login(a.coach.user)
    body = client.get(f"/o/{a.org.slug}/coaching/").content.decode()
    assert "1 session to log" in body and "Overdue log" in body
    assert "1 overdue experiment" in body
    assert "no session held yet" in body


def test_the_schedule_form_shows_the_clash_next_to_the_field(client, worlds):
    a, _b = worlds
    with tenant_context(a.org):
        first = services.do_schedule_session(
            a.coach, plan(dt.timedelta(days=2), title="Board prep"), engagement=a.engagements[0]
        )
    client.force_login(a.coach.user)
    local = timezone.localtime(first.starts_at, timezone=__import__("zoneinfo").ZoneInfo("UTC"))
    response = client.post(
        f"/o/{a.org.slug}/coaching/sessions/new/",
        {
            "kind": "one_to_one",
            "engagement": a.engagements[1].pk,
            "title": "Clashing",
            "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
            "minutes": 60,
            "mode": "video",
        },
    )
    assert response.status_code == 200
    assert "Board prep" in response.content.decode()
    with tenant_context(a.org):
        assert CoachingSession.objects.count() == 1


def test_a_learner_rates_a_session_from_its_page(client, worlds):
    a, _b = worlds
    session = held_session(a)
    client.force_login(a.learners[0].user)
    url = f"/o/{a.org.slug}/coaching/sessions/{session.pk}/"
    client.post(url + "rate/", {"rating": "9"})
    response = client.post(url + "rate/", {"rating": "5"}, follow=True)
    assert "You rated it 5 of 5." in response.content.decode()


def test_the_admin_summary_downloads_counts_as_csv(client, worlds):
    a, _b = worlds
    held_session(a, group=True, notes="secret", summary="shared")
    client.force_login(a.admin.user)
    response = client.get(f"/o/{a.org.slug}/coaching/report/?format=csv")
    text = response.content.decode()
    assert response.status_code == 200
    assert text.splitlines()[0].startswith("Cohort,Coach,Coachees,Sessions held,Hours")
    assert "secret" not in text and "shared" not in text
    assert "Pathway a cohort,All coaches,3,1,0.92,100,0" in text


def test_the_summary_hides_a_mean_rating_of_fewer_than_five_people(client, worlds):
    a, _b = worlds
    session = held_session(a, group=True)
    with tenant_context(a.org):
        services.do_rate_session(a.learners[0], session.pk, 2)
    client.force_login(a.sponsor.user)
    page = client.get(f"/o/{a.org.slug}/coaching/report/").content.decode()
    assert "hidden: 1 rating, fewer than 5" in page
    csv = client.get(f"/o/{a.org.slug}/coaching/report/?format=csv").content.decode()
    assert csv.splitlines()[1].split(",")[7] == ""  # the mean, left empty


def test_the_cohort_set_up_pairs_every_unpaired_learner_once(client, worlds):
    from coaching.models import CoachingEngagement
    from pathways.models import Cohort, Enrollment

    a, _b = worlds
    late = make_member(a.org, "late@a.example", is_learner=True)
    with tenant_context(a.org):
        cohort = Cohort.objects.select_related("version").get(pk=a.cohort_id)
        Enrollment.objects.create(cohort=cohort, learner=late, version=cohort.version)
    client.force_login(a.admin.user)
    url = f"/o/{a.org.slug}/coaching/engagements/pair-cohort/"
    data = {
        "cohort": cohort.pk,
        "coach": a.coach.pk,
        "sessions_contracted": 4,
        "starts_on": timezone.localdate().isoformat(),
        "ends_on": (timezone.localdate() + dt.timedelta(days=90)).isoformat(),
    }
    response = client.post(url, data, follow=True)
    assert "1 coachee(s) paired with Coach." in response.content.decode()
    with tenant_context(a.org):
        assert CoachingEngagement.objects.filter(coachee=late, cohort=cohort).count() == 1
    again = client.post(url, data)
    assert "already has a coach" in again.content.decode()
    bad = client.post(url, {**data, "ends_on": "2000-01-01"})
    assert "before the start date" in bad.content.decode()
