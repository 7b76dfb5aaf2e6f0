"""Roll-ups: recompute from facts, upsert keyed by (organisation, subject, period)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from measurement.models import LearnerProgressRollup, TeamProgressRollup
from organizations.models import Organization
from organizations.tasking import enqueue_on_commit
from pathways.models import Enrollment
from pathways.queries import enrollment_views, enrollments_in_progress, org_today

# Facts that arrive close together share one roll-up: the first queues it this many seconds
# ahead, later ones see the pending marker and do nothing.
ROLLUP_DEBOUNCE_SECONDS = 30
# Rows per INSERT ... ON CONFLICT statement: 1,000 rollup rows are about 150 kB of SQL.
UPSERT_BATCH = 1000


def period_for(org: Organization, now: dt.datetime | None = None) -> dt.date:
    """The roll-up period containing ``now``: the first day of the month in the org's zone."""
    local = timezone.localtime(now or timezone.now(), timezone=_zone(org))
    return local.date().replace(day=1)


def _zone(org: Organization) -> dt.tzinfo:
    import zoneinfo

    return zoneinfo.ZoneInfo(org.time_zone or "UTC")


def _pending_key(org_id: int) -> str:
    return f"pathwise:rollup-pending:{org_id}"


def queue_progress_rollup(org_id: int) -> None:
    """Queue the organisation's progress roll-up after commit, debounced when a broker runs."""
    from measurement.tasks import rollup_progress

    if settings.CELERY_TASK_ALWAYS_EAGER:
        enqueue_on_commit(rollup_progress, org_id)
    elif cache.add(_pending_key(org_id), 1, timeout=ROLLUP_DEBOUNCE_SECONDS * 4):
        enqueue_on_commit(rollup_progress, org_id, countdown=ROLLUP_DEBOUNCE_SECONDS)


@dataclass(frozen=True)
class RollupResult:
    period: dt.date
    learners: int
    teams: int


def do_rollup_progress(org: Organization, period: dt.date | None = None) -> RollupResult:
    """Recompute per-learner and per-team completion for ``period`` and upsert it.

    Must run inside ``tenant_context(org)``. Idempotent: running it twice leaves the same rows;
    rows for enrolments or teams that no longer qualify are removed.
    """
    cache.delete(_pending_key(org.pk))
    period = period or period_for(org)
    now = timezone.now()
    with transaction.atomic():
        # The learner's own definition of progress: required steps after personalisation and
        # elective choices, so the sponsor's figures match what each learner sees.
        enrollments = enrollments_in_progress(
            Enrollment.objects.filter(learner__is_active=True).select_related("learner")
        )
        views = {view.id: view for view in enrollment_views(enrollments, org_today(now))}
        learner_rows = []
        # Team figures are per person (the minimum cell size counts people, and someone in
        # two pathways must not weigh twice): each learner's completions, grouped by team.
        per_team: dict[int, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
        for enrollment in enrollments:
            enrollment_id = enrollment.pk
            learner_id, team_id = enrollment.learner_id, enrollment.learner.team_id
            view = views[enrollment_id]
            total, n_done = view.steps_total, view.steps_done
            completion = min(1.0, n_done / total) if total else 0.0
            learner_rows.append(
                LearnerProgressRollup(
                    organization_id=org.pk,
                    enrollment_id=enrollment_id,
                    learner_id=learner_id,
                    cohort_id=enrollment.cohort_id,
                    team_id=team_id,
                    period=period,
                    steps_total=total,
                    steps_done=n_done,
                    steps_overdue=len(view.overdue),
                    completion=completion,
                    computed_at=now,
                )
            )
            if team_id is not None:
                per_team[team_id][learner_id].append(completion)
        LearnerProgressRollup.objects.bulk_create(
            learner_rows,
            batch_size=UPSERT_BATCH,
            update_conflicts=True,
            unique_fields=["organization", "enrollment", "period"],
            update_fields=[
                "learner",
                "cohort",
                "team",
                "steps_total",
                "steps_done",
                "steps_overdue",
                "completion",
                "computed_at",
            ],
        )
        LearnerProgressRollup.objects.filter(period=period).exclude(
            enrollment_id__in=[row.enrollment_id for row in learner_rows]
        ).delete()

        team_rows = []
        for team_id, by_learner in per_team.items():
            # A learner's completion is the mean over their enrolments; finished means all done.
            people = [sum(values) / len(values) for values in by_learner.values()]
            team_rows.append(
                TeamProgressRollup(
                    organization_id=org.pk,
                    team_id=team_id,
                    period=period,
                    learners=len(people),
                    learners_finished=sum(
                        1 for values in by_learner.values() if min(values) >= 1.0
                    ),
                    mean_completion=sum(people) / len(people),
                    computed_at=now,
                )
            )
        TeamProgressRollup.objects.bulk_create(
            team_rows,
            batch_size=UPSERT_BATCH,
            update_conflicts=True,
            unique_fields=["organization", "team", "period"],
            update_fields=["learners", "learners_finished", "mean_completion", "computed_at"],
        )
        TeamProgressRollup.objects.filter(period=period).exclude(
            team_id__in=list(per_team)
        ).delete()
    return RollupResult(period=period, learners=len(learner_rows), teams=len(team_rows))
