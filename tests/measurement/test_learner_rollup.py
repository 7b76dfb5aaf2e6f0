"""A fact about one learner rolls up that learner and their team, not the whole organisation:
the rows match what the full roll-up computes, in a number of queries that does not grow with
the organisation, and through on-commit enqueueing to a real Celery worker."""

from __future__ import annotations

import os
import time

import pytest
from django.conf import settings
from django.db import connection

from measurement import services
from measurement.models import (
    CohortProgressRollup,
    LearnerProgressRollup,
    TeamMetricRollup,
    TeamProgressRollup,
)
from measurement.services import do_rollup_learner_progress, do_rollup_progress
from measurement.tasks import rollup_learner_progress
from organizations.models import Membership, Team
from organizations.outbox.delivery import do_deliver_followup
from organizations.outbox.models import OutboxEntry
from organizations.tenancy import tenant_context
from pathways.models import Enrollment, StepCompletion
from pathways.services import do_complete_step
from tests.conftest import count_queries, enroll, make_member, make_pathway


def _team(org, name):
    with tenant_context(org):
        return Team.objects.create(name=name)


def _learners(org, fixture, team, n, done, prefix):
    members = []
    for i in range(n):
        m = make_member(org, f"{prefix}{i}@{org.slug}.example", is_learner=True, team=team)
        e = enroll(org, fixture, m)
        with tenant_context(org):
            for step in fixture.steps[:done]:
                StepCompletion.objects.create(enrollment=e, learner=m, step_key=step.key)
        members.append(m)
    return members


def _snapshot(org):
    with tenant_context(org):
        learners = sorted(
            LearnerProgressRollup.objects.values_list(
                "enrollment_id", "team_id", "steps_done", "steps_total", "completion"
            )
        )
        teams = sorted(
            TeamProgressRollup.objects.values_list(
                "team_id", "learners", "learners_finished", "completion_sum", "mean_completion"
            )
        )
        cohorts = _cohort_rows(org)
    assert cohorts == _cohort_sums(org)
    return learners, teams, cohorts


COHORT_FIGURES = (
    "counted",
    "not_started",
    "steps_done",
    "steps_total",
    "steps_overdue",
    "learners_overdue",
)


def _deliver_cohort_rollups(org):
    """Deliver the cohort roll-ups that learners' roll-ups queued in the outbox and that no
    commit delivered yet (a test's transaction never commits), as a worker would."""
    with tenant_context(org):
        for entry_id in OutboxEntry.objects.filter(
            handler=services.COHORT_ROLLUP_HANDLER, done_at=None
        ).values_list("pk", flat=True):
            do_deliver_followup(org, entry_id)


def _cohort_rows(org):
    """The cohort roll-up rows of the organisation, once the queued cohort roll-ups are
    delivered: {(cohort, period): figures}."""
    _deliver_cohort_rollups(org)
    with tenant_context(org):
        return {
            (row[0], row[1]): row[2:]
            for row in CohortProgressRollup.objects.values_list(
                "cohort_id", "period", *COHORT_FIGURES
            )
        }


def _cohort_sums(org):
    """The same figures summed in Python from the learners' rows."""
    sums: dict = {}
    with tenant_context(org):
        for row in LearnerProgressRollup.objects.exclude(cohort=None):
            figures = (
                1,
                int(row.steps_done == 0),
                row.steps_done,
                row.steps_total,
                row.steps_overdue,
                int(row.steps_overdue > 0),
            )
            was = sums.get((row.cohort_id, row.period), (0,) * 6)
            sums[(row.cohort_id, row.period)] = tuple(a + b for a, b in zip(was, figures))
    return sums


def test_it_gives_the_rows_the_full_rollup_gives(org_a, org_b, django_capture_on_commit_callbacks):
    fixture = make_pathway(org_a)
    alpha, beta = _team(org_a, "Alpha"), _team(org_a, "Beta")
    ana, *_ = _learners(org_a, fixture, alpha, 3, 1, "alpha")
    _learners(org_a, fixture, beta, 3, 2, "beta")
    _learners(org_b, make_pathway(org_b), _team(org_b, "Gamma"), 2, 1, "gamma")
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    with tenant_context(org_b):
        do_rollup_progress(org_b)
    before_b = _snapshot(org_b)

    with tenant_context(org_a), django_capture_on_commit_callbacks(execute=True) as queued:
        [enrollment] = Enrollment.objects.filter(learner=ana)
        do_complete_step(ana, enrollment.pk, fixture.steps[1].id)  # eager: rolls up Ana alone
    # Ana's progress roll-up and the module's reach, then (through the outbox) her team's
    # metric roll-up and her cohort's roll-up
    assert len(queued) == 4
    with tenant_context(org_a):
        assert set(TeamMetricRollup.objects.values_list("team_id", flat=True)) == {alpha.pk}
    incremental = _snapshot(org_a)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    assert incremental == _snapshot(org_a)
    learners, teams, _cohorts = incremental
    assert (enrollment.pk, alpha.pk, 2, 4, 0.5) in learners
    assert (alpha.pk, 3, 0, 10**12, pytest.approx((0.5 + 0.25 + 0.25) / 3)) in teams
    assert _snapshot(org_b) == before_b  # the other organisation is untouched


def test_it_counts_teammates_who_were_never_rolled_up(org_a, org_b):
    """Five learners enrolled with no roll-up since: the first fact gives a team of five."""
    fixture = make_pathway(org_a)
    alpha = _team(org_a, "Alpha")
    first, *_ = _learners(org_a, fixture, alpha, 5, 0, "new")
    with tenant_context(org_a):
        [enrollment] = Enrollment.objects.filter(learner=first)
        StepCompletion.objects.create(
            enrollment=enrollment, learner=first, step_key=fixture.steps[0].key
        )
        result = do_rollup_learner_progress(org_a, first.pk)
        row = TeamProgressRollup.objects.get(team=alpha)
    assert (result.learners, result.teams) == (5, 1)
    assert (row.learners, row.mean_completion) == (5, pytest.approx(0.25 / 5))
    incremental = _snapshot(org_a)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    assert incremental == _snapshot(org_a)


def test_it_moves_a_learner_between_teams_and_drops_an_emptied_team(org_a, org_b):
    fixture = make_pathway(org_a)
    alpha, beta = _team(org_a, "Alpha"), _team(org_a, "Beta")
    [solo] = _learners(org_a, fixture, alpha, 1, 4, "solo")
    _learners(org_a, fixture, beta, 2, 0, "beta")
    with tenant_context(org_a):
        do_rollup_progress(org_a)
        Membership.objects.filter(pk=solo.pk).update(team=beta)
        result = do_rollup_learner_progress(org_a, solo.pk)
        assert result.teams == 1
        assert not TeamProgressRollup.objects.filter(team=alpha).exists()
        row = TeamProgressRollup.objects.get(team=beta)
        assert (row.learners, row.learners_finished) == (3, 1)
        assert row.mean_completion == pytest.approx(1 / 3)
    incremental = _snapshot(org_a)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    assert incremental == _snapshot(org_a)


def test_it_removes_a_deactivated_or_vanished_learner(org_a, org_b):
    fixture = make_pathway(org_a)
    alpha = _team(org_a, "Alpha")
    leaving, staying = _learners(org_a, fixture, alpha, 2, 2, "alpha")
    with tenant_context(org_a):
        do_rollup_progress(org_a)
        Membership.objects.filter(pk=leaving.pk).update(is_active=False)
        do_rollup_learner_progress(org_a, leaving.pk)
        assert not LearnerProgressRollup.objects.filter(learner=leaving).exists()
        assert TeamProgressRollup.objects.get(team=alpha).learners == 1
        result = do_rollup_learner_progress(org_a, 987654)  # no such learner: nothing to do
        assert (result.learners, result.teams) == (0, 0)
        assert TeamProgressRollup.objects.get(team=alpha).learners == 1
    assert rollup_learner_progress.apply(args=(org_a.pk, staying.pk)).get()["learners"] == 1
    assert rollup_learner_progress.apply(args=(999999, staying.pk)).get() is None


def _learner_rollup_queries(org, n):
    fixture = make_pathway(org, name=f"Pathway {n}")
    team = _team(org, f"Team {n}")
    first, *_ = _learners(org, fixture, team, n, 1, f"q{n}-")
    with tenant_context(org):
        do_rollup_progress(org)
        with count_queries() as ctx:
            do_rollup_learner_progress(org, first.pk)
    return len(ctx.captured_queries)


def test_it_rolls_up_one_learner_in_queries_that_do_not_grow_with_the_team(org_a, org_b):
    assert _learner_rollup_queries(org_a, 3) == _learner_rollup_queries(org_b, 30)


def test_it_deletes_a_row_only_when_one_no_longer_qualifies(org_a, org_b):
    """The upsert returns the enrolments it wrote; the learner's rows of the period that are not
    among them are deleted, and the delete is not even sent when every row still qualifies. A
    withdrawn enrolment and a new one in the same roll-up (as many rows as before) included."""
    fixture = make_pathway(org_a)
    other = make_pathway(org_a, name="Second Pathway")
    alpha = _team(org_a, "Alpha")
    ana, bo = _learners(org_a, fixture, alpha, 2, 1, "del")
    with tenant_context(org_a):
        do_rollup_progress(org_a)

    def deletes(ctx):
        return [q for q in ctx.app_queries if q["sql"].lstrip().startswith("DELETE")]

    with tenant_context(org_a):
        with count_queries() as ctx:
            do_rollup_learner_progress(org_a, ana.pk)
        # the scope, then the learner rows and the team row in one statement on PostgreSQL,
        # which writes nothing when no figure changed (as here: nothing happened since the
        # organisation's roll-up), so no cohort's roll-up is recorded either; on SQLite the
        # learner rows, the team row, and the cohort's roll-up recorded in the outbox (with a
        # broker, after looking for the window's row)
        if connection.vendor == "postgresql":
            expected = 2
        else:
            expected = 4 if settings.CELERY_TASK_ALWAYS_EAGER else 5
        assert (len(ctx.app_queries), deletes(ctx)) == (expected, [])
        [first] = Enrollment.objects.filter(learner=ana)
        Enrollment.objects.filter(pk=first.pk).update(status=Enrollment.Status.WITHDRAWN)
    second = enroll(org_a, other, ana)
    with tenant_context(org_a):
        with count_queries() as ctx:
            result = do_rollup_learner_progress(org_a, ana.pk)
        assert len(deletes(ctx)) == 1
        rows = set(LearnerProgressRollup.objects.filter(learner=ana).values_list("enrollment"))
        assert rows == {(second.pk,)}
        assert (result.learners, result.teams) == (1, 1)
    incremental = _snapshot(org_a)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    assert incremental == _snapshot(org_a)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL for a real broker")
def test_it_reaches_a_real_worker_from_a_completed_step_after_commit(settings, monkeypatch):
    """The whole path with a broker: the learner's facts commit with one outbox row (both in
    one debounce window), on_commit queues its delivery for the window's end, a Celery worker
    consumes it from Redis and writes the rows."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app
    from organizations.models import Organization
    from organizations.outbox.models import OutboxEntry

    org = Organization.objects.create(name="Worker Org", slug="worker-org")
    fixture = make_pathway(org)
    team = _team(org, "Alpha")
    [learner] = _learners(org, fixture, team, 1, 0, "w")
    with tenant_context(org):
        enrollment = Enrollment.objects.get(learner=learner)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(services, "ROLLUP_DEBOUNCE_SECONDS", 2)
    monkeypatch.setattr(services, "ROLLUP_GRACE_SECONDS", 1)
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            with tenant_context(org):  # commits at the end of the block: on_commit fires
                do_complete_step(learner, enrollment.pk, fixture.steps[0].id)
                do_complete_step(learner, enrollment.pk, fixture.steps[1].id)
            deadline = time.monotonic() + 60
            row, pending = None, True
            while time.monotonic() < deadline:
                with tenant_context(org):
                    row = TeamProgressRollup.objects.filter(team=team).first()
                    pending = OutboxEntry.objects.filter(
                        handler=services.ROLLUP_HANDLER, done_at__isnull=True
                    ).exists()
                if row is not None and not pending:
                    break
                time.sleep(0.2)
    finally:
        app.conf.task_always_eager = True
    assert row is not None, "the worker never wrote the team's roll-up"
    assert (row.learners, row.mean_completion) == (1, 0.5)
    with tenant_context(org):
        rollups = OutboxEntry.objects.filter(handler=services.ROLLUP_HANDLER).count()
    # Both facts shared one debounced roll-up (unless they fell either side of a window's end).
    assert 1 <= rollups <= 2 and not pending


def test_it_retries_a_transient_failure_of_the_organisation_lookup(org_a, org_b, monkeypatch):
    """The lookup before the task body asks Celery for a retry, like the body, instead of
    failing the task for good. (Eager tasks surface the retry as ``Retry``; a worker re-queues.)"""
    from celery.exceptions import Retry
    from django.db import OperationalError

    from organizations.models import Organization

    real_filter = Organization.objects.filter
    failures = []

    def flaky_filter(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise OperationalError("server closed the connection unexpectedly")
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Organization.objects, "filter", flaky_filter)
    fixture = make_pathway(org_a)
    [learner] = _learners(org_a, fixture, _team(org_a, "Alpha"), 1, 1, "r")
    with pytest.raises(Retry) as retry:
        rollup_learner_progress.apply(args=(org_a.pk, learner.pk))
    assert failures == [1]
    assert isinstance(retry.value.exc, OperationalError)
    assert 0 <= retry.value.when <= rollup_learner_progress.retry_backoff_max
    # Once the database answers again, the same task runs.
    assert rollup_learner_progress.apply(args=(org_a.pk, learner.pk)).get()["learners"] == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks between connections: PostgreSQL"
)
def test_two_teammates_rolled_up_at_once_give_the_team_both_their_rows():
    """Two teammates' roll-ups at once: the second waits for the team's lock and, once the
    first commits, reads the first one's rows, so the team's row counts both new figures (the
    team's figure is aggregated in a statement begun after the lock was taken)."""
    import threading

    from django.db import connections

    from organizations.models import Organization

    org = Organization.objects.create(name="Lock Org", slug="lock-org")
    fixture = make_pathway(org)
    team = _team(org, "Alpha")
    ana, bo = _learners(org, fixture, team, 2, 0, "lock")
    with tenant_context(org):
        do_rollup_progress(org)
        for learner in (ana, bo):
            enrollment = Enrollment.objects.get(learner=learner)
            StepCompletion.objects.create(
                enrollment=enrollment, learner=learner, step_key=fixture.steps[0].key
            )

    ana_rolled, release, errors = threading.Event(), threading.Event(), []

    def roll_up(learner, rolled=None, wait=None):
        try:
            with tenant_context(org):
                do_rollup_learner_progress(org, learner.pk)
                if rolled is not None:
                    rolled.set()
                    assert wait is not None and wait.wait(30)
        except Exception as exc:  # reported by the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    first = threading.Thread(target=roll_up, args=(ana, ana_rolled, release))
    first.start()
    assert ana_rolled.wait(30)  # Ana's rows and team row written, the team locked, not committed
    second = threading.Thread(target=roll_up, args=(bo,))
    second.start()
    second.join(1.0)
    assert second.is_alive(), "Bo's roll-up waits for the team Ana's roll-up locked"
    release.set()
    first.join(30)
    second.join(30)
    assert not errors and not first.is_alive() and not second.is_alive()
    with tenant_context(org):
        row = TeamProgressRollup.objects.get(team=team)
        assert (row.learners, row.mean_completion) == (2, pytest.approx(0.25))
        incremental = _snapshot(org)
        do_rollup_progress(org)
    assert incremental == _snapshot(org)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks between connections: PostgreSQL"
)
def test_the_organisations_roll_up_locks_the_teams_before_any_row_so_it_cannot_deadlock():
    """A learner's roll-up locks its teams, then writes rows; the organisation's roll-up writes
    every row. If the organisation's took row locks first, each could wait on the other (a
    deadlock, seen when a nightly roll-up met a learner's). It takes the teams first, in the
    same order: while a learner's roll-up holds a team it waits on that first statement,
    holding no row, and finishes once the learner's commits."""
    import threading

    from django.db import connections

    from organizations.models import Organization

    org = Organization.objects.create(name="Order Org", slug="order-org")
    fixture = make_pathway(org)
    team = _team(org, "Alpha")
    ana, _bo = _learners(org, fixture, team, 2, 1, "order")
    held, release, errors = threading.Event(), threading.Event(), []

    def learner_roll_up():
        try:
            with tenant_context(org):
                do_rollup_learner_progress(org, ana.pk)
                held.set()
                assert release.wait(30)
        except Exception as exc:  # reported by the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    def organisation_roll_up():
        try:
            with tenant_context(org):
                do_rollup_progress(org)
        except Exception as exc:  # reported by the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    first = threading.Thread(target=learner_roll_up)
    first.start()
    assert held.wait(30)  # the team locked and Ana's rows written, not committed
    second = threading.Thread(target=organisation_roll_up)
    second.start()
    waiting: list[str] = []
    for _ in range(100):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT query FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            waiting = [row[0] for row in cursor.fetchall()]
        if waiting:
            break
        time.sleep(0.05)
    release.set()
    first.join(30)
    second.join(30)
    assert not errors and not first.is_alive() and not second.is_alive()
    assert len(waiting) == 1 and "FOR NO KEY UPDATE" in waiting[0], waiting
    with tenant_context(org):
        assert TeamProgressRollup.objects.get(team=team).learners == 2


def test_a_teammate_enrolled_then_another_rolled_up_at_once_gives_the_full_rollups_rows(
    org_a, org_b
):
    """The team's row rests on its teammates' rows: a learner enrolled since (their roll-up
    recorded in the outbox with the enrolment, not run yet) is counted by the next roll-up of
    any teammate, as the organisation's roll-up counts them."""
    from pathways.cohorts.services import do_enrol_learner

    fixture = make_pathway(org_a)
    alpha = _team(org_a, "Alpha")
    ana, _bo = _learners(org_a, fixture, alpha, 2, 1, "enr")
    newcomer = make_member(org_a, f"newcomer@{org_a.slug}.example", is_learner=True, team=alpha)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
        do_enrol_learner(None, fixture.cohort, newcomer)
        result = do_rollup_learner_progress(org_a, ana.pk)
        assert (result.learners, result.teams) == (2, 1)  # Ana and the newcomer
        row = TeamProgressRollup.objects.get(team=alpha)
        assert (row.learners, row.mean_completion) == (3, pytest.approx(0.5 / 3))
    incremental = _snapshot(org_a)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    assert incremental == _snapshot(org_a)


def test_a_teammate_who_moved_is_counted_in_the_team_they_joined_and_left(org_a, org_b):
    """A person moved (their roll-up recorded with the move): a roll-up of a teammate in the
    team they joined counts them there, one in the team they left no longer counts them."""
    from organizations.people.services import queue_rollups_for_moves

    fixture = make_pathway(org_a)
    alpha, beta = _team(org_a, "Alpha"), _team(org_a, "Beta")
    mover, stayer = _learners(org_a, fixture, alpha, 2, 4, "mov")
    [joined] = _learners(org_a, fixture, beta, 1, 0, "joi")
    with tenant_context(org_a):
        do_rollup_progress(org_a)
        Membership.objects.filter(pk=mover.pk).update(team=beta)
        queue_rollups_for_moves({mover.pk: alpha.pk})
        do_rollup_learner_progress(org_a, joined.pk)
        row = TeamProgressRollup.objects.get(team=beta)
        assert (row.learners, row.learners_finished) == (2, 1)
        do_rollup_learner_progress(org_a, stayer.pk)
        row = TeamProgressRollup.objects.get(team=alpha)
        assert (row.learners, row.learners_finished) == (1, 1)
    incremental = _snapshot(org_a)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    assert incremental == _snapshot(org_a)


def test_teammates_enrolled_with_the_organisations_rollup_pending_are_counted(org_a, org_b):
    """Facts recorded for everyone at once (a bulk enrolment records the organisation's
    roll-up, not one per learner): a teammate's roll-up compares every member of the team with
    the team's rows, as it does for a team with no row yet this month."""
    from measurement.services import queue_progress_rollup

    fixture = make_pathway(org_a)
    alpha = _team(org_a, "Alpha")
    [ana] = _learners(org_a, fixture, alpha, 1, 2, "bulk")
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    _learners(org_a, fixture, alpha, 3, 0, "late")  # enrolled with no roll-up recorded
    with tenant_context(org_a):
        do_rollup_learner_progress(org_a, ana.pk)
        assert TeamProgressRollup.objects.get(team=alpha).learners == 1  # nothing recorded
        queue_progress_rollup(org_a.pk)  # as a bulk enrolment records it
        result = do_rollup_learner_progress(org_a, ana.pk)
        assert (result.learners, result.teams) == (4, 1)
        row = TeamProgressRollup.objects.get(team=alpha)
        assert (row.learners, row.mean_completion) == (4, pytest.approx(0.5 / 4))
    incremental = _snapshot(org_a)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    assert incremental == _snapshot(org_a)


def test_a_past_period_compares_every_member_of_the_team(org_a, org_b):
    """A period other than the current one: the pending roll-ups are for the current one, so
    the team's members are all compared with its rows of that period."""
    import datetime as dt

    fixture = make_pathway(org_a)
    alpha = _team(org_a, "Alpha")
    [ana] = _learners(org_a, fixture, alpha, 1, 2, "past")
    last = dt.date(2020, 1, 1)
    with tenant_context(org_a):
        do_rollup_progress(org_a, last)
    _learners(org_a, fixture, alpha, 2, 0, "pastlate")
    with tenant_context(org_a):
        result = do_rollup_learner_progress(org_a, ana.pk, last)
        assert (result.learners, result.teams) == (3, 1)
        assert TeamProgressRollup.objects.get(team=alpha, period=last).learners == 3


def test_a_teammate_deactivated_or_reactivated_then_another_rolled_up_gives_the_full_rollups_rows(
    org_a, org_b
):
    """Switching a person off or on records their roll-up in the same transaction, as a move
    does: a teammate's roll-up straight after drops or counts them again in the team."""
    from organizations.people.services import do_deactivate_person, do_reactivate_person

    fixture = make_pathway(org_a)
    alpha = _team(org_a, "Alpha")
    leaving, staying = _learners(org_a, fixture, alpha, 2, 2, "off")
    with tenant_context(org_a):
        do_rollup_progress(org_a)
        do_deactivate_person(None, leaving)
        assert OutboxEntry.objects.filter(done_at__isnull=True, args=[leaving.pk]).exists()
        do_rollup_learner_progress(org_a, staying.pk)
        assert TeamProgressRollup.objects.get(team=alpha).learners == 1
    incremental = _snapshot(org_a)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    assert incremental == _snapshot(org_a)
    with tenant_context(org_a):
        do_reactivate_person(None, Membership.objects.get(pk=leaving.pk))
        do_rollup_learner_progress(org_a, staying.pk)
        assert TeamProgressRollup.objects.get(team=alpha).learners == 2
    incremental = _snapshot(org_a)
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    assert incremental == _snapshot(org_a)
