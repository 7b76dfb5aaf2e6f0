"""Redis down: a large people import is still accepted. The job and the outbox row of its first
batch commit together; each batch commits its progress and the next batch's row; the outbox
sweep carries the import on once the broker is back, and a batch delivered twice imports
nothing twice. Invitation e-mails likewise wait in the outbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from freezegun import freeze_time

from organizations.models import AuditEntry, ImportJob, Membership, Team
from organizations.outbox import delivery
from organizations.outbox.models import OutboxEntry
from organizations.outbox.tasks import requeue_overdue_followups
from organizations.people import services
from organizations.people.tasks import (
    IMPORT_BATCH_HANDLER,
    INVITATIONS_HANDLER,
    ROWS_PER_BATCH,
    deliver_import_batch,
    record_import_batch,
)
from organizations.tenancy import tenant_context
from tests.conftest import make_member
from tests.organizations.outbox.brokers import redis_unreachable

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "email,name,title,function,team,manager_email,roles"
ROWS = 1200  # three batches, then the write


def _large_file(n: int = ROWS) -> str:
    lines = [HEADER, "lead@big.example,Lead Person,Director,Operations,Ops,,learner;coach"]
    lines += [
        f"p{i:05d}@big.example,Person {i},Team Lead,Operations,Ops {i % 3},lead@big.example,learner"
        for i in range(1, n)
    ]
    return "\n".join(lines) + "\n"


def _entries(org):
    with tenant_context(org):
        return list(OutboxEntry.objects.filter(handler=IMPORT_BATCH_HANDLER).order_by("pk"))


def _swept(org):
    """The broker is back (tasks run again; eagerly here) and the beat sweep runs once the lost
    deliveries are overdue."""
    with freeze_time(timezone.now() + delivery.REDELIVER_AFTER + dt.timedelta(seconds=5)):
        requeue_overdue_followups.delay(org.pk)


def test_a_large_import_is_confirmed_during_a_redis_outage_and_finished_by_the_sweep(
    client, org_a, org_b
):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    client.force_login(admin.user)
    base = f"/o/{org_a.slug}/people/import/"
    with redis_unreachable():
        upload = client.post(base, {"file": _upload(_large_file())})
        assert upload.status_code == 302
        job_url = upload["Location"]
        confirm = client.post(f"{job_url}confirm/", follow=True)
        assert confirm.status_code == 200
        assert "running in the background" in confirm.content.decode()
    with tenant_context(org_a):
        job = ImportJob.objects.get()
        assert (job.status, job.total_rows, job.processed_rows) == ("queued", ROWS, 0)
        assert Membership.objects.count() == 1
    [entry] = _entries(org_a)
    assert entry.args == [job.pk, 0, 1] and entry.done_at is None
    assert entry.dedupe_key == f"people-import:{job.pk}:1:0"

    _swept(org_a)
    with tenant_context(org_a):
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE, job.problems
        assert job.processed_rows == ROWS
        assert Membership.objects.count() == ROWS + 1
        assert Team.objects.count() == 4
    links = _entries(org_a)
    assert [e.args[1] for e in links] == [0, 500, 1000, 1500]
    assert all(e.done_at is not None for e in links)
    with tenant_context(org_b):
        assert not OutboxEntry.objects.exists() and not Membership.objects.exists()


def test_a_batch_delivered_twice_imports_nothing_twice(org_a, org_b):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    with tenant_context(org_a):
        job, _plan = services.do_preview_import(admin.user, "hris.csv", _large_file())
    with redis_unreachable():
        with tenant_context(org_a):
            services.do_confirm_import(admin.user, job)
        [first] = _entries(org_a)
        # The first batch is delivered; the next one's delivery is lost with the broker.
        with tenant_context(org_a):
            assert delivery.do_deliver_followup(org_a, first.pk).outcome == "done"
            job.refresh_from_db()
            assert (job.status, job.processed_rows) == ("running", ROWS_PER_BATCH)
            checked = list(job.problems)
            # The same batch again (a message redelivered, a row run twice): nothing changes,
            # and the next batch's row is not recorded a second time.
            assert deliver_import_batch(org_a, job.pk, 0, 1) == "already checked"
            OutboxEntry.objects.filter(pk=first.pk).update(done_at=None)
            assert delivery.do_deliver_followup(org_a, first.pk).outcome == "done"
            record_import_batch(job.pk, ROWS_PER_BATCH, 1)
            job.refresh_from_db()
            assert (job.processed_rows, job.problems) == (ROWS_PER_BATCH, checked)
    assert [e.args[1] for e in _entries(org_a)] == [0, ROWS_PER_BATCH]

    _swept(org_a)
    with tenant_context(org_a):
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE
        assert Membership.objects.count() == ROWS + 1
        imported = AuditEntry.objects.filter(action="imported").count()
        # The final write delivered again: the job is done, nothing is written twice.
        final = OutboxEntry.objects.filter(handler=IMPORT_BATCH_HANDLER).order_by("pk").last()
        assert deliver_import_batch(org_a, job.pk, final.args[1], 1) == "nothing to do"
        assert AuditEntry.objects.filter(action="imported").count() == imported == 1
        assert Membership.objects.count() == ROWS + 1


def test_a_failed_import_confirmed_again_starts_a_new_run(org_a, org_b):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    with tenant_context(org_a):
        job, _plan = services.do_preview_import(admin.user, "hris.csv", _large_file(600))
    with redis_unreachable(), tenant_context(org_a):
        services.do_confirm_import(admin.user, job)
    _swept(org_a)
    with tenant_context(org_a):
        # As if the write had failed (the organisation changed under the file): undo it.
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED)
        job.refresh_from_db()
    with redis_unreachable(), tenant_context(org_a):
        services.do_confirm_import(admin.user, job)
    runs = [(e.args[2], e.args[1], e.done_at is None) for e in _entries(org_a)]
    assert runs == [(1, 0, False), (1, 500, False), (1, 1000, False), (2, 0, True)]
    _swept(org_a)
    with tenant_context(org_a):
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE and job.processed_rows == 600


def _upload(content: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("hris.csv", content.encode(), content_type="text/csv")


def test_invitations_are_recorded_during_a_redis_outage_and_sent_by_the_sweep(
    client, org_a, org_b, mailoutbox
):
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    content = "email,name\n" + "".join(f"p{i}@acme.example,Person {i}\n" for i in range(120))
    with tenant_context(org_a):
        job, _ = services.do_preview_import(admin.user, "p.csv", content)
        services.do_confirm_import(admin.user, job)  # added, without a password
    client.force_login(admin.user)
    with redis_unreachable():
        response = client.post(f"/o/{org_a.slug}/people/invite-all/")
        assert response.status_code == 302
    assert mailoutbox == []
    with tenant_context(org_a):
        batches = list(OutboxEntry.objects.filter(handler=INVITATIONS_HANDLER).order_by("pk"))
    assert [len(e.args[0]) for e in batches] == [100, 20]
    _swept(org_a)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(f"p{i}@acme.example" for i in range(120))
    _swept(org_a)  # delivered rows are not delivered again
    assert len(mailoutbox) == 120


def _migration_apps():
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    nodes = [
        ("organizations", "0011_data_exports_in_outbox"),
        ("outbox", "0002_row_level_security"),
    ]
    return MigrationLoader(connection).project_state(nodes).apps


def test_the_migration_carries_on_an_import_left_waiting_by_the_old_task_chain(org_a, org_b):
    import importlib
    from types import SimpleNamespace

    from django.db import connection, transaction

    migration = importlib.import_module("organizations.migrations.0012_people_imports_in_outbox")
    apps = _migration_apps()
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    with tenant_context(org_a):
        job, _plan = services.do_preview_import(admin.user, "hris.csv", _large_file())
        # Left by the old chain: the first batch checked, its next task lost with the broker.
        ImportJob.objects.filter(pk=job.pk).update(status="running", processed_rows=500)
        done, _plan = services.do_preview_import(admin.user, "old.csv", _large_file(10))
        ImportJob.objects.filter(pk=done.pk).update(status="done")
    for _ in range(2):  # safe to run again
        with transaction.atomic():  # as a migration runs
            migration.record_pending_imports(apps, SimpleNamespace(connection=connection))
    assert [(e.args, e.dedupe_key) for e in _entries(org_a)] == [
        ([job.pk, 500, 0], f"people-import:{job.pk}:0:500")
    ]
    _swept(org_a)
    with tenant_context(org_a):
        job.refresh_from_db()
        assert (job.status, job.processed_rows) == ("done", ROWS)
        assert Membership.objects.count() == ROWS + 1
    with tenant_context(org_b):
        assert not OutboxEntry.objects.exists()
