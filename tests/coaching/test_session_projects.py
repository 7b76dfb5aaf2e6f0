"""A coach links a 1:1 session to one of the coachee's projects, when scheduling or logging it;
the project page lists the linked sessions' dates (never their notes or summary) to the admin,
the session's coach and its participant, and to nobody else."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from coaching import services
from coaching.models import CoachingSession
from organizations.tenancy import tenant_context
from projects.models import Project, ProjectLearner
from tests.coaching.helpers import World, build_world, held_session, plan
from tests.conftest import count_queries

NOTES = "private-note-4471"
SUMMARY = "shared-summary-9913"


@pytest.fixture
def worlds(org_a, org_b):
    return build_world(org_a, "a"), build_world(org_b, "b", n_learners=1)


def _project(w: World, learners, title: str, sponsor=None) -> Project:
    today = timezone.localdate()
    with tenant_context(w.org):
        project = Project.objects.create(
            cohort_id=w.cohort_id,
            owner=learners[0],
            sponsor=sponsor,
            title=title,
            problem="Handovers get lost",
            scope="team",
            expected_outcomes="Fewer lost handovers",
            start_date=today - dt.timedelta(days=30),
            end_date=today + dt.timedelta(days=60),
            status=Project.Status.RUNNING,
        )
        for learner in learners:
            ProjectLearner.objects.create(project=project, learner=learner)
    return project


def _refresh(w: World, session: CoachingSession) -> None:
    with tenant_context(w.org):
        session.refresh_from_db()


def _schedule_form(w: World, **extra) -> dict:
    starts = timezone.localtime(timezone.now() + dt.timedelta(days=3), timezone=dt.UTC)
    return {
        "kind": "one_to_one",
        "engagement": w.engagements[0].pk,
        "title": "Project check-in",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "minutes": 45,
        "mode": "video",
        **extra,
    }


def _error_next_to(body: str, field_id: str) -> str:
    select = re.search(rf'<select[^>]*id="{field_id}"[^>]*>', body)
    assert select and 'aria-invalid="true"' in select.group(0), f"{field_id} not marked invalid"
    error = re.search(rf'<p class="field__error" id="{field_id}_error">([^<]*)</p>', body)
    assert error, f"no error next to {field_id}"
    return error.group(1)


def test_the_coach_schedules_a_session_on_the_coachees_project(client, worlds):
    a, _b = worlds
    ana, ben = a.learners[0], a.learners[1]
    mine = _project(a, [ana], "Handover checklist")
    _project(a, [ben], "Ben's rota")
    client.force_login(a.coach.user)
    form = client.get(f"/o/{a.org.slug}/coaching/sessions/new/").content.decode()
    # Every coachee's projects, grouped under the coachee's name.
    assert f'<optgroup label="{ana.user.display_name}">' in form
    assert f'<option value="{mine.pk}">Handover checklist</option>' in form
    response = client.post(
        f"/o/{a.org.slug}/coaching/sessions/new/", _schedule_form(a, project=mine.pk)
    )
    assert response.status_code == 302
    with tenant_context(a.org):
        session = CoachingSession.objects.get(title="Project check-in")
    assert session.project_id == mine.pk
    page = client.get(f"/o/{a.org.slug}/coaching/sessions/{session.pk}/").content.decode()
    assert f'Project: <a href="/o/{a.org.slug}/projects/{mine.pk}/">Handover checklist</a>' in page


@pytest.mark.parametrize("whose", ["another coachee", "another organisation"])
def test_scheduling_refuses_a_project_that_is_not_the_coachees(client, worlds, whose):
    a, b = worlds
    _project(a, [a.learners[0]], "Handover checklist")
    other = (
        _project(a, [a.learners[1]], "Ben's rota")
        if whose == "another coachee"
        else _project(b, [b.learners[0]], "Globex plan")
    )
    client.force_login(a.coach.user)
    response = client.post(
        f"/o/{a.org.slug}/coaching/sessions/new/", _schedule_form(a, project=other.pk)
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert _error_next_to(body, "id_project") == "Choose one of the coachee&#x27;s own projects."
    assert "Globex plan" not in body
    with tenant_context(a.org):
        assert not CoachingSession.objects.exists()


def test_a_group_session_links_no_project(worlds):
    a, _b = worlds
    mine = _project(a, [a.learners[0]], "Handover checklist")
    with tenant_context(a.org), pytest.raises(ValidationError) as refused:
        services.do_schedule_session(
            a.coach,
            plan(),
            cohort=a.engagements[0].cohort,
            participants=a.learners,
            capacity=3,
            project=mine.pk,
        )
    assert list(refused.value.message_dict) == ["project"]
    with tenant_context(a.org):
        assert not CoachingSession.objects.exists()


def test_logging_links_changes_and_keeps_the_project(client, worlds):
    a, _b = worlds
    ana = a.learners[0]
    first = _project(a, [ana], "Handover checklist")
    second = _project(a, [ana], "Onboarding guide")
    theirs = _project(a, [a.learners[1]], "Ben's rota")
    session = held_session(a, notes=NOTES, summary=SUMMARY)
    client.force_login(a.coach.user)
    url = f"/o/{a.org.slug}/coaching/sessions/{session.pk}/log/"
    form = client.get(url).content.decode()
    assert f'<option value="{second.pk}">Onboarding guide</option>' in form
    assert "Ben&#x27;s rota" not in form
    log = {f"attendance_{ana.pk}": "attended", "actual_minutes": 50, "project": first.pk}
    assert client.post(url, log).status_code == 302
    _refresh(a, session)
    assert session.project_id == first.pk
    form = client.get(url).content.decode()
    assert f'<option value="{first.pk}" selected>Handover checklist</option>' in form
    # Another coachee's project is not on offer, and posting it anyway changes nothing.
    body = client.post(url, {**log, "project": theirs.pk}).content.decode()
    assert _error_next_to(body, "id_project") == "Choose one of the coachee&#x27;s own projects."
    _refresh(a, session)
    assert session.project_id == first.pk
    # A log that does not mention the project (the API's) keeps it; "No project" unlinks it.
    with tenant_context(a.org):
        services.do_log_session(
            a.coach,
            session.pk,
            services.SessionLog(attendance={ana.pk: "attended"}, actual_minutes=40),
        )
        with pytest.raises(ValidationError):
            services.do_log_session(
                a.coach,
                session.pk,
                services.SessionLog(
                    attendance={ana.pk: "attended"}, actual_minutes=40, project=theirs.pk
                ),
            )
    _refresh(a, session)
    assert session.project_id == first.pk
    assert client.post(url, {**log, "project": ""}).status_code == 302
    _refresh(a, session)
    assert session.project_id is None


def test_the_project_page_lists_linked_session_dates_to_those_who_may_know(client, worlds):
    a, _b = worlds
    ana, ben = a.learners[0], a.learners[1]
    project = _project(a, [ana, ben], "Handover checklist", sponsor=a.sponsor)
    session = held_session(a, notes=NOTES, summary=SUMMARY)  # a 1:1 with Ana
    with tenant_context(a.org):
        CoachingSession.objects.filter(pk=session.pk).update(project=project)
    when = timezone.localtime(session.starts_at).strftime("%a %-d %b %Y, %H:%M")
    url = f"/o/{a.org.slug}/projects/{project.pk}/"
    for reader, sees, opens in (
        (a.admin, True, False),
        (a.coach, True, True),
        (ana, True, True),
        (ben, False, False),  # on the project, but not in the session: not theirs to know
        (a.sponsor, False, False),  # sponsors see coaching counts per cohort, never sessions
    ):
        client.force_login(reader.user)
        body = client.get(url).content.decode()
        assert ("Coaching sessions on this project" in body) is sees, reader
        assert (when in body) is sees, reader
        link = f'href="/o/{a.org.slug}/coaching/sessions/{session.pk}/"'
        assert (link in body) is opens, reader
        assert NOTES not in body and SUMMARY not in body


def test_another_organisations_members_get_404_and_no_sessions(client, worlds):
    a, b = worlds
    project = _project(a, [a.learners[0]], "Handover checklist")
    session = held_session(a)
    with tenant_context(a.org):
        CoachingSession.objects.filter(pk=session.pk).update(project=project)
    for member in (b.admin, b.coach, b.learners[0]):
        client.force_login(member.user)
        assert client.get(f"/o/{a.org.slug}/projects/{project.pk}/").status_code == 404
        assert client.get(f"/o/{b.org.slug}/projects/{project.pk}/").status_code == 404


def test_the_project_page_reads_linked_sessions_in_constant_queries(client, worlds):
    a, _b = worlds
    project = _project(a, [a.learners[0]], "Handover checklist")
    client.force_login(a.admin.user)
    counts = []
    for n in (1, 4):
        for i in range(n):
            session = held_session(a, days_ago=10 + len(counts) * 10 + i)
            with tenant_context(a.org):
                CoachingSession.objects.filter(pk=session.pk).update(project=project)
        with count_queries() as ctx:
            body = client.get(f"/o/{a.org.slug}/projects/{project.pk}/").content.decode()
        assert body.count("coaching/sessions/") == 0  # the admin may not open sessions
        counts.append(len(ctx.app_queries))
    assert counts[0] == counts[1], counts
