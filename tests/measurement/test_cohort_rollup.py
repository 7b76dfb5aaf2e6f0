"""The per-cohort progress roll-up: one row per cohort and period, the sum of its learners'
rows, written by the organisation's roll-up in its transaction and, after one learner's
roll-up, by the cohort roll-up it queues in the outbox; programme health and the cohort page
read it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from measurement.models import CohortProgressRollup, LearnerProgressRollup
from measurement.queries import programme_health
from measurement.services import do_rollup_learner_progress, do_rollup_progress
from organizations.models import Membership
from organizations.tenancy import tenant_context
from pathways.cohorts import queries as cohort_queries
from pathways.cohorts import services as cohort_services
from pathways.models import Enrollment, Step, StepCompletion
from pathways.services import do_complete_step
from tests.conftest import count_queries, enroll, make_member, make_pathway
from tests.measurement.test_learner_rollup import (
    _cohort_rows,
    _cohort_sums,
    _deliver_cohort_rollups,
)


def _cohort_of(org, n, done, prefix, start=None):
    """A pathway of 4 steps (the first due a week after the start) and ``n`` learners with
    ``done`` steps (a number each, or one for all)."""
    fixture = make_pathway(org, start=start, name=f"{prefix} pathway")
    with tenant_context(org):
        Step.objects.filter(pk=fixture.steps[0].pk).update(due_offset_days=7)
    members = []
    for i in range(n):
        m = make_member(org, f"{prefix}{i}@{org.slug}.example", is_learner=True)
        e = enroll(org, fixture, m)
        with tenant_context(org):
            for step in fixture.steps[: done[i] if isinstance(done, list) else done]:
                StepCompletion.objects.create(enrollment=e, learner=m, step_key=step.key)
        members.append(m)
    return fixture, members


def _row(org, fixture):
    _deliver_cohort_rollups(org)
    with tenant_context(org):
        return CohortProgressRollup.objects.filter(cohort=fixture.cohort).first()


def test_the_organisation_rollup_writes_each_cohorts_sums(org_a, org_b):
    started = timezone.localdate() - dt.timedelta(days=10)
    first, _ = _cohort_of(org_a, 4, [0, 1, 2, 4], "first", start=started)
    second, _ = _cohort_of(org_a, 2, 0, "second")
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    assert _cohort_rows(org_a) == _cohort_sums(org_a)
    row = _row(org_a, first)
    # 7 of 16 steps; the first step is overdue for the learner with none done
    assert (row.counted, row.not_started, row.steps_done, row.steps_total) == (4, 1, 7, 16)
    assert (row.steps_overdue, row.learners_overdue) == (1, 1)
    with tenant_context(org_a):
        assert row.computed_at == max(
            LearnerProgressRollup.objects.filter(cohort=first.cohort).values_list(
                "computed_at", flat=True
            )
        )
    assert (_row(org_a, second).counted, _row(org_a, second).not_started) == (2, 2)
    with tenant_context(org_a):
        do_rollup_progress(org_a)  # twice: the same rows
    assert _cohort_rows(org_a) == _cohort_sums(org_a)


def test_one_learners_rollup_keeps_their_cohorts_row_equal_to_the_sum(
    org_a, org_b, django_capture_on_commit_callbacks
):
    fixture, (ana, bo, *_) = _cohort_of(org_a, 3, 1, "one")
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    with tenant_context(org_a), django_capture_on_commit_callbacks(execute=True):
        [enrollment] = Enrollment.objects.filter(learner=ana)
        do_complete_step(ana, enrollment.pk, fixture.steps[1].id)  # eager: Ana's roll-up
    assert _cohort_rows(org_a) == _cohort_sums(org_a)
    assert _row(org_a, fixture).steps_done == 4
    # A learner enrolled since the last roll-up is counted by their own roll-up.
    late = make_member(org_a, f"late@{org_a.slug}.example", is_learner=True)
    enroll(org_a, fixture, late)
    with tenant_context(org_a):
        do_rollup_learner_progress(org_a, late.pk)
    assert _cohort_rows(org_a) == _cohort_sums(org_a)
    assert (_row(org_a, fixture).counted, _row(org_a, fixture).not_started) == (4, 1)


def test_withdrawal_and_deactivation_leave_the_cohorts_row_equal_to_the_sum(
    org_a, org_b, admin_a, django_capture_on_commit_callbacks
):
    fixture, (ana, bo, cy) = _cohort_of(org_a, 3, [1, 2, 3], "gone")
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(org_a):
        cohort_services.do_withdraw(admin_a.user, fixture.cohort.enrollments.get(learner=ana))
    assert _cohort_rows(org_a) == _cohort_sums(org_a)
    assert (_row(org_a, fixture).counted, _row(org_a, fixture).steps_done) == (2, 5)
    with tenant_context(org_a):
        Membership.objects.filter(pk=bo.pk).update(is_active=False)
        do_rollup_learner_progress(org_a, bo.pk)
    assert _cohort_rows(org_a) == _cohort_sums(org_a)
    assert (_row(org_a, fixture).counted, _row(org_a, fixture).steps_done) == (1, 3)
    # The last learner leaves: the cohort's row goes, as its learners' rows did.
    with tenant_context(org_a):
        Enrollment.objects.filter(learner=cy).update(status=Enrollment.Status.WITHDRAWN)
        do_rollup_learner_progress(org_a, cy.pk)
    assert _row(org_a, fixture) is None
    assert _cohort_rows(org_a) == _cohort_sums(org_a) == {}


def test_programme_health_and_the_cohort_page_read_the_cohorts_row(org_a, org_b):
    fixture, _ = _cohort_of(org_a, 3, 1, "read")
    with tenant_context(org_a):
        do_rollup_progress(org_a)
        # Only the cohort's row is read: a change to it (never made outside the roll-up) shows.
        CohortProgressRollup.objects.filter(cohort=fixture.cohort).update(steps_done=11)
        with count_queries() as ctx:
            [health] = programme_health().cohorts
        overview, _period = cohort_queries.cohort_overview(fixture.cohort.pk)
    assert len(ctx.app_queries) == 1
    assert (health.steps_done, health.counted, health.steps_total) == (11, 3, 12)
    assert (overview.steps_done, overview.counted, overview.steps_possible) == (11, 3, 12)


def test_each_organisation_sees_and_rolls_up_only_its_own_cohort_rows(org_a, org_b):
    mine, _ = _cohort_of(org_a, 2, 1, "mine")
    theirs, (them, *_) = _cohort_of(org_b, 3, 2, "theirs")
    with tenant_context(org_b):
        do_rollup_progress(org_b)
    before = _cohort_rows(org_b)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
        do_rollup_learner_progress(org_a, them.pk)  # another organisation's learner: nothing
        assert list(CohortProgressRollup.objects.values_list("cohort_id", flat=True)) == [
            mine.cohort.pk
        ]
        assert [c.id for c in programme_health().cohorts] == [mine.cohort.pk]
    assert _cohort_rows(org_b) == before
    assert [cohort_id for cohort_id, _period in before] == [theirs.cohort.pk]
