"""The filters of the coach's session and observation lists (the fields coaches filter by, a
400 naming a bad one, the coach's own rows only), and the coaching summary's counts."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from coaching import services
from organizations.tenancy import tenant_context
from tests.coaching.helpers import build_world, held_session
from tests.conftest import count_queries, make_member


def test_a_coach_filters_sessions_and_observations(client, org_a, org_b):
    a = build_world(org_a, "a")
    build_world(org_b, "b", n_learners=1)
    old = held_session(a, days_ago=30)
    group = held_session(a, group=True, days_ago=3)
    today = timezone.localdate()
    with tenant_context(a.org):
        for learner, days in ((a.learners[0], 20), (a.learners[1], 2)):
            services.do_record_observation(
                a.coach,
                learner,
                competency=a.competencies[0],
                level=a.levels[2],
                situation="Stand-up",
                behaviour="Asked first",
                observed_on=today - dt.timedelta(days=days),
            )
    client.force_login(a.coach.user)
    sessions = f"/api/v1/orgs/{a.org.slug}/coaching/sessions/"
    since = (today - dt.timedelta(days=10)).isoformat()
    assert [s["id"] for s in client.get(sessions, {"since": since}).json()["results"]] == [group.pk]
    assert [s["id"] for s in client.get(sessions, {"until": since}).json()["results"]] == [old.pk]
    with count_queries() as one:
        by_learner = client.get(sessions, {"learner": a.learners[1].pk}).json()["results"]
    assert [s["id"] for s in by_learner] == [group.pk]
    with count_queries() as both:
        assert len(client.get(sessions, {"status": "held"}).json()["results"]) == 2
    assert len(one.app_queries) == len(both.app_queries)
    bad = client.get(sessions, {"status": "maybe"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "status"
    observations = f"/api/v1/orgs/{a.org.slug}/coaching/observations/"
    recent = client.get(observations, {"since": since}).json()["results"]
    assert [o["learner"] for o in recent] == [a.learners[1].pk]
    mine = client.get(observations, {"learner": a.learners[0].pk}).json()["results"]
    assert [o["learner"] for o in mine] == [a.learners[0].pk]
    wrong = client.get(observations, {"until": "yesterday"})
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "until"


def test_the_coaching_summary_gives_counts_to_admins_and_sponsors_only(client, org_a, org_b):
    a = build_world(org_a, "a")
    b = build_world(org_b, "b", n_learners=1)
    session = held_session(a, group=True, notes="secret", summary="shared")
    with tenant_context(a.org):
        services.do_rate_session(a.learners[0], session.pk, 2)
    url = f"/api/v1/orgs/{a.org.slug}/coaching/report/"
    client.force_login(a.admin.user)
    with count_queries() as few:
        rows = client.get(url).json()
    assert [(r["cohort"], r["coach"], r["coachees"], r["sessions_held"]) for r in rows] == [
        ("Pathway a cohort", "", 3, 1),
        ("Pathway a cohort", "Coach", 3, 1),
    ]
    assert rows[0]["ratings"] == 1 and rows[0]["mean_rating"] is None  # under five ratings
    held_session(a, days_ago=9)
    with count_queries() as more:
        client.get(url)
    assert len(few.app_queries) == len(more.app_queries)
    client.force_login(a.sponsor.user)
    sponsor_rows = client.get(url)
    assert [r["coach_id"] for r in sponsor_rows.json()] == [None]  # per cohort only
    assert b"secret" not in sponsor_rows.content and b"shared" not in sponsor_rows.content
    # A sponsor of no cohort reads no row.
    client.force_login(make_member(a.org, "idle@a.example", is_sponsor=True).user)
    assert client.get(url).json() == []
    for who in (a.coach, a.learners[0]):
        client.force_login(who.user)
        assert client.get(url).status_code == 403
    client.force_login(b.admin.user)
    assert client.get(url).status_code == 404
