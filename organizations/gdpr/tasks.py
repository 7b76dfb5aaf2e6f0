"""Background GDPR work: the nightly retention purge. (A person's export is built through the
outbox, part by part: ``services.deliver_export_part``.)"""

from __future__ import annotations

from celery import shared_task

from organizations.gdpr import services
from organizations.models import Organization
from organizations.tasking import TenantTask, enqueue_on_commit
from organizations.tenancy import current_org


@shared_task(base=TenantTask, name="organizations.gdpr.purge_expired_for_org")
def purge_expired_for_org(org_id: int) -> dict[str, int]:
    org = current_org()
    return services.purge_expired(org) if org is not None else {}


@shared_task(name="organizations.gdpr.fan_out_retention")
def fan_out_retention() -> int:
    """Nightly: one purge task per organisation that set a retention period."""
    ids = list(
        Organization.objects.filter(is_active=True, retention_days__isnull=False).values_list(
            "pk", flat=True
        )
    )
    for org_id in ids:
        enqueue_on_commit(purge_expired_for_org, org_id)
    return len(ids)
