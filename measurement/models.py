"""Roll-up tables: recomputed from facts by Celery tasks, upserted, read by dashboards."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from organizations.tenancy import TenantModel


class LearnerProgressRollup(TenantModel):
    """Per learner and enrolment, per period (month start): steps done of steps in scope, and
    the steps in scope whose due date has passed undone (as of ``computed_at``)."""

    enrollment = models.ForeignKey(
        "pathways.Enrollment", on_delete=models.CASCADE, related_name="+"
    )
    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    # The enrolment's cohort, copied so that programme health sums one table without joins.
    # Empty only on rows written before it was recorded; every roll-up rewrites its period.
    cohort = models.ForeignKey(
        "pathways.Cohort", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "organizations.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    period = models.DateField()
    steps_total = models.PositiveIntegerField()
    steps_done = models.PositiveIntegerField()
    steps_overdue = models.PositiveIntegerField(default=0)
    completion = models.FloatField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "enrollment", "period"], name="learnerrollup_unique"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "period", "cohort"], name="learnerrollup_cohort")
        ]


class TeamProgressRollup(TenantModel):
    """Per team, per period: mean completion of its enrolled learners."""

    team = models.ForeignKey("organizations.Team", on_delete=models.CASCADE, related_name="+")
    period = models.DateField()
    learners = models.PositiveIntegerField()
    learners_finished = models.PositiveIntegerField()
    mean_completion = models.FloatField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "team", "period"], name="teamrollup_unique"
            )
        ]
