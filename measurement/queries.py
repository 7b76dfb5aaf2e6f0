"""Dashboard reads: only roll-up tables, a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q, Sum

from measurement import anonymity
from measurement.models import LearnerProgressRollup, TeamProgressRollup
from pathways.models import Cohort, Enrollment

# Aggregates across learners are shown only for cells of at least this many people.
MIN_CELL_SIZE = anonymity.MIN_PEOPLE_PER_CELL


@dataclass(frozen=True)
class TeamCompletion:
    team: str
    learners: int
    finished: int
    mean_completion: float  # 0..1


@dataclass(frozen=True)
class TeamCompletionReport:
    period: dt.date | None
    teams: list[TeamCompletion]
    hidden_teams: int
    computed_at: dt.datetime | None

    @property
    def learners(self) -> int:
        return sum(t.learners for t in self.teams)


def team_completion() -> TeamCompletionReport:
    """Completion by team for the latest roll-up period (2 queries). Teams with fewer than
    MIN_CELL_SIZE learners are dropped, not folded into another figure."""
    latest = TeamProgressRollup.objects.aggregate(period=Max("period"))["period"]
    if latest is None:
        return TeamCompletionReport(period=None, teams=[], hidden_teams=0, computed_at=None)
    rows = list(
        TeamProgressRollup.objects.filter(period=latest)
        .select_related("team")
        .order_by("-mean_completion", "team__name")
    )
    shown = [
        TeamCompletion(r.team.name, r.learners, r.learners_finished, r.mean_completion)
        for r in rows
        if anonymity.cell_is_shown(r.learners)
    ]
    return TeamCompletionReport(
        period=latest,
        teams=shown,
        hidden_teams=len(rows) - len(shown),
        computed_at=max((r.computed_at for r in rows), default=None),
    )


@dataclass(frozen=True)
class CohortHealth:
    """One cohort on the admin's programme-health table.

    ``learners`` counts the active learners enrolled now; the progress figures come from the
    latest progress roll-up, which covers ``counted`` of them (learners added since the last
    roll-up are counted when it next runs, within a minute of the change).
    """

    id: int
    name: str
    pathway: str
    version: int
    start_date: dt.date
    end_date: dt.date | None
    status: str
    learners: int
    counted: int
    not_started: int
    steps_done: int
    steps_total: int
    overdue_steps: int
    learners_overdue: int

    @property
    def percent(self) -> int:
        return round(100 * self.steps_done / self.steps_total) if self.steps_total else 0

    @property
    def pending(self) -> int:
        return max(0, self.learners - self.counted)


@dataclass(frozen=True)
class ProgrammeHealth:
    cohorts: list[CohortHealth]
    period: dt.date | None
    computed_at: dt.datetime | None


def programme_health() -> ProgrammeHealth:
    """Each cohort's size, progress, overdue steps and learners not started (3 queries,
    whatever the number of cohorts and learners).

    Progress is the learners' own definition (required steps after personalisation and
    elective choices, from ``enrollment_views`` via the roll-up), summed over the enrolments of
    the latest roll-up period, which leaves out withdrawn enrolments and deactivated people.
    """
    active = ~Q(enrollments__status=Enrollment.Status.WITHDRAWN) & Q(
        enrollments__learner__is_active=True
    )
    cohorts = list(
        Cohort.objects.select_related("version__pathway")
        .annotate(n_learners=Count("enrollments", filter=active, distinct=True))
        .order_by("-start_date", "name")
    )
    if not cohorts:
        return ProgrammeHealth(cohorts=[], period=None, computed_at=None)
    latest = LearnerProgressRollup.objects.aggregate(period=Max("period"))["period"]
    figures: dict[int, dict[str, int]] = {}
    computed_at = None
    if latest is not None:
        # One table, no joins: the roll-up already leaves out withdrawn enrolments and
        # deactivated people, and is queued again whenever an enrolment changes.
        rows = (
            LearnerProgressRollup.objects.filter(
                period=latest, cohort_id__in=[c.pk for c in cohorts]
            )
            .values("cohort_id")
            .annotate(
                counted=Count("id"),
                not_started=Count("id", filter=Q(steps_done=0)),
                done=Sum("steps_done"),
                total=Sum("steps_total"),
                overdue=Sum("steps_overdue"),
                learners_overdue=Count("id", filter=Q(steps_overdue__gt=0)),
                computed_at=Max("computed_at"),
            )
        )
        for row in rows:
            figures[row["cohort_id"]] = {
                name: int(row[name] or 0)
                for name in (
                    "counted",
                    "not_started",
                    "done",
                    "total",
                    "overdue",
                    "learners_overdue",
                )
            }
            if computed_at is None or row["computed_at"] > computed_at:
                computed_at = row["computed_at"]

    def figure(cohort_id: int, name: str) -> int:
        return figures.get(cohort_id, {}).get(name, 0)

    return ProgrammeHealth(
        cohorts=[
            CohortHealth(
                id=c.pk,
                name=c.name,
                pathway=c.version.pathway.name,
                version=c.version.number,
                start_date=c.start_date,
                end_date=c.end_date,
                status=c.get_status_display(),
                learners=c.n_learners,
                counted=figure(c.pk, "counted"),
                not_started=figure(c.pk, "not_started"),
                steps_done=figure(c.pk, "done"),
                steps_total=figure(c.pk, "total"),
                overdue_steps=figure(c.pk, "overdue"),
                learners_overdue=figure(c.pk, "learners_overdue"),
            )
            for c in cohorts
        ],
        period=latest,
        computed_at=computed_at,
    )
