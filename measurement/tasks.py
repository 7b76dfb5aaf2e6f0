"""Celery tasks for roll-ups. Each takes ``org_id`` first and runs inside the tenant."""

from __future__ import annotations

import logging

from celery import shared_task

from measurement import services
from organizations.models import Organization
from organizations.tasking import TenantTask, enqueue_on_commit
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
    # The teams' roll-up reads the progress rows just written: queued once they commit.
    enqueue_on_commit(rollup_team_metrics, org_id)
    return {"period": result.period.isoformat(), "learners": result.learners, "teams": result.teams}


@shared_task(base=TenantTask, name="measurement.tasks.rollup_learner_progress")
def rollup_learner_progress(org_id: int, learner_id: int) -> dict[str, object]:
    """One learner's roll-up and their team's, queued by a fact about that learner; their team's
    metric roll-up follows through the outbox (debounced)."""
    from measurement import impact

    org = current_org()
    assert org is not None and org.pk == org_id
    result = services.do_rollup_learner_progress(org, learner_id)
    impact.queue_team_rollups_for_learners([learner_id])
    return {"period": result.period.isoformat(), "learners": result.learners, "teams": result.teams}


@shared_task(name="measurement.tasks.fan_out_nightly_rollups", acks_late=True)
def fan_out_nightly_rollups() -> int:
    """Beat job: one roll-up task per active organisation (global table, no tenant needed);
    the progress roll-up queues the teams' roll-up when it commits."""
    org_ids = list(Organization.objects.filter(is_active=True).values_list("pk", flat=True))
    for org_id in org_ids:
        rollup_progress.delay(org_id)
        rollup_impact.delay(org_id)
        rollup_growth.delay(org_id)
    return len(org_ids)


@shared_task(base=TenantTask, name="measurement.tasks.run_metric_import")
def run_metric_import(org_id: int, import_id: int, offset: int) -> str:
    """One batch of a large metric import; the last link writes everything or refuses it."""
    from measurement import importer
    from measurement.models import MetricImport

    job = MetricImport.objects.filter(pk=import_id).first()
    if job is None or job.status not in {MetricImport.Status.QUEUED, MetricImport.Status.RUNNING}:
        return "nothing to do"
    if offset < job.total_rows:
        importer.run_import_batch(job, offset)
        enqueue_on_commit(run_metric_import, org_id, import_id, offset + importer.ROWS_PER_BATCH)
        return "checked"
    return importer.finish_import(job).status


@shared_task(base=TenantTask, name="measurement.tasks.rollup_impact")
def rollup_impact(org_id: int) -> dict[str, object]:
    """Nightly: every cohort's impact, recomputed from facts."""
    from measurement import impact

    result = impact.do_rollup_impact()
    return {"cohorts": result.cohorts, "group_rows": result.group_rows}


@shared_task(base=TenantTask, name="measurement.tasks.rollup_growth")
def rollup_growth(org_id: int) -> dict[str, object]:
    """Nightly: every learner's growth per competency, recomputed from facts (closed pulses
    and any fact whose own roll-up was lost are picked up here)."""
    from measurement.growth.services import do_rollup_growth

    result = do_rollup_growth()
    return {"period": result.period.isoformat(), "learners": result.learners, "rows": result.rows}


@shared_task(base=TenantTask, name="measurement.tasks.rollup_team_metrics")
def rollup_team_metrics(org_id: int) -> dict[str, object]:
    """Every team's metrics, completion, milestones, satisfaction and coaching attendance over
    the last months, recomputed from facts; queued by the nightly progress roll-up."""
    from measurement import impact

    result = impact.do_rollup_team_metrics()
    return {"rows": result.rows, "first": result.first.isoformat(), "last": result.last.isoformat()}
