"""Redis down: a learner's fact commits and they see success; the roll-up it calls for is
recorded in PostgreSQL (the outbox) in the fact's transaction and delivered once the broker is
back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from freezegun import freeze_time

from measurement import services
from measurement.models import LearnerProgressRollup, TeamProgressRollup
from organizations.models import Team
from organizations.outbox import delivery
from organizations.outbox.models import OutboxEntry
from organizations.outbox.tasks import requeue_overdue_followups
from organizations.tenancy import tenant_context
from pathways.models import ElectiveChoice, SelfAssessment, StepCompletion
from tests.conftest import enroll, make_member, make_pathway
from tests.organizations.outbox.brokers import redis_unreachable
from tests.pathways.learning.factories import (
    link_competencies,
    make_framework,
    make_group,
    open_steps,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _learner(org, fixture, email="lea@example.com"):
    with tenant_context(org):
        team = Team.objects.get_or_create(name="Alpha")[0]
    learner = make_member(org, email, is_learner=True, team=team)
    open_steps(org, learner, fixture)  # the modules were read: their steps can be marked done
    return learner, enroll(org, fixture, learner), team


def _pending(org):
    with tenant_context(org):
        return list(
            OutboxEntry.objects.filter(handler=services.ROLLUP_HANDLER, done_at__isnull=True)
        )


def _broker_back_and_swept(org):
    """The broker is back (tasks run again; eagerly here) and the beat sweep runs once the
    roll-up's window has closed."""
    later = timezone.now() + dt.timedelta(seconds=services.ROLLUP_DEBOUNCE_SECONDS * 2 + 10)
    with freeze_time(later):
        requeue_overdue_followups.delay(org.pk)


def test_a_completed_step_is_kept_and_rolled_up_after_a_redis_outage(client, org_a, org_b):
    fixture = make_pathway(org_a)
    learner, enrollment, team = _learner(org_a, fixture)
    client.force_login(learner.user)
    url = f"/o/{org_a.slug}/learn/enrollments/{enrollment.pk}/steps/{fixture.steps[0].pk}/done/"
    with redis_unreachable():
        response = client.post(url)
        assert response.status_code == 302
        page = client.get(response["Location"])
        assert page.status_code == 200
    with tenant_context(org_a):
        assert StepCompletion.objects.filter(enrollment=enrollment).count() == 1
        assert not LearnerProgressRollup.objects.exists()
    [entry] = _pending(org_a)
    assert entry.args == [learner.pk]
    assert entry.dedupe_key.startswith(f"progress-rollup:{org_a.pk}:{learner.pk}:")

    _broker_back_and_swept(org_a)
    with tenant_context(org_a):
        row = LearnerProgressRollup.objects.get(enrollment=enrollment)
        assert (row.steps_done, row.steps_total) == (1, 4)
        assert TeamProgressRollup.objects.get(team=team).learners == 1
    assert _pending(org_a) == []
    with tenant_context(org_b):
        assert not OutboxEntry.objects.exists()


def test_a_self_assessment_and_an_elective_choice_are_kept_during_a_redis_outage(
    client, org_a, org_b
):
    fixture = make_pathway(org_a)
    comps = make_framework(org_a, ["Listening", "Clarity"])
    link_competencies(org_a, fixture, comps)
    group = make_group(org_a, fixture, fixture.steps[:3], choose=2)
    learner, enrollment, _team = _learner(org_a, fixture)
    client.force_login(learner.user)
    base = f"/o/{org_a.slug}/learn/enrollments/{enrollment.pk}"
    keys = [str(s.key) for s in fixture.steps]
    with redis_unreachable():
        rated = client.post(f"{base}/diagnostic/", {f"competency_{c.pk}": "4" for c in comps})
        chosen = client.post(
            f"{base}/electives/", {"group": group.pk, f"group-{group.pk}-steps": keys[:2]}
        )
    assert (rated.status_code, chosen.status_code) == (302, 302)
    with tenant_context(org_a):
        assert SelfAssessment.objects.filter(enrollment=enrollment).count() == 2
        assert ElectiveChoice.objects.filter(enrollment=enrollment).count() == 2
    # Both facts fall in one debounce window: one roll-up is due, not two.
    assert len(_pending(org_a)) == 1
    _broker_back_and_swept(org_a)
    with tenant_context(org_a):
        assert LearnerProgressRollup.objects.get(enrollment=enrollment).steps_total == 3


def test_facts_in_one_window_share_one_rollup_run_at_its_end(org_a, org_b, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    window = services.ROLLUP_DEBOUNCE_SECONDS
    start = (int(timezone.now().timestamp()) // window + 1) * window  # the next window
    now = dt.datetime.fromtimestamp(start + 5, tz=dt.UTC)
    with tenant_context(org_a), freeze_time(now):
        services.queue_progress_rollup(org_a.pk, 7)
        services.queue_progress_rollup(org_a.pk, 7, now=now + dt.timedelta(seconds=20))
        services.queue_progress_rollup(org_a.pk, 8)
        services.queue_progress_rollup(org_a.pk, None)
        services.queue_progress_rollup(org_a.pk, 7, now=now + dt.timedelta(seconds=window))
        entries = list(OutboxEntry.objects.order_by("run_after", "pk"))
    assert [e.args for e in entries] == [[7], [8], [], [7]]
    end = dt.datetime.fromtimestamp(start + window + services.ROLLUP_GRACE_SECONDS, tz=dt.UTC)
    assert [e.run_after for e in entries] == [end, end, end, end + dt.timedelta(seconds=window)]
    # Overdue for the sweep as soon as its window closed (a delivery lost with the broker).
    with tenant_context(org_a), freeze_time(end + dt.timedelta(seconds=1)):
        assert delivery.overdue_followups() == [e.pk for e in entries[:3]]


def test_it_refuses_to_queue_outside_its_organisation(org_a, org_b):
    with tenant_context(org_b), pytest.raises(RuntimeError):
        services.queue_progress_rollup(org_a.pk, 1)
