"""Celery tasks of the outbox: deliver one row, sweep overdue rows per organisation."""

from __future__ import annotations

from celery import shared_task

from organizations.models import Organization
from organizations.outbox import delivery
from organizations.tasking import TenantTask
from organizations.tenancy import current_org


# The outcome is written on the row, never read from a result backend: ignoring the result
# keeps the sender from subscribing to it (with Redis down that alone waits 20 seconds).
@shared_task(base=TenantTask, name="outbox.tasks.deliver_followup", ignore_result=True)
def deliver_followup(org_id: int, entry_id: int) -> str:
    org = current_org()
    assert org is not None and org.pk == org_id
    return delivery.do_deliver_followup(org, entry_id).outcome


@shared_task(base=TenantTask, name="outbox.tasks.requeue_overdue_followups")
def requeue_overdue_followups(org_id: int) -> int:
    """Queue delivery of this organisation's overdue rows; returns how many were queued."""
    ids = delivery.overdue_followups()
    for entry_id in ids:
        deliver_followup.delay(org_id, entry_id)
    return len(ids)


@shared_task(name="outbox.tasks.fan_out_outbox_sweep", acks_late=True)
def fan_out_outbox_sweep() -> int:
    """Beat job: one sweep task per active organisation."""
    org_ids = list(Organization.objects.filter(is_active=True).values_list("pk", flat=True))
    for org_id in org_ids:
        requeue_overdue_followups.delay(org_id)
    return len(org_ids)
