"""Reads for coach pages."""

from __future__ import annotations

from dataclasses import dataclass

from organizations.models import Membership
from pathways.models import Enrollment


@dataclass(frozen=True)
class Coachee:
    name: str
    email: str
    team: str
    pathway: str
    cohort: str
    status: str


def coachees_of(coach: Membership) -> list[Coachee]:
    """Learners enrolled in the cohorts this coach is assigned to (1 query)."""
    rows = (
        Enrollment.objects.filter(cohort__coaches=coach)
        .exclude(status=Enrollment.Status.WITHDRAWN)
        .select_related("learner__user", "learner__team", "cohort", "version__pathway")
        .order_by("learner__user__full_name", "learner__user__email")
    )
    return [
        Coachee(
            name=e.learner.user.display_name,
            email=e.learner.user.email,
            team=e.learner.team.name if e.learner.team else "",
            pathway=e.version.pathway.name,
            cohort=e.cohort.name,
            status=e.get_status_display(),
        )
        for e in rows
    ]
