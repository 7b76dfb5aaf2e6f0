"""Reads for coach pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from measurement.models import LearnerProgressRollup
from measurement.services import period_for
from organizations.models import Membership
from organizations.tenancy import current_org
from pathways.models import Enrollment


@dataclass(frozen=True)
class Coachee:
    enrollment_id: int
    name: str
    email: str
    team: str
    pathway: str
    cohort: str
    status: str
    # From the progress roll-up; None until the learner's first roll-up has run.
    steps_done: int | None = None
    steps_total: int | None = None
    steps_overdue: int = 0

    @property
    def percent(self) -> int | None:
        if not self.steps_total or self.steps_done is None:
            return None
        return round(100 * self.steps_done / self.steps_total)

    @property
    def not_started(self) -> bool:
        return self.steps_done == 0


# How many coachees the "talk to these first" list names; the rest are counted.
ATTENTION_SHOWN = 5


@dataclass(frozen=True)
class Roster:
    coachees: list[Coachee]
    computed_at: dt.datetime | None

    @property
    def attention(self) -> list[Coachee]:
        """Coachees with overdue steps or not started, most overdue first."""
        return sorted(
            (c for c in self.coachees if c.steps_overdue or c.not_started), key=_attention_order
        )

    @property
    def attention_shown(self) -> list[Coachee]:
        return self.attention[:ATTENTION_SHOWN]

    @property
    def attention_more(self) -> int:
        return max(0, len(self.attention) - ATTENTION_SHOWN)

    @property
    def overdue_count(self) -> int:
        return sum(1 for c in self.coachees if c.steps_overdue)

    @property
    def not_started_count(self) -> int:
        return sum(1 for c in self.coachees if c.not_started)

    @property
    def learner_count(self) -> int:
        return len({c.email for c in self.coachees})


def _attention_order(c: Coachee) -> tuple[int, int, str]:
    """Most overdue steps first, then those who have not started, then by name."""
    return (-c.steps_overdue, 0 if c.not_started else 1, c.name.lower())


def coachees_of(coach: Membership) -> Roster:
    """Learners enrolled in the cohorts this coach is assigned to, with their progress from the
    roll-up table for the current period (2 queries whatever their number). The coach sees
    progress and overdue steps, as an admin does; nothing a learner keeps private."""
    enrollments = list(
        Enrollment.objects.filter(cohort__coaches=coach)
        .exclude(status=Enrollment.Status.WITHDRAWN)
        .select_related("learner__user", "learner__team", "cohort", "version__pathway")
        .order_by("learner__user__full_name", "learner__user__email", "id")
    )
    org = current_org()
    progress = (
        {
            row.enrollment_id: row
            for row in LearnerProgressRollup.objects.filter(
                period=period_for(org), enrollment_id__in=[e.pk for e in enrollments]
            )
        }
        if enrollments and org is not None
        else {}
    )
    coachees = []
    for e in enrollments:
        row = progress.get(e.pk)
        coachees.append(
            Coachee(
                enrollment_id=e.pk,
                name=e.learner.user.display_name,
                email=e.learner.user.email,
                team=e.learner.team.name if e.learner.team else "",
                pathway=e.version.pathway.name,
                cohort=e.cohort.name,
                status=e.get_status_display(),
                steps_done=row.steps_done if row else None,
                steps_total=row.steps_total if row else None,
                steps_overdue=row.steps_overdue if row else 0,
            )
        )
    computed = [row.computed_at for row in progress.values()]
    return Roster(coachees=coachees, computed_at=min(computed) if computed else None)
