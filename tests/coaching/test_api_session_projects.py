"""The coaching API and a 1:1 session's project: read on every session, linked, kept or unlinked
by a log, with the page's check (the coachee's own project, in this organisation)."""

from __future__ import annotations

import pytest

from coaching.models import CoachingSession
from organizations.tenancy import tenant_context
from tests.coaching.helpers import build_world, held_session
from tests.coaching.test_session_projects import _project
from tests.conftest import count_queries


@pytest.fixture
def worlds(org_a, org_b):
    return build_world(org_a, "a"), build_world(org_b, "b", n_learners=1)


def _log(w, session, **extra):
    """A log of a held 1:1 with its coachee (``learners[0]``) attending."""
    return {
        "attendance": [{"learner": w.learners[0].pk, "attendance": "attended"}],
        "actual_minutes": 50,
        **extra,
    }


def _session_row(w, session) -> dict:
    with tenant_context(w.org):
        return CoachingSession.objects.values("project_id", "actual_minutes", "private_notes").get(
            pk=session.pk
        )


def test_a_coach_reads_links_keeps_and_unlinks_a_sessions_project(client, worlds):
    a, _b = worlds
    mine = _project(a, [a.learners[0]], "Handover checklist")
    session = held_session(a)  # a 1:1 with learners[0]
    client.force_login(a.coach.user)
    url = f"/api/v1/orgs/{a.org.slug}/coaching/sessions/{session.pk}/"
    body = client.get(url).json()
    assert (body["project"], body["project_title"]) == (None, None)

    linked = client.post(f"{url}log/", _log(a, session, project=mine.pk), "application/json")
    assert linked.status_code == 200, linked.content
    assert linked.json()["session"]["project"] == mine.pk
    assert linked.json()["session"]["project_title"] == "Handover checklist"
    body = client.get(url).json()
    assert (body["project"], body["project_title"]) == (mine.pk, "Handover checklist")
    listed = client.get(f"/api/v1/orgs/{a.org.slug}/coaching/sessions/").json()["results"]
    assert [(s["id"], s["project"]) for s in listed] == [(session.pk, mine.pk)]

    # A log that leaves the project out keeps it; null unlinks it.
    kept = client.post(f"{url}log/", _log(a, session, actual_minutes=40), "application/json")
    assert kept.status_code == 200 and kept.json()["session"]["project"] == mine.pk
    assert _session_row(a, session)["project_id"] == mine.pk
    unlinked = client.post(f"{url}log/", _log(a, session, project=None), "application/json")
    assert unlinked.status_code == 200 and unlinked.json()["session"]["project"] is None
    assert _session_row(a, session)["project_id"] is None


@pytest.mark.parametrize("whose", ["another coachee", "another organisation"])
def test_a_log_with_a_project_that_is_not_the_coachees_is_refused_by_field(client, worlds, whose):
    a, b = worlds
    mine = _project(a, [a.learners[0]], "Handover checklist")
    other = (
        _project(a, [a.learners[1]], "Ben's rota")
        if whose == "another coachee"
        else _project(b, [b.learners[0]], "Globex plan")
    )
    session = held_session(a, notes="as it was")
    with tenant_context(a.org):
        CoachingSession.objects.filter(pk=session.pk).update(project=mine)
    before = _session_row(a, session)
    client.force_login(a.coach.user)
    url = f"/api/v1/orgs/{a.org.slug}/coaching/sessions/{session.pk}/log/"
    refused = client.post(
        url,
        _log(a, session, project=other.pk, actual_minutes=20, private_notes="changed"),
        "application/json",
    )
    assert refused.status_code == 400
    error = refused.json()["errors"][0]
    assert error["field"] == "project"
    assert error["message"] == "Choose one of the coachee's own projects."
    assert "Globex plan" not in refused.content.decode()
    assert _session_row(a, session) == before  # nothing changed


def test_a_group_sessions_log_links_no_project(client, worlds):
    a, _b = worlds
    mine = _project(a, [a.learners[0]], "Handover checklist")
    session = held_session(a, group=True)
    before = _session_row(a, session)
    client.force_login(a.coach.user)
    refused = client.post(
        f"/api/v1/orgs/{a.org.slug}/coaching/sessions/{session.pk}/log/",
        {
            "attendance": [{"learner": m.pk, "attendance": "attended"} for m in a.learners],
            "actual_minutes": 50,
            "project": mine.pk,
        },
        "application/json",
    )
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "project"
    assert _session_row(a, session) == before


def test_another_organisations_coach_neither_reads_nor_links_the_project(client, worlds):
    a, b = worlds
    mine = _project(a, [a.learners[0]], "Handover checklist")
    session = held_session(a)
    with tenant_context(a.org):
        CoachingSession.objects.filter(pk=session.pk).update(project=mine)
    before = _session_row(a, session)
    client.force_login(b.coach.user)
    for slug in (a.org.slug, b.org.slug):
        url = f"/api/v1/orgs/{slug}/coaching/sessions/{session.pk}/"
        assert client.get(url).status_code == 404
        posted = client.post(f"{url}log/", _log(a, session, project=None), "application/json")
        assert posted.status_code == 404
    listed = client.get(f"/api/v1/orgs/{b.org.slug}/coaching/sessions/").json()["results"]
    assert "Handover checklist" not in str(listed)
    assert _session_row(a, session) == before


def test_listing_sessions_with_their_projects_takes_constant_queries(client, worlds):
    a, _b = worlds
    first = held_session(a, days_ago=3)
    with tenant_context(a.org):
        CoachingSession.objects.filter(pk=first.pk).update(
            project=_project(a, [a.learners[0]], "Project 0")
        )
    client.force_login(a.coach.user)
    url = f"/api/v1/orgs/{a.org.slug}/coaching/sessions/"
    with count_queries() as small:
        assert [s["project_title"] for s in client.get(url).json()["results"]] == ["Project 0"]
    for d in range(1, 5):
        session = held_session(a, days_ago=3 + d)
        with tenant_context(a.org):
            CoachingSession.objects.filter(pk=session.pk).update(
                project=_project(a, [a.learners[0]], f"Project {d}")
            )
    with count_queries() as large:
        titles = [s["project_title"] for s in client.get(url).json()["results"]]
    assert titles == [f"Project {d}" for d in range(5)]
    assert len(small.app_queries) == len(large.app_queries)
