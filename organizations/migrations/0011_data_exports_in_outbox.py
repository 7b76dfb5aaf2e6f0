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

from organizations.outbox.migrating import PendingLink, record_pending_links

HANDLER = "organizations.gdpr.services.deliver_export_part"
PENDING = ["queued", "running"]


def record_pending_exports(apps, schema_editor):
    Membership = apps.get_model("organizations", "Membership")
    DataExport = apps.get_model("organizations", "DataExport")
    waiting = {e.pk: e for e in DataExport.objects.filter(status__in=PENDING).order_by("pk")}

    def start_over(export_id):
        # What an old task gathered is left behind: start over.
        return lambda: DataExport.objects.filter(pk=export_id).update(
            status="queued", parts_done=0, parts_total=0, content=None
        )

    def links_of(org_id):
        users = set(
            Membership.objects.filter(
                organization_id=org_id, user_id__in={e.user_id for e in waiting.values()}
            ).values_list("user_id", flat=True)
        )
        links = []
        for export in [e for e in waiting.values() if e.user_id in users]:
            links.append(
                PendingLink(
                    f"data-export:{export.pk}:0",
                    HANDLER,
                    [export.pk, 0, None],
                    export.created_at,
                    on_recorded=start_over(export.pk),
                )
            )
            del waiting[export.pk]  # its home: the first active organisation by slug
        return links

    record_pending_links(apps, schema_editor, links_of, order_by="slug", until=lambda: not waiting)
    DataExport.objects.filter(pk__in=list(waiting)).update(status="failed")


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0010_merge_0007_row_level_security_0009_privacy"),
        ("outbox", "0002_row_level_security"),
    ]

    operations = [migrations.RunPython(record_pending_exports, migrations.RunPython.noop)]
