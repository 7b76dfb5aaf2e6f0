"""A background metric import whose batches failed every outbox attempt does not stay
"running" forever: with no progress for a day the outbox sweep marks it failed with a message
the admin sees, its old links are abandoned, and a new upload of the file imports it. Pages
only read: they may say a job has stalled, never mark it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

from measurement import importer
from measurement.models import MetricImport, MetricValue
from measurement.tasks import IMPORT_BATCH_HANDLER
from organizations.outbox import delivery
from organizations.outbox.models import OutboxEntry
from organizations.outbox.tasks import requeue_overdue_followups
from organizations.tenancy import tenant_context
from tests.measurement.test_import_outage import ROWS, _csv, _swept, teams_a  # noqa: F401
from tests.organizations.outbox.brokers import redis_unreachable

pytestmark = pytest.mark.django_db(transaction=True)


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


def test_a_stuck_metric_import_is_marked_failed_after_a_day_and_the_file_can_be_uploaded_again(
    client,
    org_a,
    org_b,
    admin_a,
    teams_a,  # noqa: F811
):
    start = timezone.now()
    with redis_unreachable(), tenant_context(org_a):
        job = importer.do_start_import("values.csv", _csv(), admin_a)
        [first] = OutboxEntry.objects.filter(handler=IMPORT_BATCH_HANDLER)
        # The first batch is checked, then the next one fails every attempt.
        assert delivery.do_deliver_followup(org_a, first.pk).outcome == "done"
        OutboxEntry.objects.filter(handler=IMPORT_BATCH_HANDLER, done_at__isnull=True).update(
            attempts=delivery.MAX_ATTEMPTS, last_error="RuntimeError: boom"
        )
        job.refresh_from_db()
        assert job.status == MetricImport.Status.RUNNING and job.progress_at is not None
    client.force_login(admin_a.user)
    url = f"/o/{org_a.slug}/impact/metrics/import/{job.pk}/"

    with freeze_time(start + dt.timedelta(hours=23)):
        page = client.get(url).content.decode()
    assert "no progress for a day is marked failed" in page
    with tenant_context(org_a):
        job.refresh_from_db()
        assert job.status == MetricImport.Status.RUNNING

    later = start + dt.timedelta(hours=25)
    with freeze_time(later), CaptureQueriesContext(connection) as ctx:
        page = client.get(url).content.decode()
        client.get(f"/o/{org_a.slug}/impact/metrics/import/")
    assert "No progress since" in page and "will be marked failed within minutes" in page
    # Both importers say when in the same words: a <time> with its date, relative to now.
    assert '<p role="status">No progress since <time datetime="' in page
    assert _writes(ctx.captured_queries) == []  # pages only read: the sweep marks it
    with tenant_context(org_a):
        assert MetricImport.objects.get(pk=job.pk).status == MetricImport.Status.RUNNING

    _sweep(org_a, later)
    with freeze_time(later):
        page = client.get(url).content.decode()
        listing = client.get(f"/o/{org_a.slug}/impact/metrics/import/").content.decode()
    assert "The import stopped" in page and "Upload the file again" in page
    assert "Failed" in listing
    with tenant_context(org_a):
        job.refresh_from_db()
        assert job.status == MetricImport.Status.FAILED and job.finished_at is not None
        assert "no progress for a day" in job.problems[0]["message"]
        assert not MetricValue.objects.exists()
        assert not OutboxEntry.objects.filter(done_at__isnull=True).exists()  # abandoned

    # A new upload of the same file (the broker is back) imports it.
    response = client.post(
        f"/o/{org_a.slug}/impact/metrics/import/",
        {"file": SimpleUploadedFile("values.csv", _csv(), content_type="text/csv")},
    )
    assert response.status_code == 302
    _swept(org_a)
    with tenant_context(org_a):
        again = MetricImport.objects.exclude(pk=job.pk).get()
        assert again.status == MetricImport.Status.DONE, again.problems
        assert MetricValue.objects.count() == ROWS
    with tenant_context(org_b):
        assert not MetricImport.objects.exists()


def test_the_sweep_leaves_a_moving_import_and_other_organisations_alone(
    client, org_a, org_b, admin_a
):
    old = timezone.now() - dt.timedelta(days=3)
    with tenant_context(org_a):
        moving = MetricImport.objects.create(
            filename="m.csv", status="running", created_at=old, progress_at=timezone.now()
        )
        stuck = MetricImport.objects.create(filename="s.csv", status="queued", created_at=old)
    with tenant_context(org_b):
        other = MetricImport.objects.create(filename="o.csv", status="queued", created_at=old)
    client.force_login(admin_a.user)
    assert client.get(f"/o/{org_a.slug}/impact/metrics/import/").status_code == 200
    with tenant_context(org_a):  # the list only reads
        assert MetricImport.objects.get(pk=stuck.pk).status == "queued"
    _sweep(org_a, timezone.now())
    with tenant_context(org_a):
        assert MetricImport.objects.get(pk=moving.pk).status == "running"
        assert MetricImport.objects.get(pk=stuck.pk).status == "failed"
    with tenant_context(org_b):
        assert MetricImport.objects.get(pk=other.pk).status == "queued"
