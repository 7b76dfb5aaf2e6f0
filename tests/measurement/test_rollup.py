from __future__ import annotations

import os

import pytest
from django.core.management import call_command
from django.db.models import Case, When

from measurement.models import LearnerProgressRollup, TeamMetricRollup, TeamProgressRollup
from measurement.services import do_rollup_progress
from measurement.tasks import fan_out_nightly_rollups, rollup_progress
from organizations.models import Team
from organizations.tenancy import tenant_context
from pathways.models import StepCompletion
from tests.conftest import count_queries, enroll, make_member, make_pathway


def _seed_known(org, n_per_team=5):
    """Two teams of n learners; team A completes 1 of 4 steps each, team B 3 of 4."""
    fixture = make_pathway(org)
    with tenant_context(org):
        alpha, beta = Team.objects.create(name="Alpha"), Team.objects.create(name="Beta")
    for team, done in ((alpha, 1), (beta, 3)):
        for i in range(n_per_team):
            m = make_member(org, f"{team.name}{i}@{org.slug}.example", is_learner=True, team=team)
            e = enroll(org, fixture, m)
            with tenant_context(org):
                for step in fixture.steps[:done]:
                    StepCompletion.objects.create(enrollment=e, learner=m, step_key=step.key)
    return alpha, beta


def test_it_computes_correct_numbers_on_a_known_data_set(org_a, org_b):
    alpha, beta = _seed_known(org_a)
    _seed_known(org_b, n_per_team=6)
    with tenant_context(org_a):
        result = do_rollup_progress(org_a)
        assert (result.learners, result.teams) == (10, 2)
        teams = {r.team_id: r for r in TeamProgressRollup.objects.all()}
        assert teams[alpha.pk].mean_completion == 0.25
        assert teams[beta.pk].mean_completion == 0.75
        assert teams[beta.pk].learners == 5 and teams[beta.pk].learners_finished == 0
        assert (
            sorted(LearnerProgressRollup.objects.values_list("steps_done", flat=True))
            == [1] * 5 + [3] * 5
        )


def test_it_is_idempotent(org_a, org_b):
    _seed_known(org_a)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
        first = sorted(
            LearnerProgressRollup.objects.values_list(
                "pk", "enrollment_id", "steps_done", "completion"
            )
        )
        first_teams = sorted(
            TeamProgressRollup.objects.values_list("pk", "team_id", "mean_completion")
        )
        do_rollup_progress(org_a)
        assert (
            sorted(
                LearnerProgressRollup.objects.values_list(
                    "pk", "enrollment_id", "steps_done", "completion"
                )
            )
            == first
        )
        assert (
            sorted(TeamProgressRollup.objects.values_list("pk", "team_id", "mean_completion"))
            == first_teams
        )


def test_it_runs_as_a_task_per_organisation_and_ignores_a_vanished_one(org_a, org_b):
    _seed_known(org_a)
    _seed_known(org_b)
    assert rollup_progress.apply(args=(org_a.pk,)).get()["learners"] == 10
    assert rollup_progress.apply(args=(999999,)).get() is None
    assert fan_out_nightly_rollups.apply().get() == 2
    with tenant_context(org_b):
        assert TeamProgressRollup.objects.count() == 2


def _sponsor_queries(client, org, n):
    _seed_known(org, n_per_team=n)
    sponsor = make_member(org, f"sponsor@{org.slug}.example", is_sponsor=True)
    with tenant_context(org):
        do_rollup_progress(org)
    client.force_login(sponsor.user)
    with count_queries() as ctx:
        response = client.get(f"/o/{org.slug}/")
    assert response.status_code == 200
    assert "Beta leads with 75% of steps completed" in response.content.decode()
    return len(ctx.app_queries)


def test_it_draws_the_sponsor_chart_in_constant_queries(client, org_a, org_b):
    assert _sponsor_queries(client, org_a, 5) == _sponsor_queries(client, org_b, 25)


def test_it_hides_teams_below_the_minimum_cell_size(client, org_a, org_b):
    _seed_known(org_a, n_per_team=4)
    sponsor = make_member(org_a, "sponsor@a.example", is_sponsor=True)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    client.force_login(sponsor.user)
    page = client.get(f"/o/{org_a.slug}/").content.decode()
    assert "Beta leads" not in page
    assert "No progress to show yet" in page


def test_it_seeds_the_demo_idempotently(db):
    call_command("seed_demo", "--learners", "8")
    from organizations.models import Organization

    counts = []
    for _ in range(2):
        org = Organization.objects.get(slug="acme")
        with tenant_context(org):
            counts.append(
                (
                    StepCompletion.objects.count(),
                    LearnerProgressRollup.objects.count(),
                    # the cells, and the metric values (completion follows the progress rows)
                    sorted(
                        TeamMetricRollup.objects.annotate(
                            v=Case(When(metric__isnull=False, then="value"), default=None)
                        ).values_list("team_id", "period", "measure", "metric_id", "v")
                    ),
                )
            )
        call_command("seed_demo", "--learners", "8")
    assert counts[0] == counts[1] and counts[0][0] > 0
    assert counts[0][2], "the demo rolls up its teams"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL for a real broker")
def test_it_rolls_up_on_a_real_celery_worker(settings):
    from celery.contrib.testing.worker import start_worker

    from config.celery import app
    from organizations.models import Organization

    org = Organization.objects.create(name="Worker Org", slug="worker-org")
    _seed_known(org)
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            result = rollup_progress.delay(org.pk).get(timeout=60)
    finally:
        app.conf.task_always_eager = True
    assert result["learners"] == 10
    with tenant_context(org):
        assert TeamProgressRollup.objects.count() == 2


def test_it_counts_people_not_enrolments_for_the_minimum_cell_size(client, org_a, org_b):
    """Three people in two pathways each are six enrolments but still a team of three."""
    first, second = make_pathway(org_a, name="Coaching"), make_pathway(org_a, name="Feedback")
    with tenant_context(org_a):
        small = Team.objects.create(name="Small")
    for i in range(3):
        m = make_member(org_a, f"small{i}@a.example", is_learner=True, team=small)
        done = enroll(org_a, first, m)
        enroll(org_a, second, m)
        with tenant_context(org_a):
            for step in first.steps:
                StepCompletion.objects.create(enrollment=done, learner=m, step_key=step.key)
    _seed_known(org_b)
    sponsor = make_member(org_a, "sponsor@a.example", is_sponsor=True)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
        row = TeamProgressRollup.objects.get(team=small)
        assert (row.learners, row.learners_finished, row.mean_completion) == (3, 0, 0.5)
    client.force_login(sponsor.user)
    page = client.get(f"/o/{org_a.slug}/").content.decode()
    assert "Small" not in page and "No progress to show yet" in page


def test_it_rolls_up_the_steps_the_learner_must_do_not_every_step(org_a, org_b):
    """A step a personalisation rule skips for the learner is not owed, on the sponsor's chart
    as on the learner's own page."""
    from competencies.models import Competency, Framework
    from pathways.models import PersonalisationRule, SelfAssessment
    from pathways.queries import learner_enrollments

    fixture = make_pathway(org_a, n_steps=2)
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    with tenant_context(org_a):
        framework = Framework.objects.create(name="Leadership")
        feedback = Competency.objects.create(framework=framework, name="Feedback")
        PersonalisationRule.objects.create(
            step=fixture.steps[1], competency=feedback, action="include_below", threshold=3
        )
        SelfAssessment.objects.create(enrollment=enrollment, competency=feedback, rating=4)
        StepCompletion.objects.create(
            enrollment=enrollment, learner=leo, step_key=fixture.steps[0].key
        )
        do_rollup_progress(org_a)
        rollup = LearnerProgressRollup.objects.get(enrollment=enrollment)
        [page] = learner_enrollments(leo)
    assert (rollup.steps_done, rollup.steps_total, rollup.completion) == (1, 1, 1.0)
    assert (page.steps_done, page.steps_total) == (rollup.steps_done, rollup.steps_total)


def test_it_seeds_a_coach_who_works_for_both_demo_organisations(client, db):
    from organizations.demo import CONSULTANT_EMAIL, DEMO_PASSWORD

    call_command("seed_demo", "--learners", "2")
    client.post("/accounts/login/", {"username": CONSULTANT_EMAIL, "password": DEMO_PASSWORD})
    picker = client.get("/o/").content.decode()
    assert "Acme Manufacturing" in picker and "Globex Logistics" in picker
    for slug in ("acme", "globex"):
        assert client.get(f"/o/{slug}/").status_code == 200
