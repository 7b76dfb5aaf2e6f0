"""The coaching API: a coach's sessions and logs, observations; nobody else's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from coaching import services
from coaching.models import CoachingSession, Experiment
from organizations.tenancy import tenant_context
from tests.coaching.helpers import build_world, held_session, plan
from tests.conftest import count_queries


@pytest.fixture
def worlds(org_a, org_b):
    return build_world(org_a, "a"), build_world(org_b, "b", n_learners=1)


def _past_session(w):
    with tenant_context(w.org):
        session = services.do_schedule_session(
            w.coach,
            plan(dt.timedelta(days=2)),
            cohort=w.engagements[0].cohort,
            participants=w.learners[:2],
            capacity=3,
        )
        CoachingSession.objects.filter(pk=session.pk).update(
            starts_at=timezone.now() - dt.timedelta(hours=2)
        )
    return session


def test_a_coach_lists_their_sessions_in_constant_queries(client, worlds):
    a, _b = worlds
    held_session(a, notes="mine", days_ago=3)
    client.force_login(a.coach.user)
    url = f"/api/v1/orgs/{a.org.slug}/coaching/sessions/"
    with count_queries() as small:
        body = client.get(url).json()
    assert [s["private_notes"] for s in body["results"]] == ["mine"]
    for d in range(4):
        held_session(a, group=True, days_ago=5 + d)
    with count_queries() as large:
        assert len(client.get(url).json()["results"]) == 5
    assert len(small.app_queries) == len(large.app_queries)


def test_a_coach_logs_a_session_through_the_api(client, worlds):
    a, _b = worlds
    session = _past_session(a)
    client.force_login(a.coach.user)
    url = f"/api/v1/orgs/{a.org.slug}/coaching/sessions/{session.pk}/log/"
    bad = client.post(
        url,
        {
            "attendance": [{"learner": a.learners[0].pk, "attendance": "attended"}],
            "actual_minutes": 50,
        },
        "application/json",
    )
    assert bad.status_code == 400 and "every participant" in bad.json()["detail"]
    ok = client.post(
        url,
        {
            "attendance": [
                {"learner": a.learners[0].pk, "attendance": "attended"},
                {"learner": a.learners[1].pk, "attendance": "no_show"},
            ],
            "actual_minutes": 50,
            "competencies": [a.competencies[0].pk],
            "private_notes": "quiet today",
            "shared_summary": "We agreed one change.",
            "agreed": [
                {
                    "learner": a.learners[0].pk,
                    "action": "Ask before advising",
                    "due_on": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
                }
            ],
        },
        "application/json",
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["session"]["status"] == "held"
    with tenant_context(a.org):
        assert Experiment.objects.get(session=session).action == "Ask before advising"


def test_nobody_else_reaches_a_coachs_sessions(client, worlds):
    a, b = worlds
    session = _past_session(a)
    url = f"/api/v1/orgs/{a.org.slug}/coaching/sessions/{session.pk}/"
    client.force_login(a.learners[0].user)  # a participant, not the coach
    assert client.get(url).status_code == 403
    client.force_login(a.admin.user)
    assert client.get(url).status_code == 403
    client.force_login(b.coach.user)  # another organisation
    assert client.get(url).status_code == 404
    assert (
        client.get(f"/api/v1/orgs/{b.org.slug}/coaching/sessions/{session.pk}/").status_code == 404
    )


def test_observations_through_the_api(client, worlds):
    a, b = worlds
    client.force_login(a.coach.user)
    url = f"/api/v1/orgs/{a.org.slug}/coaching/observations/"
    body = {
        "learner": a.learners[0].pk,
        "competency": a.competencies[0].pk,
        "level": a.levels[2].pk,
        "situation": "Stand-up",
        "behaviour": "Invited the quietest to speak first",
        "observed_on": timezone.localdate().isoformat(),
    }
    created = client.post(url, body, "application/json")
    assert created.status_code == 201, created.content
    assert created.json()["observer_kind"] == "coach"
    assert [o["id"] for o in client.get(url).json()["results"]] == [created.json()["id"]]
    # Another organisation's learner id is refused by name.
    other = client.post(url, {**body, "learner": b.learners[0].pk}, "application/json")
    assert other.status_code == 400 and other.json()["errors"][0]["field"] == "learner"
    # A colleague not invited by the learner may not observe.
    client.force_login(a.learners[1].user)
    refused = client.post(url, body, "application/json")
    assert refused.status_code == 400 and "invited" in refused.json()["detail"]
