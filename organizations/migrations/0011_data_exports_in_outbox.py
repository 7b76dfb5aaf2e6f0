"""Data exports are built through the shared outbox now, part by part, no longer by their own
task and re-queue beat job. An export requested before this change and not yet ready has no
outbox row: start it again from its first part, recorded in the outbox of the person's first
active organisation (by slug) and due at once, so the next outbox sweep builds it. An export
of a person in no active organisation is marked failed: asking again builds it at once.

The memberships and outbox rows sit behind row-level security and migrations run as the
application role, so on PostgreSQL each organisation is set in turn.
"""

from __future__ import annotations

from django.db import migrations
from django.utils import timezone

HANDLER = "organizations.gdpr.services.deliver_export_part"
PENDING = ["queued", "running"]


def record_pending_exports(apps, schema_editor):
    Organization = apps.get_model("organizations", "Organization")
    Membership = apps.get_model("organizations", "Membership")
    DataExport = apps.get_model("organizations", "DataExport")
    OutboxEntry = apps.get_model("outbox", "OutboxEntry")
    postgres = schema_editor.connection.vendor == "postgresql"
    now = timezone.now()
    waiting = {e.pk: e for e in DataExport.objects.filter(status__in=PENDING).order_by("pk")}
    with schema_editor.connection.cursor() as cursor:
        for org_id in (
            Organization.objects.filter(is_active=True)
            .order_by("slug")
            .values_list("pk", flat=True)
        ):
            if not waiting:
                break
            if postgres:
                cursor.execute("select set_config('app.org_id', %s, true)", [str(org_id)])
            users = set(
                Membership.objects.filter(
                    organization_id=org_id, user_id__in={e.user_id for e in waiting.values()}
                ).values_list("user_id", flat=True)
            )
            for export in [e for e in waiting.values() if e.user_id in users]:
                _entry, created = OutboxEntry.objects.get_or_create(
                    organization_id=org_id,
                    dedupe_key=f"data-export:{export.pk}:0",
                    defaults={
                        "handler": HANDLER,
                        "args": [export.pk, 0, None],
                        # Recorded for later than it was created: overdue at the next sweep.
                        "created_at": export.created_at,
                        "run_after": now,
                    },
                )
                if created:  # what an old task gathered is left behind: start over
                    DataExport.objects.filter(pk=export.pk).update(
                        status="queued", parts_done=0, parts_total=0, content=None
                    )
                del waiting[export.pk]
        if postgres:
            cursor.execute("select set_config('app.org_id', '', true)")
    DataExport.objects.filter(pk__in=list(waiting)).update(status="failed")


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0010_merge_0007_row_level_security_0009_privacy"),
        ("outbox", "0002_row_level_security"),
    ]

    operations = [migrations.RunPython(record_pending_exports, migrations.RunPython.noop)]
