"""Large metric value imports run through the shared outbox now, batch by batch, no longer by a
chain of tasks each queueing the next. An import queued or running before this change has no outbox
row: record the link it was waiting for (its next batch, from the rows already checked; past
the last row, the write), due at once, so the next outbox sweep carries it on. A task of the
old chain still in a broker is harmless: a batch already checked is skipped.

The metric imports and outbox rows sit behind row-level security and migrations run as the
application role, so on PostgreSQL each organisation is set in turn.
"""

from __future__ import annotations

from django.db import migrations
from django.utils import timezone

HANDLER = "measurement.tasks.deliver_import_batch"
PENDING = ["queued", "running"]


def record_pending_imports(apps, schema_editor):
    Organization = apps.get_model("organizations", "Organization")
    MetricImport = apps.get_model("measurement", "MetricImport")
    OutboxEntry = apps.get_model("outbox", "OutboxEntry")
    postgres = schema_editor.connection.vendor == "postgresql"
    now = timezone.now()
    with schema_editor.connection.cursor() as cursor:
        for org_id in Organization.objects.filter(is_active=True).values_list("pk", flat=True):
            if postgres:
                cursor.execute("select set_config('app.org_id', %s, true)", [str(org_id)])
            for job in MetricImport.objects.filter(organization_id=org_id, status__in=PENDING):
                offset = job.processed_rows
                OutboxEntry.objects.get_or_create(
                    organization_id=org_id,
                    dedupe_key=f"metric-import:{job.pk}:{offset}",
                    defaults={
                        "handler": HANDLER,
                        "args": [job.pk, offset],
                        # Recorded for later than it was created: overdue at the next sweep.
                        "created_at": job.created_at,
                        "run_after": now,
                    },
                )
        if postgres:
            cursor.execute("select set_config('app.org_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [
        ("measurement", "0010_learner_rollup_fillfactor"),
        ("outbox", "0002_row_level_security"),
    ]

    operations = [migrations.RunPython(record_pending_imports, migrations.RunPython.noop)]
