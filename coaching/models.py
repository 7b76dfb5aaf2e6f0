"""Coaching: conversation templates, engagements, sessions, goals, experiments, journal,
observations, peer feedback, three-way notes, rehearsals and calendar feeds."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.tenancy import TenantModel


class ConversationTemplate(TenantModel):
    title = models.CharField(max_length=200)
    purpose = models.TextField()
    questions = models.TextField(help_text="One question for the coach per line.")
    focus_competencies = models.ManyToManyField(
        "competencies.Competency", through="ConversationFocus", blank=True, related_name="+"
    )
    suggested_timing = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                F("organization"), Lower("title"), name="conversationtpl_unique_title_ci"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def question_list(self) -> list[str]:
        return [line.strip() for line in self.questions.splitlines() if line.strip()]


class ConversationFocus(TenantModel):
    template = models.ForeignKey(ConversationTemplate, on_delete=models.CASCADE, related_name="+")
    competency = models.ForeignKey(
        "competencies.Competency", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "template", "competency"], name="conversationfocus_unique"
            )
        ]


# --- Engagements, sessions and what coaching produces ----------------------------------------
#
# Confidentiality lives here and in ``coaching.queries``: private notes sit on the session and
# are read only through queries that take the reader; journal text is the learner's alone
# unless one entry is shared with their coach; peer feedback belongs to its recipient.

DEFAULT_CONFIDENTIALITY = (
    "What you discuss with your coach stays between the two of you: their private notes are "
    "theirs alone, session summaries, goals and experiments are seen by you and your coach "
    "only, and your journal is yours unless you share an entry. HR and sponsors see counts "
    "(sessions held, hours, attendance, ratings) and never what was said. Three-way notes "
    "with your sponsor are seen by the three of you."
)


class CoachingEngagement(TenantModel):
    """A coach paired with a coachee (usually for a cohort): the coaching agreement."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    coach = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    coachee = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    cohort = models.ForeignKey(
        "pathways.Cohort", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The sponsor in three-way notes (optional): sees those notes, never the rest.
    sponsor = models.ForeignKey(
        "organizations.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sessions_contracted = models.PositiveSmallIntegerField(
        default=6, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    focus_competencies = models.ManyToManyField(
        "competencies.Competency", through="EngagementFocus", blank=True, related_name="+"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    confidentiality = models.TextField(default=DEFAULT_CONFIDENTIALITY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "coach", "coachee", "cohort"],
                name="engagement_unique_pair_cohort",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="engagement_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "coach"], name="engagement_coach"),
            models.Index(fields=["organization", "coachee"], name="engagement_coachee"),
            # The admin's list, newest start first: a page reads its rows in this order and
            # stops, whatever the number of engagements.
            models.Index(
                fields=["organization", "-starts_on", "id"], name="engagement_start_order"
            ),
        ]


class EngagementFocus(TenantModel):
    engagement = models.ForeignKey(CoachingEngagement, on_delete=models.CASCADE, related_name="+")
    competency = models.ForeignKey(
        "competencies.Competency", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "engagement", "competency"], name="engagementfocus_unique"
            )
        ]


class CoachingSession(TenantModel):
    """A 1:1 or group session; scheduled, then logged (held) or cancelled.

    ``private_notes`` are the coach's own; ``shared_summary`` is for the coach and the
    participants. ``uid`` and ``sequence`` identify the calendar event across updates. A 1:1
    session may work on one of the coachee's ``project``s (its page lists the session's date).
    """

    class Kind(models.TextChoices):
        ONE_TO_ONE = "one_to_one", _("1:1")
        GROUP = "group", _("Group")

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        VIDEO = "video", _("Video")
        PHONE = "phone", _("Phone")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    coach = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.ONE_TO_ONE)
    engagement = models.ForeignKey(
        CoachingEngagement, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cohort = models.ForeignKey(
        "pathways.Cohort", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(10), MaxValueValidator(480)]
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.VIDEO)
    location = models.CharField(max_length=300, blank=True)
    conversation_template = models.ForeignKey(
        ConversationTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    capacity = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    actual_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    competencies = models.ManyToManyField(
        "competencies.Competency", through="SessionCompetency", blank=True, related_name="+"
    )
    private_notes = models.TextField(blank=True)
    shared_summary = models.TextField(blank=True)
    logged_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["organization", "coach", "starts_at"], name="session_coach_time"),
            # A coach's sessions still scheduled, by time: coach home's lists (this week's,
            # and those past their time not logged yet) and count, whatever the years of held
            # sessions before them.
            models.Index(
                fields=["organization", "coach", "starts_at"],
                condition=models.Q(status="scheduled"),
                name="session_coach_scheduled",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.minutes)


class SessionCompetency(TenantModel):
    session = models.ForeignKey(CoachingSession, on_delete=models.CASCADE, related_name="+")
    competency = models.ForeignKey(
        "competencies.Competency", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "session", "competency"], name="sessioncompetency_unique"
            )
        ]


class SessionParticipant(TenantModel):
    """A learner in a session: attendance once logged, and their rating of it."""

    class Attendance(models.TextChoices):
        ATTENDED = "attended", _("Attended")
        LATE_CANCELLED = "late_cancelled", _("Late-cancelled")
        NO_SHOW = "no_show", _("No-show")

    session = models.ForeignKey(
        CoachingSession, on_delete=models.CASCADE, related_name="participants"
    )
    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    attendance = models.CharField(max_length=16, choices=Attendance.choices, blank=True)
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "session", "learner"], name="participant_unique"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="participant_rating_1_5",
            ),
        ]
        indexes = [models.Index(fields=["organization", "learner"], name="participant_learner")]


class Goal(TenantModel):
    class Status(models.TextChoices):
        OPEN = "open", _("In progress")
        ACHIEVED = "achieved", _("Achieved")
        DROPPED = "dropped", _("Dropped")

    engagement = models.ForeignKey(CoachingEngagement, on_delete=models.CASCADE, related_name="+")
    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    competency = models.ForeignKey(
        "competencies.Competency",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(max_length=200)
    success_measure = models.CharField(max_length=300)
    target_date = models.DateField()
    progress = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    reflection = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["target_date", "id"]
        indexes = [models.Index(fields=["organization", "learner"], name="goal_learner")]


class Experiment(TenantModel):
    """An action item or an experiment agreed in coaching: "try X at work and see".

    ``where`` is free text; ``project`` optionally links one of the learner's projects.
    """

    class Kind(models.TextChoices):
        EXPERIMENT = "experiment", _("Experiment")
        ACTION = "action", _("Action item")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    engagement = models.ForeignKey(
        CoachingEngagement, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    session = models.ForeignKey(
        CoachingSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.EXPERIMENT)
    hypothesis = models.TextField(blank=True)
    action = models.TextField()
    where = models.CharField(max_length=200, blank=True)
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    what_happened = models.TextField(blank=True)
    learned = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["organization", "learner", "status"], name="experiment_learner")
        ]


class JournalEntry(TenantModel):
    """The learner's private reflection; ``shared_at`` set while shared with their coach."""

    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    prompt = models.CharField(max_length=300, blank=True)
    text = models.TextField()
    competency = models.ForeignKey(
        "competencies.Competency",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    shared_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "learner"], name="journal_learner")]


class ObservationInvite(TenantModel):
    """A learner asks a colleague to observe them (a peer may observe only when invited)."""

    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    peer = models.ForeignKey("organizations.Membership", on_delete=models.CASCADE, related_name="+")
    competency = models.ForeignKey(
        "competencies.Competency",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "learner", "peer"], name="observationinvite_unique"
            )
        ]


class Observation(TenantModel):
    """Level-3 evidence: someone saw the learner show (or not) a behavioural indicator."""

    class ObserverKind(models.TextChoices):
        COACH = "coach", _("Coach")
        PEER = "peer", _("Peer")

    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    observer = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    observer_kind = models.CharField(max_length=6, choices=ObserverKind.choices)
    competency = models.ForeignKey(
        "competencies.Competency", on_delete=models.CASCADE, related_name="+"
    )
    indicator = models.ForeignKey(
        "competencies.BehaviouralIndicator",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    level = models.ForeignKey(
        "competencies.ProficiencyLevel", on_delete=models.PROTECT, related_name="+"
    )
    situation = models.TextField()
    behaviour = models.TextField()
    observed_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-observed_on", "-id"]
        indexes = [models.Index(fields=["organization", "learner"], name="observation_learner")]


class PeerFeedback(TenantModel):
    """After a group session, one participant to another; seen only by its recipient."""

    session = models.ForeignKey(CoachingSession, on_delete=models.CASCADE, related_name="+")
    giver = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    what_worked = models.TextField()
    what_to_try = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "session", "giver", "recipient"],
                name="peerfeedback_unique",
            )
        ]


class ThreeWayNote(TenantModel):
    """Coach, coachee and sponsor on expectations and progress; those three only."""

    engagement = models.ForeignKey(CoachingEngagement, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class Rehearsal(TenantModel):
    """The coach asks the learner to rehearse a scenario; the debrief is shown to the coach
    only while ``consented_at`` is set."""

    engagement = models.ForeignKey(CoachingEngagement, on_delete=models.CASCADE, related_name="+")
    scenario = models.ForeignKey("pathways.Scenario", on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


class CalendarFeed(TenantModel):
    """A person's secret calendar-feed URL (shown to them again on their calendar page, so
    the secret is kept; resetting revokes it)."""

    membership = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    secret = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "secret"], name="calendarfeed_unique_secret"
            )
        ]
