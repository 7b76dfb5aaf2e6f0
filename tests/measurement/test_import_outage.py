"""Redis down: a large metric values import is still accepted. The job and the outbox row of
its first batch commit together; each batch commits its progress and the next batch's row; the
outbox sweep finishes the import once the broker is back, and a batch delivered twice imports
nothing twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from freezegun import freeze_time

from measurement import impact, importer
from measurement.models import MetricImport, MetricValue
from measurement.tasks import IMPORT_BATCH_HANDLER, deliver_import_batch, record_import_batch
from organizations.models import Team
from organizations.outbox import delivery
from organizations.outbox.models import OutboxEntry
from organizations.outbox.tasks import requeue_overdue_followups
from organizations.tenancy import tenant_context
from tests.organizations.outbox.brokers import redis_unreachable

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 1100  # three batches, then the write


@pytest.fixture
def teams_a(org_a):
    with tenant_context(org_a):
        teams = [Team.objects.create(name=f"Team {i}") for i in range(11)]
        impact.do_define_metric(
            name="Engagement",
            unit="points",
            direction="up",
            level="team",
            min_value=Decimal(0),
            max_value=Decimal(100),
        )
    return teams


def _csv() -> bytes:
    lines = ["metric,team,period,value"]
    lines += [
        f"Engagement,Team {i % 11},{2000 + i // 11 // 12}-{i // 11 % 12 + 1:02d},{i % 100}"
        for i in range(ROWS)
    ]
    return ("\n".join(lines) + "\n").encode()


def _entries(org):
    with tenant_context(org):
        return list(OutboxEntry.objects.filter(handler=IMPORT_BATCH_HANDLER).order_by("pk"))


def _swept(org):
    """The broker is back (tasks run again; eagerly here) and the beat sweep runs once the lost
    deliveries are overdue."""
    with freeze_time(timezone.now() + delivery.REDELIVER_AFTER + dt.timedelta(seconds=5)):
        requeue_overdue_followups.delay(org.pk)


def test_a_large_import_is_uploaded_during_a_redis_outage_and_finished_by_the_sweep(
    client, org_a, org_b, admin_a, teams_a
):
    client.force_login(admin_a.user)
    with redis_unreachable():
        response = client.post(
            f"/o/{org_a.slug}/impact/metrics/import/",
            {"file": SimpleUploadedFile("values.csv", _csv(), content_type="text/csv")},
        )
        assert response.status_code == 302
        assert client.get(response["Location"]).status_code == 200
    with tenant_context(org_a):
        job = MetricImport.objects.get()
        assert (job.status, job.total_rows, job.processed_rows) == ("queued", ROWS, 0)
        assert not MetricValue.objects.exists()
    [entry] = _entries(org_a)
    assert entry.args == [job.pk, 0] and entry.done_at is None
    assert entry.dedupe_key == f"metric-import:{job.pk}:0"

    _swept(org_a)
    with tenant_context(org_a):
        job.refresh_from_db()
        assert job.status == MetricImport.Status.DONE, job.problems
        assert (job.processed_rows, job.created_values) == (ROWS, ROWS)
        assert MetricValue.objects.count() == ROWS
    links = _entries(org_a)
    assert [e.args[1] for e in links] == [0, 500, 1000, 1500]
    assert all(e.done_at is not None for e in links)
    with tenant_context(org_b):
        assert not OutboxEntry.objects.exists() and not MetricImport.objects.exists()


def test_a_batch_delivered_twice_imports_nothing_twice(org_a, org_b, admin_a, teams_a):
    with redis_unreachable():
        with tenant_context(org_a):
            job = importer.do_start_import(
                "values.csv", _csv() + b"Engagement,Nobody,2026-01,5\n", admin_a
            )
        [first] = _entries(org_a)
        # The first batch is delivered; the next one's delivery is lost with the broker.
        with tenant_context(org_a):
            assert delivery.do_deliver_followup(org_a, first.pk).outcome == "done"
            job.refresh_from_db()
            assert (job.status, job.processed_rows) == ("running", importer.ROWS_PER_BATCH)
            # The batch again (a message redelivered, a row run twice): nothing changes, and the
            # next batch's row is not recorded a second time.
            assert deliver_import_batch(org_a, job.pk, 0) == "already checked"
            OutboxEntry.objects.filter(pk=first.pk).update(done_at=None)
            assert delivery.do_deliver_followup(org_a, first.pk).outcome == "done"
            record_import_batch(job.pk, importer.ROWS_PER_BATCH)
            job.refresh_from_db()
            assert job.processed_rows == importer.ROWS_PER_BATCH and job.problems == []
    assert [e.args[1] for e in _entries(org_a)] == [0, importer.ROWS_PER_BATCH]

    _swept(org_a)
    with tenant_context(org_a):
        job.refresh_from_db()
        # The unknown team on the last row is reported once, and nothing is written.
        assert job.status == MetricImport.Status.REFUSED
        assert [(p["row"], p["column"]) for p in job.problems] == [(ROWS + 2, "team")]
        assert not MetricValue.objects.exists()
        assert deliver_import_batch(org_a, job.pk, ROWS + 1) == "nothing to do"


def test_the_migration_carries_on_an_import_left_waiting_by_the_old_task_chain(
    org_a, org_b, admin_a, teams_a
):
    import importlib
    from types import SimpleNamespace

    from django.db import connection, transaction
    from django.db.migrations.loader import MigrationLoader

    migration = importlib.import_module("measurement.migrations.0011_metric_imports_in_outbox")
    apps = (
        MigrationLoader(connection)
        .project_state(
            [
                ("measurement", "0010_learner_rollup_fillfactor"),
                ("outbox", "0002_row_level_security"),
            ]
        )
        .apps
    )
    with redis_unreachable(), tenant_context(org_a):
        job = importer.do_start_import("values.csv", _csv(), admin_a)
        OutboxEntry.objects.all().delete()  # as before the outbox: a chain of tasks, lost
        MetricImport.objects.filter(pk=job.pk).update(status="running", processed_rows=1000)
    for _ in range(2):  # safe to run again
        with transaction.atomic():  # as a migration runs
            migration.record_pending_imports(apps, SimpleNamespace(connection=connection))
    assert [(e.args, e.dedupe_key) for e in _entries(org_a)] == [
        ([job.pk, 1000], f"metric-import:{job.pk}:1000")
    ]
    _swept(org_a)
    with tenant_context(org_a):
        job.refresh_from_db()
        assert (job.status, job.processed_rows) == ("done", ROWS)
        assert MetricValue.objects.count() == ROWS
