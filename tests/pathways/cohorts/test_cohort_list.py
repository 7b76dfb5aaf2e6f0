"""The admin's cohorts list is programme health, read in one statement."""

from __future__ import annotations

import datetime as dt

from measurement.queries import programme_health
from measurement.services import do_rollup_progress
from organizations.models import Membership
from organizations.tenancy import tenant_context
from pathways.models import Cohort, Enrollment, StepCompletion
from tests.conftest import count_queries, enroll, make_member, make_pathway


def test_it_reads_each_cohort_as_programme_health_does_in_one_statement(client, org_a, org_b):
    admin = make_member(org_a, "boss@a.example", is_admin=True)
    with tenant_context(org_a):
        assert programme_health().cohorts == []  # no cohorts yet
    first = make_pathway(org_a, n_steps=3)
    second = make_pathway(org_a, n_steps=2, name="Coaching Basics")
    with tenant_context(org_a):
        Cohort.objects.filter(pk=second.cohort.pk).update(
            name="Spring <B>", start_date=first.cohort.start_date, end_date=dt.date(2031, 1, 1)
        )
    people = [make_member(org_a, f"p{i}@a.example", is_learner=True) for i in range(4)]
    enrolments = [enroll(org_a, first, person) for person in people]
    with tenant_context(org_a):
        StepCompletion.objects.create(
            enrollment=enrolments[0], learner=people[0], step_key=first.steps[0].key
        )
        do_rollup_progress(org_a)
    # After the roll-up: a withdrawal, a deactivated person and a new learner in the second
    # cohort, which the roll-up has not counted yet.
    with tenant_context(org_a):
        Enrollment.objects.filter(pk=enrolments[1].pk).update(status=Enrollment.Status.WITHDRAWN)
        Membership.objects.filter(pk=people[2].pk).update(is_active=False)
    enroll(org_a, second, people[3])
    other = make_pathway(org_b, name="Globex path")
    enroll(org_b, other, make_member(org_b, "x@b.example", is_learner=True))
    with tenant_context(org_b):
        do_rollup_progress(org_b)
    with tenant_context(org_a):
        with count_queries() as ctx:
            health = programme_health()
    assert len(ctx.app_queries) == 1
    assert [c.name for c in health.cohorts] == ["Leading Through Change cohort", "Spring <B>"]
    mine = health.cohorts[0]
    assert (mine.learners, mine.counted, mine.steps_done, mine.steps_total) == (2, 4, 1, 12)
    assert health.cohorts[1].learners == 1 and health.cohorts[1].counted == 0
    assert health.period is not None and health.computed_at is not None
    client.force_login(admin.user)
    page = client.get(f"/o/{org_a.slug}/cohorts/").content.decode()
    assert "Spring &lt;B&gt;" in page and "Globex" not in page


def test_another_organisations_admin_gets_404_for_the_list(client, org_a, org_b):
    make_pathway(org_a)
    intruder = make_member(org_b, "intruder@b.example", is_admin=True)
    client.force_login(intruder.user)
    assert client.get(f"/o/{org_a.slug}/cohorts/").status_code == 404
    assert client.get(f"/o/{org_a.slug}/cohorts/?format=csv").status_code == 404
