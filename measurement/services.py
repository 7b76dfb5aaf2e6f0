"""Roll-ups: recompute from facts, upsert keyed by (organisation, subject, period)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from measurement.models import LearnerProgressRollup, TeamProgressRollup
from organizations.models import Membership, Organization, Team
from organizations.relative_dates import org_today, zone_named
from organizations.tenancy import current_org
from pathways.models import Enrollment
from pathways.queries import enrollment_views, enrollments_in_progress

if TYPE_CHECKING:
    from pathways.queries import LoadedEnrollment

# Facts about one learner (or the whole organisation) that arrive within this window share one
# roll-up: one outbox row per learner and window (its dedupe key), run at the window's end.
ROLLUP_DEBOUNCE_SECONDS = 30
# A roll-up runs this long after its window ends, so a fact whose transaction found the window's
# row and committed just after the window closed is still seen by the roll-up.
ROLLUP_GRACE_SECONDS = 5
ROLLUP_HANDLER = "measurement.tasks.run_progress_rollup"
# Rows per INSERT ... ON CONFLICT statement: 1,000 rollup rows are about 150 kB of SQL.
UPSERT_BATCH = 1000


def period_for(org: Organization, now: dt.datetime | None = None) -> dt.date:
    """The roll-up period containing ``now``: the first day of the month in the org's zone."""
    local = timezone.localtime(now or timezone.now(), timezone=zone_named(org.time_zone))
    return local.date().replace(day=1)


def _pending_key(org_id: int, learner_id: int | None = None) -> str:
    """The outbox dedupe key prefix of a pending roll-up (the window number follows)."""
    if learner_id is None:
        return f"progress-rollup:{org_id}"
    return f"progress-rollup:{org_id}:{learner_id}"


def queue_progress_rollup(
    org_id: int, learner_id: int | None = None, now: dt.datetime | None = None
) -> None:
    """Record a progress roll-up in the outbox, in the caller's transaction (the fact's): one
    learner's (a fact about them changed), or the whole organisation's (``learner_id`` None: a
    cohort or pathway version changed). Must run inside ``tenant_context`` of ``org_id``.

    Only PostgreSQL is written here, never Redis or the broker: the fact commits whatever they
    do, and the row commits with the fact or not at all. Facts that arrive close together
    share one row (the dedupe key names the learner and the ``ROLLUP_DEBOUNCE_SECONDS``
    window), delivered at the window's end by a worker or, when the broker was unreachable,
    by the outbox sweep once it is back. Without a broker (tasks run eagerly, ``make run``) the
    roll-up runs once, after commit.
    """
    from organizations.outbox.delivery import record_followup

    org = current_org()
    if org is None or org.pk != org_id:
        raise RuntimeError("queue_progress_rollup must run inside its organisation's context.")
    args = () if learner_id is None else (learner_id,)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        record_followup(ROLLUP_HANDLER, *args)
        return
    now = now or timezone.now()
    window = int(now.timestamp() // ROLLUP_DEBOUNCE_SECONDS)
    run_after = dt.datetime.fromtimestamp(
        (window + 1) * ROLLUP_DEBOUNCE_SECONDS + ROLLUP_GRACE_SECONDS, tz=dt.UTC
    )
    record_followup(
        ROLLUP_HANDLER,
        *args,
        dedupe_key=f"{_pending_key(org_id, learner_id)}:{window}",
        run_after=run_after,
    )


@dataclass(frozen=True)
class RollupResult:
    period: dt.date
    learners: int
    teams: int


def _learner_rows(
    org: Organization, enrollments: list[LoadedEnrollment], period: dt.date, now: dt.datetime
) -> list[LearnerProgressRollup]:
    """One roll-up row per enrolment (4 queries): the learner's own definition of progress,
    required steps after personalisation and elective choices, so the sponsor's figures match
    what each learner sees."""
    views = {view.id: view for view in enrollment_views(enrollments, org_today(now))}
    rows = []
    for enrollment in enrollments:
        view = views[enrollment.pk]
        total, n_done = view.steps_total, view.steps_done
        rows.append(
            LearnerProgressRollup(
                organization_id=org.pk,
                enrollment_id=enrollment.pk,
                learner_id=enrollment.learner_id,
                cohort_id=enrollment.cohort_id,
                team_id=enrollment.learner.team_id,
                period=period,
                steps_total=total,
                steps_done=n_done,
                steps_overdue=len(view.overdue),
                completion=min(1.0, n_done / total) if total else 0.0,
                computed_at=now,
            )
        )
    return rows


def _upsert_learner_rows(rows: list[LearnerProgressRollup]) -> None:
    LearnerProgressRollup.objects.bulk_create(
        rows,
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


def _team_rows(
    org: Organization,
    period: dt.date,
    now: dt.datetime,
    completions: Iterable[tuple[int | None, int, float]],
) -> list[TeamProgressRollup]:
    """Team rows from ``(team_id, learner_id, completion)`` per enrolment. Team figures are per
    person (the minimum cell size counts people, and someone in two pathways must not weigh
    twice): a learner's completion is the mean over their enrolments; finished means all done."""
    per_team: dict[int, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for team_id, learner_id, completion in completions:
        if team_id is not None:
            per_team[team_id][learner_id].append(completion)
    rows = []
    for team_id, by_learner in per_team.items():
        people = [sum(values) / len(values) for values in by_learner.values()]
        rows.append(
            TeamProgressRollup(
                organization_id=org.pk,
                team_id=team_id,
                period=period,
                learners=len(people),
                learners_finished=sum(1 for values in by_learner.values() if min(values) >= 1.0),
                mean_completion=sum(people) / len(people),
                computed_at=now,
            )
        )
    return rows


def _upsert_team_rows(rows: list[TeamProgressRollup]) -> None:
    TeamProgressRollup.objects.bulk_create(
        rows,
        batch_size=UPSERT_BATCH,
        update_conflicts=True,
        unique_fields=["organization", "team", "period"],
        update_fields=["learners", "learners_finished", "mean_completion", "computed_at"],
    )


def _rewrite_rows(
    org: Organization, period: dt.date, learner_ids: set[int] | None, team_ids: list[int] | None
) -> RollupResult:
    """Recompute and upsert the rows of ``learner_ids`` and of ``team_ids`` (None: every
    learner, every team), and delete the rows in that scope that no longer qualify (a
    withdrawn enrolment, a deactivated learner, an emptied team). Every member of ``team_ids``
    must be among ``learner_ids``: a team's row is computed from the learner rows just made."""
    now = timezone.now()
    enrollments = Enrollment.objects.filter(learner__is_active=True).select_related("learner")
    old_learner_rows = LearnerProgressRollup.objects.filter(period=period)
    old_team_rows = TeamProgressRollup.objects.filter(period=period)
    if learner_ids is not None:
        enrollments = enrollments.filter(learner_id__in=learner_ids)
        old_learner_rows = old_learner_rows.filter(learner_id__in=learner_ids)
    if team_ids is not None:
        old_team_rows = old_team_rows.filter(team_id__in=team_ids)

    learner_rows = _learner_rows(org, enrollments_in_progress(enrollments), period, now)
    _upsert_learner_rows(learner_rows)
    old_learner_rows.exclude(enrollment_id__in=[row.enrollment_id for row in learner_rows]).delete()
    team_rows = _team_rows(
        org,
        period,
        now,
        (
            (r.team_id, r.learner_id, r.completion)
            for r in learner_rows
            if team_ids is None or r.team_id in team_ids
        ),
    )
    _upsert_team_rows(team_rows)
    old_team_rows.exclude(team_id__in=[row.team_id for row in team_rows]).delete()
    return RollupResult(period=period, learners=len(learner_rows), teams=len(team_rows))


def do_rollup_progress(org: Organization, period: dt.date | None = None) -> RollupResult:
    """Recompute per-learner and per-team completion for ``period`` and upsert it.

    Must run inside ``tenant_context(org)``. Idempotent: running it twice leaves the same rows;
    rows for enrolments or teams that no longer qualify are removed.
    """
    cache.delete(_pending_key(org.pk))
    with transaction.atomic():
        return _rewrite_rows(org, period or period_for(org), None, None)


def do_rollup_learner_progress(
    org: Organization, learner_id: int, period: dt.date | None = None
) -> RollupResult:
    """Recompute, for ``period``, the rows of one learner and of everyone in the teams they are
    or were counted in, and those teams' rows: what a fact about one learner changes, in a time
    that grows with their team, not with the organisation. Gives the rows ``do_rollup_progress``
    gives for them.

    The whole team is recomputed, not read back, so a team's figure never rests on rows that
    were not written yet (someone enrolled since the last roll-up). Must run inside
    ``tenant_context(org)``. Locks the affected teams (in primary-key order), so two roll-ups
    for one team serialise and the later one sees the earlier one's facts. A learner who left
    or was deactivated loses their rows.
    """
    cache.delete(_pending_key(org.pk, learner_id))
    period = period or period_for(org)
    with transaction.atomic():
        learner = Membership.objects.filter(pk=learner_id).only("team_id", "is_active").first()
        current_team = learner.team_id if learner is not None and learner.is_active else None
        earlier_teams = set(
            LearnerProgressRollup.objects.filter(
                period=period, learner_id=learner_id, team__isnull=False
            ).values_list("team_id", flat=True)
        )
        team_ids = sorted(earlier_teams | ({current_team} if current_team else set()))
        list(Team.objects.select_for_update().filter(pk__in=team_ids).order_by("pk"))

        # Everyone counted in these teams now or at the last roll-up, and the learner.
        scope = {learner_id}
        if team_ids:
            scope.update(
                Membership.objects.filter(team_id__in=team_ids).values_list("pk", flat=True)
            )
            scope.update(
                LearnerProgressRollup.objects.filter(
                    period=period, team_id__in=team_ids
                ).values_list("learner_id", flat=True)
            )
        return _rewrite_rows(org, period, scope, team_ids)
