"""Learner activity facts: completions, practice answers, reactions, the activity log."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from organizations.tenancy import TenantModel


class StepCompletion(TenantModel):
    """Progress fact: a learner completed a step (by step identity). Append-only."""

    enrollment = models.ForeignKey(
        "pathways.Enrollment", on_delete=models.CASCADE, related_name="completions"
    )
    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    step_key = models.UUIDField()
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["completed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "enrollment", "step_key"], name="completion_unique_step"
            )
        ]
        # Completions of one step across learners (the admin home's completions per module)
        # read an index range instead of every completion of the organisation.
        indexes = [models.Index(fields=["organization", "step_key"], name="completion_step")]


class PracticeAnswer(TenantModel):
    """The learner's answer to a module's practice task: evidence, editable by the learner."""

    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    task = models.ForeignKey(
        "pathways.PracticeTask", on_delete=models.CASCADE, related_name="answers"
    )
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "learner", "task"], name="practiceanswer_unique"
            )
        ]


class ModuleReaction(TenantModel):
    """Level-1 reaction: was the module useful and relevant (1-5)?"""

    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    module = models.ForeignKey(
        "pathways.Module", on_delete=models.CASCADE, related_name="reactions"
    )
    useful = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    relevant = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "learner", "module"], name="modulereaction_unique"
            )
        ]
        # A module's ratings (raters and sums, kept in its ``ModuleReach`` row for the admin
        # home's weakest modules and the library's means) are recounted from this index alone:
        # an index-only scan, no visit to the table.
        indexes = [
            models.Index(
                fields=["organization", "module", "useful", "relevant"],
                name="modulereaction_module",
            )
        ]


class ActivityEvent(TenantModel):
    """Append-only learning activity, shaped like an xAPI statement."""

    actor = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    verb = models.CharField(max_length=40)  # completed, answered, passed, experienced, …
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    result = models.JSONField(default=dict, blank=True)  # success, score, duration
    registration = models.ForeignKey(
        "pathways.Enrollment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    timestamp = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(
                fields=["organization", "actor", "-timestamp"], name="activity_actor_time"
            ),
            # The library's reach of a page of modules (learners who opened or completed each):
            # an index range per module, counted from the index alone.
            models.Index(
                fields=["organization", "object_type", "object_id", "verb", "actor"],
                name="activity_object",
            ),
        ]


class ModuleReach(TenantModel):
    """Roll-up of a module's learner facts: how many learners opened it (``experienced``) and
    completed it (from ``ActivityEvent``), how many rated it and the sums of their ratings
    (from ``ModuleReaction``, one per learner), recomputed by the outbox after each fact that
    changes them commits (``pathways.services.queue_module_reach``, recorded in the fact's
    transaction), so the library and the admin home read a row per module whatever the number
    of learners."""

    module = models.ForeignKey("pathways.Module", on_delete=models.CASCADE, related_name="+")
    opened = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    # Level-1 reactions: raters, and the sums of their 1-5 ratings (a mean is sum / ratings).
    ratings = models.PositiveIntegerField(default=0)
    useful_sum = models.PositiveIntegerField(default=0)
    relevant_sum = models.PositiveIntegerField(default=0)

    @property
    def useful(self) -> float | None:
        return self.useful_sum / self.ratings if self.ratings else None

    @property
    def relevant(self) -> float | None:
        return self.relevant_sum / self.ratings if self.ratings else None

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "module"], name="modulereach_unique_module"
            )
        ]


class OverdueReminder(TenantModel):
    """An admin's reminder to a cohort's overdue learners: at most one a day per cohort.

    The row is the fact, written with its audit entry and an outbox follow-up in the admin's
    transaction; the follow-up e-mails the learners once and sets ``sent_at``.
    """

    cohort = models.ForeignKey("pathways.Cohort", on_delete=models.CASCADE, related_name="+")
    sent_by = models.ForeignKey(
        "organizations.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    local_date = models.DateField()  # the organisation's date: the "once a day" it counts
    # [{"membership": id, "steps": ["Step title", …]}, …] as they were when the admin clicked.
    recipients = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "cohort", "local_date"], name="overduereminder_daily"
            )
        ]
