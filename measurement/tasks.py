"""Celery tasks for roll-ups. Each takes ``org_id`` first and runs inside the tenant."""

from __future__ import annotations

import logging

from celery import shared_task

from measurement import services
from measurement.models import LearnerProgressRollup
from organizations.models import Membership, Organization
from organizations.outbox.delivery import derived_rows_only, record_followup
from organizations.tasking import TenantTask
from organizations.tenancy import current_org

logger = logging.getLogger(__name__)

TEAM_METRICS_HANDLER = "measurement.tasks.run_team_metrics_rollup"


@derived_rows_only
def run_progress_rollup(org: Organization, learner_id: int | None = None) -> None:
    """Outbox handler of ``services.queue_progress_rollup``: one learner's roll-up (and their
    team's), or the whole organisation's; the teams' metric roll-up follows through the outbox.
    Runs in the delivery's transaction, so the outbox row is marked done with the rows written."""
    from measurement import impact

    if learner_id is None:
        result = services.do_rollup_progress(org)
        record_followup(TEAM_METRICS_HANDLER)
    else:
        # The teams the learner was counted in (they may have moved): their figures change too.
        earlier = set(
            LearnerProgressRollup.objects.filter(
                learner_id=learner_id, team__isnull=False
            ).values_list("team_id", flat=True)
        )
        result = services.do_rollup_learner_progress(org, learner_id)
        impact.queue_team_rollups_for_learners([learner_id])
        now_in = Membership.objects.filter(pk=learner_id).values_list("team_id", flat=True)
        for team_id in sorted(earlier - set(now_in)):
            impact.queue_team_rollup(team_id)
    logger.info(
        "progress roll-up for org %s (learner %s): %s learners, %s teams",
        org.pk,
        learner_id if learner_id is not None else "all",
        result.learners,
        result.teams,
    )


@derived_rows_only
def run_team_metrics_rollup(org: Organization) -> None:
    """Outbox handler: every team's metric roll-up, after the organisation's progress roll-up."""
    from measurement import impact

    impact.do_rollup_team_metrics()


@shared_task(base=TenantTask, name="measurement.tasks.rollup_progress")
def rollup_progress(org_id: int) -> dict[str, object]:
    from organizations.people import counts as people_counts
    from organizations.people import team_counts
    from pathways.builder import counts as version_counts
    from pathways.cohorts import counts

    org = current_org()
    assert org is not None and org.pk == org_id
    result = services.do_rollup_progress(org)
    counts.repair()  # the cohorts' enrolment counts, kept at write time, checked nightly
    counts.repair_coaches()  # and each coach's coachees
    people_counts.repair()  # and the organisation's people counts
    team_counts.repair()  # and each team's active members
    version_counts.repair()  # and each pathway version's active learners
    logger.info(
        "progress roll-up for org %s: %s learners, %s teams", org_id, result.learners, result.teams
    )
    # The teams' roll-up reads the progress rows just written: recorded with them (outbox), so
    # a broker that fails after this commit delays it and loses nothing.
    record_followup(TEAM_METRICS_HANDLER)
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
        rollup_module_reach.delay(org_id)
    return len(org_ids)


# Modules whose reach is recomputed in one transaction by the nightly run (five statements each
# chunk, whatever its size).
REACH_CHUNK = 500


@shared_task(base=TenantTask, name="measurement.tasks.rollup_module_reach")
def rollup_module_reach(org_id: int) -> dict[str, int]:
    """Nightly: every module's ``ModuleReach`` row recomputed from its facts (learners' events
    and ratings), ``REACH_CHUNK`` modules a transaction. Each fact queues its module's refresh
    when it commits; this picks up a refresh that was given up on and facts written outside the
    services (a data fix), as the nightly progress roll-up does for progress. Idempotent."""
    from pathways.models import Module
    from pathways.services import refresh_module_reach

    ids = list(Module.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), REACH_CHUNK):
        refresh_module_reach(ids[start : start + REACH_CHUNK])
    return {"modules": len(ids)}


IMPORT_BATCH_HANDLER = "measurement.tasks.deliver_import_batch"


def record_import_batch(import_id: int, offset: int) -> None:
    """Record the link of a large metric import that checks rows from ``offset`` (past the last
    row: writes everything or refuses it), in the caller's transaction, keyed by job and
    offset. Must run inside the job's ``tenant_context``."""
    record_followup(
        IMPORT_BATCH_HANDLER,
        import_id,
        offset,
        dedupe_key=f"metric-import:{import_id}:{offset}",
    )


def deliver_import_batch(org: Organization, import_id: int, offset: int) -> str:
    """The outbox handler: one batch of a large metric import. Runs in the delivery's
    transaction, so the batch's problems, its progress, the next batch's outbox row and this
    row's "done" mark commit together. A job gone or finished, or already past ``offset`` (a
    redelivered batch), is left alone; the last link writes everything or refuses it."""
    from measurement import importer
    from measurement.models import MetricImport

    job = MetricImport.objects.select_for_update().filter(pk=import_id).first()
    if job is None or job.status not in {MetricImport.Status.QUEUED, MetricImport.Status.RUNNING}:
        return "nothing to do"
    if offset < job.total_rows:
        if job.processed_rows > offset:
            return "already checked"
        importer.run_import_batch(job, offset)
        record_import_batch(import_id, offset + importer.ROWS_PER_BATCH)
        return "checked"
    return importer.finish_import(job).status


@shared_task(base=TenantTask, name="measurement.tasks.run_metric_import")
def run_metric_import(org_id: int, import_id: int, offset: int) -> str:
    """A batch queued before metric imports moved to the outbox, still in a broker: run it as
    the outbox would (its next batch goes to the outbox)."""
    org = current_org()
    assert org is not None and org.pk == org_id
    return deliver_import_batch(org, import_id, offset)


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
