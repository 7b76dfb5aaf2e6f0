"""360 feedback: cycles, items, nominations, rater requests, answers (facts), frozen reports, pulses.

Answers are append-only facts: saving progress adds rows, the latest row per request and item is
the answer. Reports are computed from them once, when the cycle closes, and stored frozen.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.tenancy import TenantModel

SCALE_MIN, SCALE_MAX = 1, 5
# Same anchors at baseline and follow-up: a follow-up copies its baseline's.
DEFAULT_ANCHORS = ["Rarely", "Sometimes", "Often", "Usually", "Almost always"]


class Relationship(models.TextChoices):
    SELF = "self", _("Self")
    MANAGER = "manager", _("Manager")
    PEER = "peer", _("Peers")
    DIRECT_REPORT = "direct_report", _("Direct reports")
    OTHER = "other", _("Others")


# Groups a learner nominates (self is added by the system, one per learner).
NOMINATED_GROUPS = (
    Relationship.MANAGER,
    Relationship.PEER,
    Relationship.DIRECT_REPORT,
    Relationship.OTHER,
)


class Cycle(TenantModel):
    """A 360 round for one cohort. A follow-up points at its baseline and copies its items."""

    class Kind(models.TextChoices):
        BASELINE = "baseline", _("Baseline")
        FOLLOW_UP = "follow_up", _("Follow-up")

    class Status(models.TextChoices):
        NOMINATING = "nominating", _("Nominations open")
        OPEN = "open", _("Collecting answers")
        CLOSED = "closed", _("Closed, reports ready")

    cohort = models.ForeignKey("pathways.Cohort", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.BASELINE)
    baseline = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups"
    )
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOMINATING)
    nominations_close_on = models.DateField(_("nominations close on"))
    responses_close_on = models.DateField(_("answers close on"))
    min_per_group = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    recommended_per_group = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    max_per_group = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    question_1 = models.CharField(max_length=300, blank=True)
    question_2 = models.CharField(max_length=300, blank=True)
    anchors = models.JSONField(default=list)
    # Behaviour pulses between baseline and follow-up: every N weeks, None = no pulses.
    pulse_every_weeks = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(2), MaxValueValidator(26)]
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "cohort"], name="fb_cycle_org_cohort")]

    def __str__(self) -> str:
        return self.title


class Item(TenantModel):
    """One behavioural indicator as a rated item; text frozen at launch."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="items")
    indicator = models.ForeignKey(
        "competencies.BehaviouralIndicator", on_delete=models.PROTECT, related_name="+"
    )
    competency = models.ForeignKey(
        "competencies.Competency", on_delete=models.PROTECT, related_name="+"
    )
    competency_name = models.CharField(max_length=200)
    text = models.CharField(max_length=300)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "cycle", "indicator"], name="fb_item_unique_indicator"
            )
        ]


class NominationState(models.TextChoices):
    """Where a participant's nomination list stands (``Participant.Nominations``)."""

    DRAFT = "draft", _("Being drafted")
    SUBMITTED = "submitted", _("Waiting for approval")
    APPROVED = "approved", _("Approved, invitations sent")


class Participant(TenantModel):
    """A learner rated in a cycle, with their nomination list's state."""

    Nominations = NominationState

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="participants")
    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    nominations = models.CharField(
        max_length=10, choices=Nominations.choices, default=Nominations.DRAFT
    )
    approved_by = models.ForeignKey(
        "organizations.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "cycle", "learner"], name="fb_participant_unique"
            )
        ]
        indexes = [
            # Nominations waiting for a manager's approval (the learner home's next actions):
            # a transient few, whatever the organisation's size.
            models.Index(
                fields=["organization", "learner"],
                condition=models.Q(nominations=NominationState.SUBMITTED),
                name="fb_participant_waiting",
            )
        ]


class Pulse(TenantModel):
    """A short behaviour pulse for one learner between baseline and follow-up."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="pulses")
    number = models.PositiveSmallIntegerField()
    item_ids = models.JSONField(default=list)
    sent_on = models.DateField()
    closes_on = models.DateField()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "participant", "number"], name="fb_pulse_unique_number"
            )
        ]


class RaterRequest(TenantModel):
    """One rater asked to rate one learner (in a cycle, or in a pulse when ``pulse`` is set)."""

    class Status(models.TextChoices):
        NOMINATED = "nominated", _("Nominated")
        INVITED = "invited", _("Invited")
        SUBMITTED = "submitted", _("Answered")
        DECLINED = "declined", _("Declined")

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="requests")
    pulse = models.ForeignKey(
        Pulse, null=True, blank=True, on_delete=models.CASCADE, related_name="requests"
    )
    relationship = models.CharField(max_length=14, choices=Relationship.choices)
    rater = models.ForeignKey(
        "organizations.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NOMINATED)
    invited_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "participant", "email"],
                condition=models.Q(pulse__isnull=True),
                name="fb_request_unique_email",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "participant", "status"], name="fb_req_status")
        ]


class Answer(TenantModel):
    """A rating of one item by one request: a fact, never updated. ``score`` None = not observed.

    The latest row per (request, item) is the answer in force.
    """

    request = models.ForeignKey(RaterRequest, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(SCALE_MIN), MaxValueValidator(SCALE_MAX)],
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["organization", "request"], name="fb_answer_request")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True)
                | models.Q(score__gte=SCALE_MIN, score__lte=SCALE_MAX),
                name="fb_answer_score_on_scale",
            )
        ]


class Comment(TenantModel):
    """An answer to an open question: a fact; the latest per (request, question) is in force."""

    request = models.ForeignKey(RaterRequest, on_delete=models.CASCADE, related_name="comments")
    question = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(2)]
    )
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["organization", "request"], name="fb_comment_request")]


class Report(TenantModel):
    """A learner's report, computed once when the cycle closes and frozen (``data``)."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="reports")
    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    data = models.JSONField()
    computed_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    shared_with_coach = models.BooleanField(default=False)

    class Meta:
        ordering = ["-computed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "participant"], name="fb_report_unique_participant"
            )
        ]
        indexes = [models.Index(fields=["organization", "learner"], name="fb_report_learner")]


class CompetencyScore(TenantModel):
    """One row of a frozen report per competency (what other areas read)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="scores")
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+")
    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    competency = models.ForeignKey(
        "competencies.Competency", on_delete=models.PROTECT, related_name="+"
    )
    self_score = models.FloatField(null=True)
    others_mean = models.FloatField(null=True)
    others_n = models.PositiveIntegerField(default=0)
    change = models.FloatField(null=True)
    rci = models.FloatField(null=True)
    reading = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "report", "competency"], name="fb_score_unique"
            )
        ]
        indexes = [models.Index(fields=["organization", "cycle"], name="fb_score_cycle")]


class CycleCounts(TenantModel):
    """Per cycle, what the list of cycles shows: its learners, the raters invited and the raters
    who answered (the cycle's own requests: not pulses, not the learner's self-assessment).

    Kept by PostgreSQL statement triggers on cycles, participants and rater requests
    (migration 0003), in the same transaction as the change, whatever code makes it (a form,
    a bulk update, the demo), so the list reads one row per cycle instead of counting every
    request. Elsewhere (SQLite) the list counts the requests instead.
    """

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+")
    learners = models.IntegerField(default=0)
    invited = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "cycle"], name="fb_cyclecounts_unique")
        ]
