"""The tenant-aware Celery task base, and queueing for beat fan-outs."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, OperationalError

from organizations.models import Organization
from organizations.tenancy import tenant_context

logger = logging.getLogger(__name__)


class TenantTask(Task):
    """Runs the task body for one organisation: ``task.delay(org_id, *ids)``.

    Opens a transaction and sets both tenancy walls; an organisation that no longer exists (or
    was deactivated) makes the task a logged no-op. Acks late so a killed worker's task is
    redelivered, and retries only transient database errors.
    """

    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = (OperationalError, InterfaceError)
    retry_backoff = True
    retry_backoff_max = 300
    max_retries = 5

    def __call__(self, org_id: int, *args: Any, **kwargs: Any) -> Any:
        try:
            org = Organization.objects.filter(pk=org_id, is_active=True).first()
        except (OperationalError, InterfaceError) as exc:
            # autoretry_for covers the task body only; the lookup before it is retried alike,
            # with the same backoff Celery gives the body.
            countdown = get_exponential_backoff_interval(
                factor=1,
                retries=self.request.retries,
                maximum=self.retry_backoff_max,
                full_jitter=True,
            )
            raise self.retry(exc=exc, countdown=countdown) from exc
        if org is None:
            logger.info("%s: organisation %s no longer exists; nothing to do", self.name, org_id)
            return None
        with tenant_context(org):
            return super().__call__(org_id, *args, **kwargs)


def delay_or_log(task: Task, *args: Any) -> bool:
    """Queue ``task`` now, for a beat-driven fan-out that has no fact behind it (work that a
    fact calls for is recorded in the outbox instead). A broker that cannot be reached is
    logged, never raised: the next beat run queues the work again. Returns whether it was
    queued."""
    try:
        task.apply_async(args=args, retry=False)
    except Exception as exc:  # the broker's own errors (kombu, redis, socket) vary
        logger.warning(
            "%s%s not queued (%s: %s); the next run queues it again",
            task.name,
            args,
            type(exc).__name__,
            exc,
        )
        return False
    return True
