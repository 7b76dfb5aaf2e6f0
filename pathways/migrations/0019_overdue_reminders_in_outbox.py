"""Overdue reminders are delivered through the shared outbox now, no longer by their own beat
job. A reminder recorded before this change and not yet e-mailed has no outbox row: give it
one, due at once, so the next outbox sweep sends it (the handler sends a reminder once; a
reminder sent meanwhile by a leftover task is skipped).

The rows sit behind row-level security and migrations run as the application role, so on
PostgreSQL each organisation is set in turn, as the tenant context does for a request.
"""

from __future__ import annotations

from django.db import migrations
from django.utils import timezone

HANDLER = "pathways.cohorts.services.deliver_overdue_reminder"


def record_unsent_reminders(apps, schema_editor):
    Organization = apps.get_model("organizations", "Organization")
    OverdueReminder = apps.get_model("pathways", "OverdueReminder")
    OutboxEntry = apps.get_model("outbox", "OutboxEntry")
    postgres = schema_editor.connection.vendor == "postgresql"
    now = timezone.now()
    with schema_editor.connection.cursor() as cursor:
        for org_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
            if postgres:
                cursor.execute("select set_config('app.org_id', %s, true)", [str(org_id)])
            for reminder in OverdueReminder.objects.filter(
                organization_id=org_id, sent_at__isnull=True
            ).order_by("pk"):
                OutboxEntry.objects.get_or_create(
                    organization_id=org_id,
                    dedupe_key=f"overdue-reminder:{reminder.pk}",
                    defaults={
                        "handler": HANDLER,
                        "args": [reminder.pk],
                        # Recorded for later than it was created: overdue at the next sweep.
                        "created_at": reminder.created_at,
                        "run_after": now,
                    },
                )
        if postgres:
            cursor.execute("select set_config('app.org_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [
        ("pathways", "0018_personalisation_rule_source"),
        ("outbox", "0002_row_level_security"),
    ]

    operations = [migrations.RunPython(record_unsent_reminders, migrations.RunPython.noop)]
