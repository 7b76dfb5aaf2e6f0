"""For data migrations that move in-flight work into the outbox: give each pending job its
outbox row under the job's organisation.

The jobs and the outbox rows sit behind row-level security and migrations run as the
application role, so on PostgreSQL each organisation is set in turn (transaction-local, as the
middleware does). Only historical models (``apps``) are used, so a migration importing this
keeps working on a fresh database and after the models change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone


@dataclass(frozen=True)
class PendingLink:
    """The outbox row one in-flight job was waiting for."""

    dedupe_key: str
    handler: str
    args: list[Any]
    # When the job was made: the row is recorded "for later than it was created", so the next
    # sweep finds it overdue and delivers it.
    created_at: dt.datetime
    # Called when the row is new (not already recorded by an earlier run of the migration).
    on_recorded: Callable[[], None] | None = None


def record_pending_links(
    apps: Any,
    schema_editor: Any,
    links_of: Callable[[int], Iterable[PendingLink]],
    *,
    order_by: str = "pk",
    until: Callable[[], bool] | None = None,
) -> int:
    """For each active organisation (in ``order_by`` order), in its tenant, record the outbox
    rows ``links_of(org_id)`` names, due now; a row whose dedupe key exists is left as it is,
    so running the migration twice records nothing twice. ``until()`` true stops the walk
    early. Returns how many rows were recorded."""
    Organization = apps.get_model("organizations", "Organization")
    OutboxEntry = apps.get_model("outbox", "OutboxEntry")
    postgres = schema_editor.connection.vendor == "postgresql"
    now = timezone.now()
    recorded = 0
    with schema_editor.connection.cursor() as cursor:
        try:
            for org_id in (
                Organization.objects.filter(is_active=True)
                .order_by(order_by)
                .values_list("pk", flat=True)
            ):
                if until is not None and until():
                    break
                if postgres:
                    cursor.execute("select set_config('app.org_id', %s, true)", [str(org_id)])
                for link in links_of(org_id):
                    _entry, created = OutboxEntry.objects.get_or_create(
                        organization_id=org_id,
                        dedupe_key=link.dedupe_key,
                        defaults={
                            "handler": link.handler,
                            "args": link.args,
                            "created_at": link.created_at,
                            "run_after": now,
                        },
                    )
                    if created:
                        recorded += 1
                        if link.on_recorded is not None:
                            link.on_recorded()
        finally:
            if postgres:
                cursor.execute("select set_config('app.org_id', '', true)")
    return recorded
