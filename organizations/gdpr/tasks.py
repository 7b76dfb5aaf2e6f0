"""Background GDPR work: building a person's export and the nightly retention purge."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from organizations.gdpr import services
from organizations.models import DataExport, Organization
from organizations.tasking import TenantTask, enqueue_on_commit
from organizations.tenancy import current_org


@shared_task(
    name="organizations.gdpr.build_data_export",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def build_data_export(export_id: int) -> None:
    try:
        services.build_export(export_id)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        DataExport.objects.filter(pk=export_id).update(status=DataExport.Status.FAILED)
        raise


# An export still queued after this long lost its task (broker down, worker killed).
STALE_AFTER = dt.timedelta(minutes=5)


@shared_task(name="organizations.gdpr.requeue_stale_exports")
def requeue_stale_exports() -> int:
    """Every few minutes: queue again the exports whose task never ran, so a request recorded
    in PostgreSQL survives a broker outage. Building twice is harmless."""
    stale = list(
        DataExport.objects.filter(
            status__in=[DataExport.Status.QUEUED, DataExport.Status.RUNNING],
            created_at__lt=timezone.now() - STALE_AFTER,
        ).values_list("pk", flat=True)
    )
    for export_id in stale:
        build_data_export.delay(export_id)
    return len(stale)


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
