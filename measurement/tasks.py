"""Celery tasks for roll-ups. Each takes ``org_id`` first and runs inside the tenant."""

from __future__ import annotations

import logging

from celery import shared_task

from measurement import services
from organizations.models import Organization
from organizations.tasking import TenantTask
from organizations.tenancy import current_org

logger = logging.getLogger(__name__)


@shared_task(base=TenantTask, name="measurement.tasks.rollup_progress")
def rollup_progress(org_id: int) -> dict[str, object]:
    org = current_org()
    assert org is not None and org.pk == org_id
    result = services.do_rollup_progress(org)
    logger.info(
        "progress roll-up for org %s: %s learners, %s teams", org_id, result.learners, result.teams
    )
    return {"period": result.period.isoformat(), "learners": result.learners, "teams": result.teams}


@shared_task(base=TenantTask, name="measurement.tasks.rollup_learner_progress")
def rollup_learner_progress(org_id: int, learner_id: int) -> dict[str, object]:
    """One learner's roll-up and their team's, queued by a fact about that learner."""
    org = current_org()
    assert org is not None and org.pk == org_id
    result = services.do_rollup_learner_progress(org, learner_id)
    return {"period": result.period.isoformat(), "learners": result.learners, "teams": result.teams}


@shared_task(name="measurement.tasks.fan_out_nightly_rollups", acks_late=True)
def fan_out_nightly_rollups() -> int:
    """Beat job: one roll-up task per active organisation (global table, no tenant needed)."""
    org_ids = list(Organization.objects.filter(is_active=True).values_list("pk", flat=True))
    for org_id in org_ids:
        rollup_progress.delay(org_id)
    return len(org_ids)
