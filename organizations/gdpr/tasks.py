"""Background GDPR work: the nightly retention purge. (A person's export is built through the
outbox, part by part: ``services.deliver_export_part``.)"""

from __future__ import annotations

from celery import shared_task

from organizations.gdpr import services
from organizations.models import Organization
from organizations.tasking import TenantTask, delay_or_log
from organizations.tenancy import current_org


@shared_task(base=TenantTask, name="organizations.gdpr.purge_expired_for_org")
def purge_expired_for_org(org_id: int) -> dict[str, int]:
    org = current_org()
    return services.purge_expired(org) if org is not None else {}


@shared_task(name="organizations.gdpr.fan_out_retention")
def fan_out_retention() -> int:
    """Nightly: one purge task per organisation that set a retention period; returns how many
    were queued."""
    ids = list(
        Organization.objects.filter(is_active=True, retention_days__isnull=False).values_list(
            "pk", flat=True
        )
    )
    # Nothing is recorded by this run (the purge reads the retention setting each night), so
    # nothing is lost when the broker is down: the next night queues every purge again.
    queued = 0
    for org_id in ids:
        if not delay_or_log(purge_expired_for_org, org_id):
            break  # the broker is down: the rest would fail alike
        queued += 1
    return queued
