"""From a learner's completed step to the sponsor's chart."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from freezegun import freeze_time

from measurement.models import LearnerProgressRollup, TeamProgressRollup
from organizations.models import Team
from organizations.tenancy import tenant_context
from pathways.models import Enrollment, StepCompletion
from pathways.queries import learner_enrollments
from tests.conftest import count_queries, enroll, make_member, make_pathway
from tests.pathways.learning.factories import open_steps


def _team(org, name="Operations"):
    with tenant_context(org):
        return Team.objects.get_or_create(name=name)[0]


def test_it_shows_the_learner_the_steps_with_the_first_one_next(client, org_a, org_b):
    fixture = make_pathway(org_a)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enroll(org_a, fixture, leo)
    client.force_login(leo.user)
    page = client.get(f"/o/{org_a.slug}/").content.decode()
    assert "Leading Through Change module 1" in page
    assert "0 of 4 steps done" in page


def test_it_records_a_completion_once_and_rolls_up_after_commit(
    client, org_a, org_b, django_capture_on_commit_callbacks
):
    fixture = make_pathway(org_a)
    leo = make_member(org_a, "leo@example.com", is_learner=True, team=_team(org_a))
    enrollment = enroll(org_a, fixture, leo)
    open_steps(org_a, leo, fixture)
    client.force_login(leo.user)
    url = f"/o/{org_a.slug}/learn/enrollments/{enrollment.pk}/steps/{fixture.steps[0].pk}/done/"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert client.post(url).status_code == 302
    # The learner's progress roll-up and the module's reach; the team and cohort roll-ups that
    # the progress roll-up records in its turn.
    assert len(callbacks) == 4
    with django_capture_on_commit_callbacks(execute=True) as again:
        client.post(url)  # a double submit records nothing new
    assert again == []
    with tenant_context(org_a):
        assert StepCompletion.objects.count() == 1
        rollup = LearnerProgressRollup.objects.get(enrollment=enrollment)
        assert (rollup.steps_done, rollup.steps_total, rollup.completion) == (1, 4, 0.25)
        assert TeamProgressRollup.objects.get().mean_completion == 0.25


def test_it_refuses_a_locked_step_and_writes_nothing(client, org_a, org_b):
    fixture = make_pathway(org_a)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    client.force_login(leo.user)
    url = f"/o/{org_a.slug}/learn/enrollments/{enrollment.pk}/steps/{fixture.steps[2].pk}/done/"
    page = client.post(url, follow=True).content.decode()
    assert "is not open yet" in page
    with tenant_context(org_a):
        assert StepCompletion.objects.count() == 0


@freeze_time("2026-03-02 10:00:00+00:00")
def test_it_keeps_steps_locked_until_their_date(org_a, org_b):
    fixture = make_pathway(org_a, offsets=[0, 0, 30, 30])
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    with tenant_context(org_a):
        for step in fixture.steps[:2]:
            StepCompletion.objects.create(enrollment=enrollment, learner=leo, step_key=step.key)
        [view] = learner_enrollments(leo)
    states = [s.state for stage in view.stages for s in stage.steps]
    assert states == ["done", "done", "locked", "locked"]
    assert view.stages[0].steps[2].reason == "Opens in 4 weeks (31 Mar)"  # started 1 Mar


def test_it_completes_the_enrolment_with_its_last_step(client, org_a, org_b):
    fixture = make_pathway(org_a, n_steps=2)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    open_steps(org_a, leo, fixture)
    client.force_login(leo.user)
    for step in fixture.steps:
        client.post(f"/o/{org_a.slug}/learn/enrollments/{enrollment.pk}/steps/{step.pk}/done/")
    with tenant_context(org_a):
        assert Enrollment.objects.get().status == Enrollment.Status.COMPLETED


def test_it_answers_htmx_with_the_updated_card_only(client, org_a, org_b):
    fixture = make_pathway(org_a)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    open_steps(org_a, leo, fixture)
    client.force_login(leo.user)
    url = f"/o/{org_a.slug}/learn/enrollments/{enrollment.pk}/steps/{fixture.steps[0].pk}/done/"
    body = client.post(url, headers={"HX-Request": "true"}).content.decode()
    assert body.lstrip().startswith("<section") and "<html" not in body
    assert "1 of 4 steps done" in body


def test_it_offers_the_same_through_the_api(client, org_a, org_b):
    fixture = make_pathway(org_a)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    open_steps(org_a, leo, fixture)
    client.force_login(leo.user)
    base = f"/api/v1/orgs/{org_a.slug}/me/enrollments/"
    [row] = (
        client.get(base).json()["results"]
        if "results" in client.get(base).json()
        else client.get(base).json()
    )
    assert row["steps_total"] == 4 and row["steps"][0]["state"] == "available"
    bad = client.post(f"{base}{enrollment.pk}/complete-step/", {"step_id": "x"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "step_id"
    locked = client.post(f"{base}{enrollment.pk}/complete-step/", {"step_id": fixture.steps[3].pk})
    assert locked.status_code == 400
    ok = client.post(f"{base}{enrollment.pk}/complete-step/", {"step_id": fixture.steps[0].pk})
    assert ok.status_code == 200


def _learner_home_queries(client, org, n_learners):
    fixture = make_pathway(org, n_steps=6, name=f"Pathway {n_learners}")
    team = _team(org)
    members = [
        make_member(org, f"l{i}-{n_learners}@example.com", is_learner=True, team=team)
        for i in range(n_learners)
    ]
    for m in members:
        enroll(org, fixture, m)
    client.force_login(members[0].user)
    with count_queries() as ctx:
        assert client.get(f"/o/{org.slug}/").status_code == 200
    return len(ctx.app_queries)


def test_it_reads_the_learner_home_in_constant_queries(client, org_a, org_b):
    small = _learner_home_queries(client, org_a, 5)
    large = _learner_home_queries(client, org_b, 50)
    assert small == large
    # The session, organisation and membership; then one statement (``fetch_row_sets``): the
    # learning half (the enrolments with their due reviews, their steps, their facts with the
    # self-assessments), the next actions that projects, coaching and 360 register as reads,
    # and the recommendations. Was 7, the learning half's three reads each a statement.
    assert small == 4, small


def test_it_uses_the_cohort_start_for_availability(org_a, org_b):
    start = timezone.localdate() + dt.timedelta(days=3)
    fixture = make_pathway(org_a, start=start)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enroll(org_a, fixture, leo)
    with tenant_context(org_a):
        [view] = learner_enrollments(leo)
    assert view.next_step is None


def test_it_gives_the_next_step_through_the_api(client, org_a, org_b):
    fixture = make_pathway(org_a)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    client.force_login(leo.user)
    body = client.get(f"/api/v1/orgs/{org_a.slug}/me/enrollments/next-step/").json()
    assert body["reviews_due"] == 0
    assert body["next_step"]["reason"] == "Next in Stage 1 of Leading Through Change"
    assert (body["next_step"]["enrollment_id"], body["next_step"]["step_id"]) == (
        enrollment.pk,
        fixture.steps[0].pk,
    )
    outsider = make_member(org_b, "out@example.com", is_learner=True)
    client.force_login(outsider.user)
    assert client.get(f"/api/v1/orgs/{org_a.slug}/me/enrollments/next-step/").status_code == 404


def test_the_learner_homes_statement_reads_what_the_reads_apart_read(org_a, org_b):
    """``learner_home_statements`` (the enrolments, their steps and their facts found by the
    learner in the statement, sent together) give what the reads by ids give: the same rows
    and the same per-step state, never another learner's or organisation's."""
    from organizations.raw_queries import fetch_row_sets
    from pathways.queries import (
        enrollment_views,
        learner_enrollment_rows,
        learner_home_statements,
        learner_home_views,
        org_today,
    )

    fixture = make_pathway(org_a, n_steps=6)
    second = make_pathway(org_a, n_steps=3, name="Second")
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    ann = make_member(org_a, "ann@example.com", is_learner=True)
    mine = enroll(org_a, fixture, leo)
    enroll(org_a, second, leo)
    theirs = enroll(org_a, fixture, ann)
    other = make_pathway(org_b, n_steps=4)
    enroll(org_b, other, make_member(org_b, "leo@example.com", is_learner=True))
    with tenant_context(org_a):
        for enrollment, step in ((mine, fixture.steps[0]), (theirs, fixture.steps[1])):
            StepCompletion.objects.create(
                organization=org_a,
                enrollment=enrollment,
                learner_id=enrollment.learner_id,
                step_key=step.key,
            )
        now = timezone.now()
        today = org_today(now)
        loaded, views = learner_home_views(
            fetch_row_sets(learner_home_statements(leo.pk, now)), today
        )
        apart = learner_enrollment_rows(leo.pk, now)
        assert loaded == apart and len(loaded) == 2
        assert views == enrollment_views(apart, today)
        assert [v.steps_done for v in views] == [1, 0]
        assert views[0].steps_total == 6 and views[1].steps_total == 3
        assert learner_home_views(
            fetch_row_sets(learner_home_statements(make_member(org_a, "new@a.test").pk, now)),
            today,
        ) == ([], [])
