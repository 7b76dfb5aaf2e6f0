"""Celery tasks for cohorts: the e-mails of an admin's reminder to overdue learners."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from organizations.models import Organization
from organizations.tasking import TenantTask
from organizations.tenancy import current_org, tenant_context
from pathways.cohorts import services
from pathways.models import OverdueReminder

logger = logging.getLogger(__name__)

# A reminder still unsent this long after it was recorded lost its task (broker outage,
# killed worker): the beat queues it again.
REQUEUE_AFTER = dt.timedelta(minutes=10)


@shared_task(base=TenantTask, name="pathways.cohorts.tasks.send_overdue_reminder")
def send_overdue_reminder(org_id: int, reminder_id: int) -> int:
    """Send one recorded reminder's e-mails (idempotent: a sent reminder sends nothing)."""
    org = current_org()
    assert org is not None and org.pk == org_id
    sent = services.deliver_overdue_reminder(org, reminder_id)
    logger.info("overdue reminder %s in org %s: %s e-mails", reminder_id, org_id, sent)
    return sent


@shared_task(name="pathways.cohorts.tasks.requeue_unsent_overdue_reminders", acks_late=True)
def requeue_unsent_overdue_reminders() -> int:
    """Beat job: queue again every reminder still unsent after ``REQUEUE_AFTER``, tenant by
    tenant (global organisation table, then each tenant's own rows)."""
    queued = 0
    cutoff = timezone.now() - REQUEUE_AFTER
    for org in Organization.objects.filter(is_active=True):
        with tenant_context(org):
            ids = list(
                OverdueReminder.objects.filter(
                    sent_at__isnull=True, created_at__lt=cutoff
                ).values_list("pk", flat=True)
            )
        for reminder_id in ids:
            send_overdue_reminder.delay(org.pk, reminder_id)
            queued += 1
    return queued
