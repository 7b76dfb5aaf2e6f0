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

from organizations.outbox.migrating import PendingLink, record_pending_links

HANDLER = "measurement.tasks.deliver_import_batch"
PENDING = ["queued", "running"]


def record_pending_imports(apps, schema_editor):
    MetricImport = apps.get_model("measurement", "MetricImport")

    def links_of(org_id):
        for job in MetricImport.objects.filter(organization_id=org_id, status__in=PENDING).only(
            "pk", "processed_rows", "created_at"
        ):
            offset = job.processed_rows
            yield PendingLink(
                f"metric-import:{job.pk}:{offset}", HANDLER, [job.pk, offset], job.created_at
            )

    record_pending_links(apps, schema_editor, links_of)


class Migration(migrations.Migration):
    dependencies = [
        ("measurement", "0010_learner_rollup_fillfactor"),
        ("outbox", "0002_row_level_security"),
    ]

    operations = [migrations.RunPython(record_pending_imports, migrations.RunPython.noop)]
