"""Celery tasks of the outbox: deliver one row, sweep overdue rows per organisation."""

from __future__ import annotations

from celery import shared_task
from django.utils.module_loading import import_string

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


# Jobs carried by follow-ups (large imports) that the sweep marks failed once they have made no
# progress for ``delivery.ABANDONED_AFTER``, so none shows "running" forever and the admin can
# start it again. Each takes no argument, runs in the organisation's context and returns how
# many it marked failed (one query when none is stalled); pages only read the jobs.
STALLED_JOB_CHECKS = (
    "organizations.people.services.fail_stalled_imports",
    "measurement.importer.fail_stalled_imports",
)


@shared_task(base=TenantTask, name="outbox.tasks.requeue_overdue_followups")
def requeue_overdue_followups(org_id: int) -> int:
    """Mark this organisation's stalled jobs failed (their pending rows are abandoned, not
    re-queued), then queue delivery of its overdue rows; returns how many were queued."""
    for check in STALLED_JOB_CHECKS:
        import_string(check)()
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
