"""Celery tasks of 360 feedback: compute frozen reports; daily close of due cycles and pulses."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from measurement.feedback import services
from organizations.models import Organization
from organizations.tasking import TenantTask
from organizations.tenancy import current_org


def compute_cycle_reports(org: Organization, cycle_id: int) -> None:
    """Outbox handler recorded when a cycle closes: compute and freeze every report."""
    services.do_compute_reports(org, cycle_id)


@shared_task(base=TenantTask, name="feedback.tasks.daily_feedback")
def daily_feedback(org_id: int) -> str:
    """Close cycles whose window passed (their reports follow) and start due pulses."""
    org = current_org()
    assert org is not None and org.pk == org_id
    today = timezone.localdate()
    closed = services.do_close_due_cycles(today)
    pulses = services.do_send_due_pulses(today)
    return f"closed {len(closed)}, pulses {pulses}"


@shared_task(name="feedback.tasks.fan_out_daily_feedback", acks_late=True)
def fan_out_daily_feedback() -> int:
    """Beat job: one task per active organisation."""
    org_ids = list(Organization.objects.filter(is_active=True).values_list("pk", flat=True))
    for org_id in org_ids:
        daily_feedback.delay(org_id)
    return len(org_ids)
