"""The admin's programme health (admin home and cohort list) reads the progress roll-up."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from competencies.models import Competency, Framework
from measurement.queries import programme_health
from measurement.services import do_rollup_progress
from organizations.tenancy import tenant_context
from pathways.cohorts import queries as cohort_queries
from pathways.cohorts import services as cohort_services
from pathways.cohorts.queries import LearnerFilter
from pathways.learning import services as learning_services
from pathways.models import (
    Cohort,
    PersonalisationRule,
    Step,
    StepCompletion,
    VersionCompetency,
)
from tests.conftest import count_queries, enroll, make_member, make_pathway


def test_it_counts_the_steps_each_learner_owes_as_the_cohort_page_does(org_a, org_b, admin_a):
    """A step a rule skips for one learner is not owed by them: the admin home and the cohort
    page give the same figures, and neither counts every step of the version."""
    start = timezone.localdate() - dt.timedelta(days=20)
    fixture = make_pathway(org_a, n_steps=3, start=start)
    with tenant_context(org_a):
        framework = Framework.objects.create(name="Leadership")
        feedback = Competency.objects.create(framework=framework, name="Feedback")
        VersionCompetency.objects.create(version=fixture.version, competency=feedback)
        PersonalisationRule.objects.create(
            step=fixture.steps[2], competency=feedback, action="include_below", threshold=3
        )
        Step.objects.filter(pk=fixture.steps[2].pk).update(due_offset_days=7)
    strong = make_member(org_a, "strong@a.example", is_learner=True)
    novice = make_member(org_a, "novice@a.example", is_learner=True)
    e_strong, e_novice = enroll(org_a, fixture, strong), enroll(org_a, fixture, novice)
    with tenant_context(org_a):
        learning_services.do_save_self_assessment(strong, e_strong.pk, {feedback.pk: 4})
        learning_services.do_save_self_assessment(novice, e_novice.pk, {feedback.pk: 2})
        StepCompletion.objects.create(
            enrollment=e_strong, learner=strong, step_key=fixture.steps[0].key
        )
        do_rollup_progress(org_a)
        [health] = programme_health().cohorts
        detail = cohort_queries.cohort_detail(fixture.cohort.pk)
    # strong owes steps 1-2 (step 3 skipped), novice owes all three; step 3 is overdue for novice.
    assert (health.steps_done, health.steps_total) == (1, 5)
    assert (health.steps_done, health.steps_total) == (detail.steps_done, detail.steps_possible)
    assert (health.overdue_steps, health.learners_overdue) == (1, 1)
    assert health.overdue_steps == detail.overdue_steps
    assert (health.learners, health.not_started, health.percent) == (2, 1, 20)


def test_enrolment_changes_queue_the_rollup_so_new_learners_are_counted(
    org_a, org_b, admin_a, django_capture_on_commit_callbacks
):
    fixture = make_pathway(org_a, n_steps=2)
    with tenant_context(org_a):
        from organizations.models import Team

        sales = Team.objects.create(name="Sales")
    people = [make_member(org_a, f"p{i}@a.example", is_learner=True, team=sales) for i in range(3)]
    with django_capture_on_commit_callbacks(execute=True), tenant_context(org_a):
        added = cohort_services.do_enrol_matching(
            admin_a.user, fixture.cohort, LearnerFilter(team=sales.pk)
        )
    assert added == 3
    with tenant_context(org_a):
        [health] = programme_health().cohorts
    assert (health.learners, health.counted, health.not_started, health.steps_total) == (
        3,
        3,
        3,
        6,
    )

    with django_capture_on_commit_callbacks(execute=True), tenant_context(org_a):
        enrollment = fixture.cohort.enrollments.get(learner=people[0])
        cohort_services.do_withdraw(admin_a.user, enrollment)
    with tenant_context(org_a):
        [health] = programme_health().cohorts
    assert (health.learners, health.counted, health.steps_total) == (2, 2, 4)


def test_learners_added_since_the_last_rollup_are_shown_as_not_counted_yet(
    client, org_a, org_b, admin_a
):
    fixture = make_pathway(org_a, n_steps=2)
    ada = make_member(org_a, "ada@a.example", is_learner=True)
    enroll(org_a, fixture, ada)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    enroll(org_a, fixture, make_member(org_a, "bo@a.example", is_learner=True))  # no roll-up
    client.force_login(admin_a.user)
    page = client.get(f"/o/{org_a.slug}/").content.decode()
    assert "0% · 0 of 2 required steps" in page
    assert "(1 new learner not counted yet)" in page
    assert "Progress as of" in page


def test_before_any_rollup_the_page_says_when_progress_appears(client, org_a, org_b, admin_a):
    fixture = make_pathway(org_a, n_steps=2)
    enroll(org_a, fixture, make_member(org_a, "ada@a.example", is_learner=True))
    client.force_login(admin_a.user)
    page = client.get(f"/o/{org_a.slug}/cohorts/").content.decode()
    assert "Progress appears here once the first learners are counted" in page
    assert "(1 new learner not counted yet)" in page


def test_it_ignores_the_other_organisation_and_reads_in_constant_queries(
    client, org_a, org_b, admin_a
):
    def grow(org, n_cohorts: int, n_learners: int, tag: str) -> None:
        for c in range(n_cohorts):
            fixture = make_pathway(org, n_steps=2, name=f"{tag} path {c}")
            for i in range(n_learners):
                enroll(org, fixture, make_member(org, f"{tag}{c}-{i}@x.example", is_learner=True))
        with tenant_context(org):
            do_rollup_progress(org)

    grow(org_b, 2, 3, "globex")
    grow(org_a, 1, 2, "small")
    with tenant_context(org_a):
        with count_queries() as small:
            [only] = programme_health().cohorts
        assert (only.learners, only.steps_total) == (2, 4)
    client.force_login(admin_a.user)
    with count_queries() as small_page:
        assert client.get(f"/o/{org_a.slug}/").status_code == 200
    grow(org_a, 3, 4, "big")
    with tenant_context(org_a):
        with count_queries() as big:
            cohorts = programme_health().cohorts
        assert len(cohorts) == 4 and Cohort.objects.count() == 4
    assert len(small.app_queries) == len(big.app_queries) == 1
    with count_queries() as big_page:
        page = client.get(f"/o/{org_a.slug}/").content.decode()
    assert "globex" not in page and "big path 2" in page
    assert len(small_page.app_queries) == len(big_page.app_queries)


def test_the_learners_are_the_current_enrolments_of_active_people(org_a, org_b, admin_a):
    """Each cohort's learners (its kept counts on PostgreSQL, counted elsewhere): enrolments
    not withdrawn of people still active, and never another organisation's."""
    from organizations.models import Membership
    from pathways.cohorts.counts import cohort_counts

    fixture = make_pathway(org_a, n_steps=2)
    people = [make_member(org_a, f"h{i}@a.example", is_learner=True) for i in range(5)]
    enrollments = [enroll(org_a, fixture, p) for p in people]
    other = make_pathway(org_b, n_steps=2)
    for i in range(3):
        enroll(org_b, other, make_member(org_b, f"h{i}@b.example", is_learner=True))
    with tenant_context(org_a):
        cohort_services.do_withdraw(admin_a.user, enrollments[0])
        Membership.objects.filter(pk__in=[people[1].pk, people[0].pk]).update(is_active=False)
        [health] = programme_health().cohorts
        assert health.learners == 3 == cohort_counts([fixture.cohort.pk])[fixture.cohort.pk].active
        Membership.objects.filter(pk=people[1].pk).update(is_active=True)
        [health] = programme_health().cohorts
        assert health.learners == 4
    with tenant_context(org_b):
        [health] = programme_health().cohorts
        assert health.learners == 3
