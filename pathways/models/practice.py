"""Spaced retrieval (FSRS cards and review log), adaptive practice (Elo) and scenario plays."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.tenancy import TenantModel


class ReviewCard(TenantModel):
    """One learner x retrieval item, scheduled by FSRS (UTC)."""

    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    item = models.ForeignKey(
        "pathways.RetrievalItem", on_delete=models.CASCADE, related_name="cards"
    )
    state = models.PositiveSmallIntegerField(
        default=1
    )  # fsrs.State: 1 learning, 2 review, 3 relearning
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField(default=timezone.now)
    last_review = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "learner", "item"], name="reviewcard_unique"
            )
        ]
        indexes = [models.Index(fields=["organization", "learner", "due"], name="reviewcard_due")]


class ReviewLog(TenantModel):
    """Append-only: one row per answered review. ``token`` makes a retried submit a no-op."""

    card = models.ForeignKey(ReviewCard, on_delete=models.CASCADE, related_name="logs")
    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    token = models.CharField(max_length=64)
    rating = models.PositiveSmallIntegerField()  # fsrs.Rating: 1 Again, 2 Hard, 3 Good, 4 Easy
    correct = models.BooleanField(null=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    reviewed_at = models.DateTimeField(default=timezone.now)
    due_before = models.DateTimeField(null=True, blank=True)
    due_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["reviewed_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "token"], name="reviewlog_unique_token")
        ]
        indexes = [
            models.Index(
                fields=["organization", "learner", "reviewed_at"], name="reviewlog_learner"
            )
        ]


class Ability(TenantModel):
    """Elo ability (theta) and BKT p(known) per learner x competency."""

    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    competency = models.ForeignKey(
        "competencies.Competency", on_delete=models.CASCADE, related_name="+"
    )
    theta = models.FloatField(default=0.0)
    updates = models.PositiveIntegerField(default=0)
    p_known = models.FloatField(default=0.2)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "learner", "competency"], name="ability_unique"
            )
        ]


class MasteryEvidence(TenantModel):
    """Append-only: one row per answer and competency whose BKT p(known) the answer updated.

    Written in the same transaction as the update (``pathways.adaptive.do_record_outcomes``),
    so a learner's rows for a competency are exactly the updates behind its estimate, whatever
    the items' and scenarios' competency tags say later. ``source_id`` points at the answer:
    a ReviewLog, the "answered" ActivityEvent of a practice question, or a ScenarioDecision; it
    is not a foreign key because the three live in different tables, and the evidence outlives
    a source deleted with its item or scenario. The unique constraint makes a second write of
    the same answer fail together with its update.
    """

    class Source(models.TextChoices):
        REVIEW = "review", _("Review")
        PRACTICE_QUESTION = "practice_question", _("Practice question")
        SCENARIO_CHOICE = "scenario_choice", _("Scenario choice")

    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    competency = models.ForeignKey(
        "competencies.Competency", on_delete=models.CASCADE, related_name="+"
    )
    source_kind = models.CharField(max_length=20, choices=Source.choices)
    source_id = models.PositiveBigIntegerField()
    correct = models.BooleanField()
    p_known_before = models.FloatField()
    p_known_after = models.FloatField()
    answered_at = models.DateTimeField()  # the answer's own time (review, choice, question)
    created_at = models.DateTimeField(default=timezone.now)  # when this row was written

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "source_kind", "source_id", "competency"],
                name="masteryevidence_unique_source",
            )
        ]
        indexes = [
            models.Index(
                fields=["organization", "learner", "competency"], name="masteryevidence_learner"
            )
        ]


class ScenarioPlay(TenantModel):
    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    scenario = models.ForeignKey(
        "pathways.Scenario", on_delete=models.CASCADE, related_name="plays"
    )
    current_node = models.ForeignKey(
        "pathways.ScenarioNode", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["organization", "learner"], name="scenarioplay_learner")]


class ScenarioDecision(TenantModel):
    """Evidence: the choice a learner made at one step of a play.

    ``sequence`` is the decision's position in the play (1 for the first, 2 for the next, …).
    A learner may come back to a situation (a "try again" loop), so a play can hold several
    decisions at one node; the unique (play, sequence) makes a double-submitted choice for the
    same step a no-op rather than a second decision.
    """

    play = models.ForeignKey(ScenarioPlay, on_delete=models.CASCADE, related_name="decisions")
    sequence = models.PositiveIntegerField()
    node = models.ForeignKey("pathways.ScenarioNode", on_delete=models.CASCADE, related_name="+")
    choice = models.ForeignKey(
        "pathways.ScenarioChoice", on_delete=models.CASCADE, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "play", "sequence"], name="scenariodecision_unique_step"
            )
        ]


class PracticeReminder(TenantModel):
    """The daily practice reminder sent to a learner for one local date (at most one per day).

    The row is claimed before the e-mail goes out; the unique constraint makes overlapping or
    retried runs skip a learner who already has one for that date.
    """

    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    local_date = models.DateField()
    due_count = models.PositiveIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-local_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "learner", "local_date"], name="practicereminder_unique"
            )
        ]
