"""A background people import whose batches failed every outbox attempt does not stay
"running" forever: with no progress for a day the outbox sweep marks it failed with a message
the admin sees, its old links are abandoned, and the admin can apply it again (a new run).
Pages only read: they may say a job has stalled, never mark it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

from organizations.models import ImportJob, Membership
from organizations.outbox import delivery
from organizations.outbox.models import OutboxEntry
from organizations.outbox.tasks import requeue_overdue_followups
from organizations.people import services
from organizations.people.tasks import IMPORT_BATCH_HANDLER
from organizations.tenancy import tenant_context
from tests.conftest import make_member
from tests.organizations.outbox.brokers import redis_unreachable
from tests.organizations.people.test_import_outage import ROWS, _large_file, _swept

pytestmark = pytest.mark.django_db(transaction=True)


def _stuck_job(org, admin):
    """A large import confirmed while the broker is down, whose first batch then failed all its
    outbox attempts: nothing will ever move it on."""
    with tenant_context(org):
        job, _plan = services.do_preview_import(admin.user, "hris.csv", _large_file())
    with redis_unreachable(), tenant_context(org):
        services.do_confirm_import(admin.user, job)
        OutboxEntry.objects.filter(handler=IMPORT_BATCH_HANDLER).update(
            attempts=delivery.MAX_ATTEMPTS, last_error="RuntimeError: boom"
        )
        job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED
    return job


def _sweep(org, at):
    """The beat's outbox sweep for ``org`` at time ``at`` (run eagerly here)."""
    with freeze_time(at):
        requeue_overdue_followups.delay(org.pk)


def _writes(queries):
    """The statements that wrote to an import or the outbox (the session's own bookkeeping
    aside)."""
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))
        and ("import" in q["sql"] or "outbox" in q["sql"])
    ]


def test_a_stuck_import_is_marked_failed_after_a_day_and_can_be_applied_again(client, org_a, org_b):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    job = _stuck_job(org_a, admin)
    client.force_login(admin.user)
    url = f"/o/{org_a.slug}/people/import/{job.pk}/"

    # Within the day it is still running: the page says what will happen if it stops.
    with freeze_time(timezone.now() + dt.timedelta(hours=23)):
        page = client.get(url).content.decode()
    assert "no progress for a day is marked failed" in page
    with tenant_context(org_a):
        assert ImportJob.objects.get().status == ImportJob.Status.QUEUED

    # A day on, the page says it stalled but does not mark it: that is the sweep's work.
    later = timezone.now() + dt.timedelta(hours=25)
    with freeze_time(later), CaptureQueriesContext(connection) as ctx:
        page = client.get(url).content.decode()
    assert "No progress since" in page and "will be marked failed within minutes" in page
    # Both importers say when in the same words: a <time> with its date, relative to now.
    assert '<p role="status">No progress since <time datetime="' in page
    assert _writes(ctx.captured_queries) == []
    with tenant_context(org_a):
        assert ImportJob.objects.get().status == ImportJob.Status.QUEUED

    _sweep(org_a, later)
    with freeze_time(later):
        page = client.get(url).content.decode()
    assert "The import stopped: it made no progress for a day" in page
    assert f"/people/import/{job.pk}/confirm/" in page  # the admin can apply it again
    with tenant_context(org_a):
        job.refresh_from_db()
        assert job.status == ImportJob.Status.FAILED and job.finished_at is not None
        assert Membership.objects.count() == 1  # nothing was changed
        [old] = OutboxEntry.objects.filter(handler=IMPORT_BATCH_HANDLER)
        assert old.done_at is not None and old.last_error.startswith("abandoned")

    # Applied again: a new run, carried to the end (the broker is back).
    response = client.post(f"{url}confirm/", follow=True)
    assert response.status_code == 200
    _swept(org_a)
    with tenant_context(org_a):
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE, job.problems
        assert Membership.objects.count() == ROWS + 1
    with tenant_context(org_b):
        assert not ImportJob.objects.exists()


def test_the_sweep_marks_stalled_imports_failed_but_not_ones_that_move(client, org_a, org_b):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    job = _stuck_job(org_a, admin)
    with tenant_context(org_a):
        moving = ImportJob.objects.create(
            filename="moving.csv",
            content="",
            status=ImportJob.Status.RUNNING,
            created_at=timezone.now() - dt.timedelta(days=3),  # old, but it moved on lately
            progress_at=timezone.now() + dt.timedelta(hours=20),
        )
    with tenant_context(org_b):
        other = ImportJob.objects.create(
            filename="b.csv",
            content="",
            status=ImportJob.Status.RUNNING,
            created_at=timezone.now() - dt.timedelta(days=3),
        )
    client.force_login(admin.user)
    later = timezone.now() + dt.timedelta(hours=25)
    with freeze_time(later), CaptureQueriesContext(connection) as ctx:
        page = client.get(f"/o/{org_a.slug}/people/import/").content.decode()
    assert _writes(ctx.captured_queries) == []  # the list only reads
    with tenant_context(org_a):
        assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.QUEUED

    _sweep(org_a, later)
    with freeze_time(later):
        page = client.get(f"/o/{org_a.slug}/people/import/").content.decode()
    assert "Failed" in page
    with tenant_context(org_a):
        job.refresh_from_db()
        moving.refresh_from_db()
        assert job.status == ImportJob.Status.FAILED
        assert moving.status == ImportJob.Status.RUNNING  # it moved on 5 hours before
    with tenant_context(org_b):  # another organisation's import is its own admin's business
        other.refresh_from_db()
        assert other.status == ImportJob.Status.RUNNING


def test_a_batch_that_moves_the_job_on_resets_the_clock(org_a):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    job = _stuck_job(org_a, admin)
    start = timezone.now()
    with tenant_context(org_a):
        [first] = OutboxEntry.objects.filter(handler=IMPORT_BATCH_HANDLER)
        OutboxEntry.objects.filter(pk=first.pk).update(attempts=0)
        with freeze_time(start + dt.timedelta(hours=20)), redis_unreachable():
            assert delivery.do_deliver_followup(org_a, first.pk).outcome == "done"
        with freeze_time(start + dt.timedelta(hours=30)):
            assert services.fail_stalled_imports() == 0
            assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.RUNNING
        with freeze_time(start + dt.timedelta(hours=45)):
            assert services.fail_stalled_imports() == 1
            assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.FAILED
