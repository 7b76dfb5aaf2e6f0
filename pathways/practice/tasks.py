"""Celery tasks for practice: the daily reminder e-mail, fanned out hourly per organisation."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task

from organizations.models import Organization
from organizations.tasking import TenantTask
from organizations.tenancy import current_org
from pathways.practice import services

logger = logging.getLogger(__name__)


@shared_task(base=TenantTask, name="pathways.practice.tasks.send_practice_reminders")
def send_practice_reminders(org_id: int, now_iso: str | None = None) -> int:
    """Claim and send the reminders that are due now in one organisation (runs in the tenant).

    The 08:00 window is judged by the moment the task runs (``now_iso`` pins it for a manual
    re-run), so a task delayed past a learner's window sends that learner nothing.
    """
    org = current_org()
    assert org is not None and org.pk == org_id
    now = dt.datetime.fromisoformat(now_iso) if now_iso else None
    claimed = services.do_send_practice_reminders(org, now)
    logger.info("practice reminders for org %s: %s claimed", org_id, claimed)
    return claimed


@shared_task(name="pathways.practice.tasks.fan_out_practice_reminders", acks_late=True)
def fan_out_practice_reminders() -> int:
    """Beat job (hourly): one reminder task per active organisation (global table)."""
    org_ids = list(Organization.objects.filter(is_active=True).values_list("pk", flat=True))
    for org_id in org_ids:
        send_practice_reminders.delay(org_id)
    return len(org_ids)
