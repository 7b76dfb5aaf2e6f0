"""Withdrawing a learner from a cohort, or restoring them, records that learner's progress
roll-up in the outbox in the same transaction: their roll-up row goes (or comes back) as soon
as it is delivered, without the organisation's roll-up, and other learners' rows stay as
they were."""

from __future__ import annotations

import pytest
from django.db import transaction

from measurement.models import LearnerProgressRollup
from measurement.services import ROLLUP_HANDLER, do_rollup_progress
from organizations.outbox.models import OutboxEntry
from organizations.tenancy import tenant_context
from pathways.cohorts import services as cohort_services
from tests.conftest import enroll, make_member, make_pathway


def _rollups(org):
    return list(OutboxEntry.objects.filter(handler=ROLLUP_HANDLER).values_list("args", flat=True))


def test_withdrawing_and_restoring_queue_that_learners_rollup(
    org_a, org_b, admin_a, django_capture_on_commit_callbacks
):
    fixture = make_pathway(org_a, n_steps=2)
    ada = make_member(org_a, "ada@a.example", is_learner=True)
    bo = make_member(org_a, "bo@a.example", is_learner=True)
    enrollment = enroll(org_a, fixture, ada)
    enroll(org_a, fixture, bo)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
        bo_row = LearnerProgressRollup.objects.get(learner=bo)
        assert LearnerProgressRollup.objects.filter(learner=ada).exists()

    with django_capture_on_commit_callbacks(execute=True), tenant_context(org_a):
        with transaction.atomic():
            cohort_services.do_withdraw(admin_a.user, enrollment)
            assert _rollups(org_a) == [[ada.pk]]  # recorded with the fact, not after it
    with tenant_context(org_a):
        assert not LearnerProgressRollup.objects.filter(learner=ada).exists()
        assert LearnerProgressRollup.objects.get(learner=bo).computed_at == bo_row.computed_at
        assert OutboxEntry.objects.get(handler=ROLLUP_HANDLER).done_at is not None

    with django_capture_on_commit_callbacks(execute=True), tenant_context(org_a):
        cohort_services.do_enrol_learner(admin_a.user, fixture.cohort, ada)  # restored
    with tenant_context(org_a):
        assert _rollups(org_a) == [[ada.pk], [ada.pk]]
        assert LearnerProgressRollup.objects.get(learner=ada).steps_total == 2
    with tenant_context(org_b):
        assert not OutboxEntry.objects.exists()


@pytest.mark.parametrize("restore", [False, True])
def test_with_a_broker_the_learners_rollup_is_debounced_under_their_own_key(
    org_a, org_b, admin_a, settings, restore
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    fixture = make_pathway(org_a, n_steps=2)
    ada = make_member(org_a, "ada@a.example", is_learner=True)
    enrollment = enroll(org_a, fixture, ada)
    with tenant_context(org_a):
        cohort_services.do_withdraw(admin_a.user, enrollment)
        if restore:
            OutboxEntry.objects.all().delete()
            cohort_services.do_enrol_learner(admin_a.user, fixture.cohort, ada)
        [entry] = OutboxEntry.objects.filter(handler=ROLLUP_HANDLER)
    assert entry.args == [ada.pk]
    assert entry.dedupe_key.startswith(f"progress-rollup:{org_a.pk}:{ada.pk}:")
