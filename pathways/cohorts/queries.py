"""Reads for cohort pages and the admin home: plain data, a fixed number of queries.

Progress is counted by step identity: a learner's step is done when a ``StepCompletion`` with
that step's key exists for their enrolment, among the steps of the version they follow. A step
is overdue when its ``due_offset_days`` have passed since the cohort start and it is not done.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef
from django.utils import timezone

from organizations.models import Membership, Role, Team
from pathways.models import (
    Cohort,
    CohortCoach,
    CohortSponsor,
    Enrollment,
    OverdueReminder,
    PathwayVersion,
    Step,
    StepCompletion,
)
from pathways.queries import enrollment_views, enrollments_in_progress

if TYPE_CHECKING:
    from measurement.queries import CohortHealth

LEARNERS_PER_PAGE = 50
WITHDRAWN = Enrollment.Status.WITHDRAWN


@dataclass
class LearnerProgress:
    enrollment_id: int
    membership_id: int
    name: str
    email: str
    team: str
    status: str
    status_label: str
    steps_done: int
    steps_total: int
    overdue: list[str]
    last_activity: dt.datetime | None
    version: int

    @property
    def percent(self) -> int:
        return round(100 * self.steps_done / self.steps_total) if self.steps_total else 0

    @property
    def not_started(self) -> bool:
        return self.status != WITHDRAWN and self.steps_done == 0


@dataclass
class StaffMember:
    membership_id: int
    name: str
    email: str


@dataclass
class CohortDetail:
    cohort: Cohort
    pathway: str
    version: int
    learners: list[LearnerProgress]
    coaches: list[StaffMember]
    sponsors: list[StaffMember]
    active: int
    withdrawn: int
    not_started: int
    overdue_steps: int
    learners_overdue: int
    steps_done: int
    steps_possible: int

    @property
    def percent(self) -> int:
        return round(100 * self.steps_done / self.steps_possible) if self.steps_possible else 0


SHOW_FILTERS = ("all", "not_started", "overdue", "withdrawn")


def cohort_detail(cohort_id: int, today: dt.date | None = None) -> CohortDetail:
    """A cohort with every learner's progress, its coaches and sponsors (11 queries).

    Raises ``Cohort.DoesNotExist`` for an id outside the organisation.
    """
    today = today or timezone.localdate()
    cohort = Cohort.objects.select_related("version__pathway").get(pk=cohort_id)
    enrollments = list(
        Enrollment.objects.filter(cohort=cohort)
        .select_related("learner__user", "learner__team", "version")
        .order_by("learner__user__full_name", "learner__user__email")
    )
    version_ids = {e.version_id for e in enrollments} | {cohort.version_id}
    steps: dict[int, list[Step]] = defaultdict(list)
    for step in Step.objects.filter(version_id__in=version_ids).order_by("position", "id"):
        steps[step.version_id].append(step)
    done: dict[int, set[str]] = defaultdict(set)
    last: dict[int, dt.datetime] = {}
    for enrollment_id, key, when in StepCompletion.objects.filter(
        enrollment__cohort=cohort
    ).values_list("enrollment_id", "step_key", "completed_at"):
        done[enrollment_id].add(str(key))
        if enrollment_id not in last or when > last[enrollment_id]:
            last[enrollment_id] = when
    # Active learners' progress is what they see themselves: required steps after
    # personalisation and electives (pathways.queries.enrollment_views, 5 queries).
    views = {
        view.id: view
        for view in enrollment_views(
            enrollments_in_progress(Enrollment.objects.filter(cohort=cohort)), today
        )
    }
    learners = []
    for e in enrollments:
        version_steps = steps[e.version_id]
        view = views.get(e.pk)
        if view is not None:
            steps_done, steps_total = view.steps_done, view.steps_total
            overdue = [s.title for stage in view.stages for s in stage.steps if s.overdue]
        else:  # withdrawn: what they had done of the version when they left
            keys = {str(s.key) for s in version_steps}
            steps_done, steps_total, overdue = len(done[e.pk] & keys), len(version_steps), []
        learners.append(
            LearnerProgress(
                enrollment_id=e.pk,
                membership_id=e.learner_id,
                name=e.learner.user.full_name or e.learner.user.email,
                email=e.learner.user.email,
                team=e.learner.team.name if e.learner.team else "",
                status=e.status,
                status_label=e.get_status_display(),
                steps_done=steps_done,
                steps_total=steps_total,
                overdue=overdue,
                last_activity=last.get(e.pk),
                version=e.version.number,
            )
        )
    active = [lp for lp in learners if lp.status != WITHDRAWN]

    def staff(model: type[CohortCoach] | type[CohortSponsor]) -> list[StaffMember]:
        return [
            StaffMember(
                link.membership_id,
                link.membership.user.full_name or link.membership.user.email,
                link.membership.user.email,
            )
            for link in model.objects.filter(cohort=cohort)
            .select_related("membership__user")
            .order_by("membership__user__full_name")
        ]

    return CohortDetail(
        cohort=cohort,
        pathway=cohort.version.pathway.name,
        version=cohort.version.number,
        learners=learners,
        coaches=staff(CohortCoach),
        sponsors=staff(CohortSponsor),
        active=len(active),
        withdrawn=len(learners) - len(active),
        not_started=sum(1 for lp in active if lp.not_started),
        overdue_steps=sum(len(lp.overdue) for lp in active),
        learners_overdue=sum(1 for lp in active if lp.overdue),
        steps_done=sum(lp.steps_done for lp in active),
        steps_possible=sum(lp.steps_total for lp in active),
    )


@dataclass(frozen=True)
class ReminderSent:
    """The latest reminder to a cohort's overdue learners, as its page shows it."""

    local_date: dt.date
    learners: int
    sent_at: dt.datetime | None  # None while its e-mails are on their way


def last_overdue_reminder(cohort_id: int) -> ReminderSent | None:
    """The cohort's latest reminder to overdue learners, if any (1 query)."""
    reminder = (
        OverdueReminder.objects.filter(cohort_id=cohort_id).order_by("-local_date", "-id").first()
    )
    if reminder is None:
        return None
    return ReminderSent(
        local_date=reminder.local_date,
        learners=len(reminder.recipients),
        sent_at=reminder.sent_at,
    )


def learners_shown(detail: CohortDetail, show: str) -> list[LearnerProgress]:
    """The detail's learners for the chosen view (no queries)."""
    rows = detail.learners
    if show == "not_started":
        rows = [lp for lp in rows if lp.not_started]
    elif show == "overdue":
        rows = [lp for lp in rows if lp.overdue]
    elif show == "withdrawn":
        rows = [lp for lp in rows if lp.status == WITHDRAWN]
    return rows


def filter_learners(detail: CohortDetail, show: str, page_number: Any) -> Page:
    """One page of the detail's learners for the chosen view (no queries)."""
    return Paginator(learners_shown(detail, show), LEARNERS_PER_PAGE).get_page(page_number)


COHORT_EXPORT_HEADERS = (
    "Cohort",
    "Pathway",
    "Version",
    "Start date",
    "End date",
    "Status",
    "Learners",
    "Learners in the latest roll-up",
    "Steps done",
    "Steps total",
    "Percent done",
    "Overdue steps",
    "Learners overdue",
    "Not started",
)


def cohort_export_rows(cohorts: list[CohortHealth]) -> list[tuple[Any, ...]]:
    """The programme-health table's rows for export (``COHORT_EXPORT_HEADERS``; no queries)."""
    return [
        (
            c.name,
            c.pathway,
            c.version,
            c.start_date,
            c.end_date,
            c.status,
            c.learners,
            c.counted,
            c.steps_done,
            c.steps_total,
            c.percent,
            c.overdue_steps,
            c.learners_overdue,
            c.not_started,
        )
        for c in cohorts
    ]


PROGRESS_EXPORT_HEADERS = (
    "Learner",
    "E-mail",
    "Team",
    "Status",
    "Steps done",
    "Steps total",
    "Percent done",
    "Overdue steps",
    "Last step done (UTC)",
    "Pathway version",
)


def progress_export_rows(detail: CohortDetail, show: str) -> list[tuple[Any, ...]]:
    """The learners of the view as export rows (``PROGRESS_EXPORT_HEADERS``; no queries)."""
    return [
        (
            lp.name,
            lp.email,
            lp.team,
            lp.status_label,
            lp.steps_done,
            lp.steps_total,
            lp.percent,
            "; ".join(lp.overdue),
            lp.last_activity.astimezone(dt.UTC).replace(tzinfo=None) if lp.last_activity else None,
            lp.version,
        )
        for lp in learners_shown(detail, show)
    ]


@dataclass
class Choices:
    teams: list[tuple[int, str]]
    functions: list[str]
    coaches: list[tuple[int, str]]
    sponsors: list[tuple[int, str]]


def cohort_choices() -> Choices:
    """Teams, functions, coaches and sponsors for the cohort page's forms (4 queries)."""

    def people(**role: bool) -> list[tuple[int, str]]:
        return [
            (m.pk, f"{m.user.full_name or m.user.email} ({m.user.email})")
            for m in Membership.objects.filter(is_active=True, **role)
            .select_related("user")
            .order_by("user__full_name", "user__email")
        ]

    return Choices(
        teams=list(Team.objects.order_by("name").values_list("pk", "name")),
        functions=list(
            Membership.objects.exclude(function="")
            .order_by("function")
            .values_list("function", flat=True)
            .distinct()
        ),
        coaches=people(is_coach=True),
        sponsors=people(is_sponsor=True),
    )


@dataclass
class LearnerFilter:
    team: int | None = None
    role: str = ""  # a platform role the learner also holds (coach, sponsor, admin)
    function: str = ""
    job_title: str = ""  # any part of the job title, whatever the capitals


@dataclass(frozen=True)
class MatchedLearner:
    membership_id: int
    email: str


def matching_learners(
    cohort: Cohort, learner_filter: LearnerFilter
) -> tuple[list[MatchedLearner], int]:
    """Active learners matching every filter set: those not yet in the cohort (by e-mail), and
    how many already are (1 query). Withdrawn learners count as already in the cohort; re-add
    them one by one."""
    people = Membership.objects.filter(is_active=True, is_learner=True)
    if learner_filter.team:
        people = people.filter(team_id=learner_filter.team)
    if learner_filter.role in Role.values:
        people = people.filter(**{f"is_{learner_filter.role}": True})
    if learner_filter.function:
        people = people.filter(function=learner_filter.function)
    if learner_filter.job_title.strip():
        people = people.filter(job_title__icontains=learner_filter.job_title.strip())
    rows = list(
        people.annotate(
            enrolled=Exists(Enrollment.objects.filter(cohort=cohort, learner=OuterRef("pk")))
        )
        .order_by("user__email")
        .values_list("pk", "user__email", "enrolled")
    )
    to_add = [MatchedLearner(pk, email) for pk, email, enrolled in rows if not enrolled]
    already = sum(1 for _pk, _email, enrolled in rows if enrolled)
    return to_add, already


def published_versions() -> list[PathwayVersion]:
    return list(
        PathwayVersion.objects.filter(status=PathwayVersion.Status.PUBLISHED)
        .select_related("pathway")
        .order_by("pathway__name", "-number")
    )
