"""One learner's roll-up writes only what changed: a roll-up that changes no figure writes no
row and records nothing in the outbox; a changed figure rewrites that learner's row and adjusts
the team's, leaving the teammates' rows as they were. With a broker, the roll-ups of the
cohorts of the rows written are recorded (on PostgreSQL by the statement that writes them) as
``queue_cohort_rollups`` records them: one row per cohort, period and window, delivered after
commit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from measurement import services
from measurement.models import LearnerProgressRollup, TeamProgressRollup
from measurement.services import (
    do_rollup_learner_progress,
    do_rollup_progress,
    period_for,
    queue_cohort_rollups,
)
from organizations.outbox import delivery
from organizations.outbox.models import OutboxEntry
from organizations.tenancy import tenant_context
from pathways.models import Enrollment, StepCompletion
from tests.conftest import count_queries, enroll, make_pathway
from tests.measurement.test_learner_rollup import _learners, _snapshot, _team

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite rewrites the learner's rows and aggregates the team's in a statement of its own",
)


def _versions(model):
    """Each row's ``computed_at`` and, on PostgreSQL, its physical version (``ctid``, new on
    every update): a row written again, even with the same figures, shows a new one."""
    table = model._meta.db_table
    version = "CAST(ctid AS TEXT)" if connection.vendor == "postgresql" else "NULL"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {version}, computed_at FROM {table} ORDER BY id")
        return cursor.fetchall()


def _team_of_three(org, done=1):
    fixture = make_pathway(org)
    alpha = _team(org, "Alpha")
    learners = _learners(org, fixture, alpha, 3, done, "w")
    with tenant_context(org):
        do_rollup_progress(org)
    return fixture, alpha, learners


@postgresql_only
def test_a_rollup_that_changes_no_figure_writes_nothing(org_a, org_b):
    _fixture, _alpha, (ana, *_) = _team_of_three(org_a)
    with tenant_context(org_a):
        learners, teams = _versions(LearnerProgressRollup), _versions(TeamProgressRollup)
        recorded = OutboxEntry.objects.count()
        with count_queries() as ctx:
            result = do_rollup_learner_progress(org_a, ana.pk)
        assert (result.learners, result.teams, result.written) == (1, 1, 0)
        # the scope, then the statement that would write: nothing to write, no cohort queued
        assert len(ctx.app_queries) == 2
        assert _versions(LearnerProgressRollup) == learners
        assert _versions(TeamProgressRollup) == teams
        assert OutboxEntry.objects.count() == recorded
    incremental = _snapshot(org_a)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    assert incremental == _snapshot(org_a)


@postgresql_only
def test_a_rollup_that_changes_no_team_figure_leaves_the_teams_row(org_a, org_b):
    """A figure the team's row does not count (steps overdue) changed: the learner's row is
    rewritten, the team's row is not."""
    _fixture, _alpha, (ana, *_) = _team_of_three(org_a)
    with tenant_context(org_a):
        LearnerProgressRollup.objects.filter(learner=ana).update(steps_overdue=9)
        teams = _versions(TeamProgressRollup)
        result = do_rollup_learner_progress(org_a, ana.pk)
        assert (result.learners, result.teams, result.written) == (1, 1, 1)
        assert LearnerProgressRollup.objects.get(learner=ana).steps_overdue == 0
        assert _versions(TeamProgressRollup) == teams


def test_a_changed_figure_rewrites_the_learners_row_and_no_teammates(org_a, org_b):
    fixture, alpha, (ana, *others) = _team_of_three(org_a)
    with tenant_context(org_a):
        teammates = [v for v in _versions(LearnerProgressRollup) if v[0] not in _row_ids(ana)]
        [enrollment] = Enrollment.objects.filter(learner=ana)
        StepCompletion.objects.create(
            enrollment=enrollment, learner=ana, step_key=fixture.steps[1].key
        )
        result = do_rollup_learner_progress(org_a, ana.pk)
        assert (result.learners, result.teams, result.written) == (1, 1, 1)
        assert [
            v for v in _versions(LearnerProgressRollup) if v[0] not in _row_ids(ana)
        ] == teammates
        row = TeamProgressRollup.objects.get(team=alpha)
        assert (row.learners, row.mean_completion) == (3, pytest.approx((0.5 + 0.25 + 0.25) / 3))
    incremental = _snapshot(org_a)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    assert incremental == _snapshot(org_a)


def _row_ids(learner):
    return set(LearnerProgressRollup.objects.filter(learner=learner).values_list("pk", flat=True))


def _one_window(monkeypatch, window, due):
    """Every debounced row of the test falls in one window (its number and due time)."""

    def debounce_window(seconds, grace, now=None):
        return window, due

    monkeypatch.setattr(delivery, "debounce_window", debounce_window)
    monkeypatch.setattr(services, "debounce_window", debounce_window)


def test_with_a_broker_a_changed_row_records_its_cohorts_rollup_once_a_window(
    org_a, org_b, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []
    monkeypatch.setattr(delivery, "_queue_delivery", lambda *args: queued.append(args))
    # One window for the whole test, whatever the time it takes.
    window, due = delivery.debounce_window(
        services.ROLLUP_DEBOUNCE_SECONDS, services.ROLLUP_GRACE_SECONDS
    )
    _one_window(monkeypatch, window, due)
    fixture, _alpha, (ana, bo, _cy) = _team_of_three(org_a)
    period = period_for(org_a)
    cohort = fixture.cohort.pk
    key = f"cohort-rollup:{org_a.pk}:{cohort}:{period.isoformat()}:{window}"

    def cohort_rows():
        return list(
            OutboxEntry.objects.filter(handler=services.COHORT_ROLLUP_HANDLER).values_list(
                "args", "dedupe_key", "run_after", "done_at", "attempts", "last_error"
            )
        )

    with tenant_context(org_a), django_capture_on_commit_callbacks(execute=True) as callbacks:
        do_rollup_learner_progress(org_a, ana.pk)
        if connection.vendor == "postgresql":  # nothing changed: nothing recorded
            assert cohort_rows() == []
        for learner, step in ((ana, 1), (bo, 1), (ana, 2)):
            [enrollment] = Enrollment.objects.filter(learner=learner)
            StepCompletion.objects.create(
                enrollment=enrollment, learner=learner, step_key=fixture.steps[step].key
            )
            do_rollup_learner_progress(org_a, learner.pk)
        assert cohort_rows() == [([cohort, period.isoformat()], key, due, None, 0, "")]
        # The key the Python path records: the window's row is there already.
        queue_cohort_rollups(org_a.pk, period, {cohort})
        [entry] = OutboxEntry.objects.filter(handler=services.COHORT_ROLLUP_HANDLER)
        assert entry.dedupe_key == key
    assert len(callbacks) == 1
    assert queued == [(org_a.pk, entry.pk, due)]
    with tenant_context(org_a):  # delivered now rather than at the window's end
        OutboxEntry.objects.filter(pk=entry.pk).update(run_after=timezone.now())
        assert delivery.do_deliver_followup(org_a, entry.pk).outcome == "done"
    incremental = _snapshot(org_a)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    assert incremental == _snapshot(org_a)


def test_with_a_broker_a_deleted_row_records_its_cohorts_rollup(
    org_a, org_b, settings, monkeypatch
):
    """A withdrawn enrolment's row is deleted after the statement that writes: its cohort's
    roll-up is recorded too, once, with the cohort of a row written in the same roll-up."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(delivery, "_queue_delivery", lambda *args: None)
    _one_window(
        monkeypatch,
        *delivery.debounce_window(services.ROLLUP_DEBOUNCE_SECONDS, services.ROLLUP_GRACE_SECONDS),
    )
    fixture, _alpha, (ana, *_) = _team_of_three(org_a)
    other = make_pathway(org_a, name="Second Pathway")
    enroll(org_a, other, ana)
    with tenant_context(org_a):
        do_rollup_learner_progress(org_a, ana.pk)  # the new enrolment's row: its cohort
        Enrollment.objects.filter(learner=ana, cohort=fixture.cohort).update(
            status=Enrollment.Status.WITHDRAWN
        )
        do_rollup_learner_progress(org_a, ana.pk)  # the withdrawn one's row deleted
        recorded = sorted(
            OutboxEntry.objects.filter(handler=services.COHORT_ROLLUP_HANDLER).values_list(
                "args", flat=True
            )
        )
    period = period_for(org_a).isoformat()
    assert recorded == sorted([[fixture.cohort.pk, period], [other.cohort.pk, period]])
    with tenant_context(org_a):
        assert not LearnerProgressRollup.objects.filter(
            learner=ana, enrollment__cohort=fixture.cohort
        ).exists()
