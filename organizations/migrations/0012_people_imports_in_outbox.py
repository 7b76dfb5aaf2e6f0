"""Large people imports run through the shared outbox now, batch by batch, no longer by a chain
of tasks each queueing the next. An import queued or running before this change has no outbox
row: record the link it was waiting for (its next batch, from the rows already checked; past
the last row, the write), due at once, so the next outbox sweep carries it on. A task of the
old chain still in a broker is harmless: a batch already checked is skipped.

The import jobs and outbox rows sit behind row-level security and migrations run as the
application role, so on PostgreSQL each organisation is set in turn.
"""

from __future__ import annotations

from django.db import migrations
from django.utils import timezone

HANDLER = "organizations.people.tasks.deliver_import_batch"
PENDING = ["queued", "running"]


def record_pending_imports(apps, schema_editor):
    Organization = apps.get_model("organizations", "Organization")
    ImportJob = apps.get_model("organizations", "ImportJob")
    OutboxEntry = apps.get_model("outbox", "OutboxEntry")
    postgres = schema_editor.connection.vendor == "postgresql"
    now = timezone.now()
    with schema_editor.connection.cursor() as cursor:
        for org_id in Organization.objects.filter(is_active=True).values_list("pk", flat=True):
            if postgres:
                cursor.execute("select set_config('app.org_id', %s, true)", [str(org_id)])
            for job in ImportJob.objects.filter(organization_id=org_id, status__in=PENDING):
                offset = job.processed_rows
                OutboxEntry.objects.get_or_create(
                    organization_id=org_id,
                    dedupe_key=f"people-import:{job.pk}:0:{offset}",
                    defaults={
                        "handler": HANDLER,
                        "args": [job.pk, offset, 0],
                        # Recorded for later than it was created: overdue at the next sweep.
                        "created_at": job.created_at,
                        "run_after": now,
                    },
                )
        if postgres:
            cursor.execute("select set_config('app.org_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0011_data_exports_in_outbox"),
        ("outbox", "0002_row_level_security"),
    ]

    operations = [migrations.RunPython(record_pending_imports, migrations.RunPython.noop)]
