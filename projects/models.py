"""Project templates (running projects build on these)."""

from __future__ import annotations

from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.tenancy import TenantModel


class ProjectTemplate(TenantModel):
    class Scope(models.TextChoices):
        TEAM = "team", _("Team")
        CROSS_FUNCTIONAL = "cross_functional", _("Cross-functional")
        ORGANISATION = "organisation", _("Organisation-wide")

    title = models.CharField(max_length=200)
    brief = models.TextField()
    expected_outcomes = models.TextField(blank=True)
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.TEAM)
    competencies = models.ManyToManyField(
        "competencies.Competency", through="ProjectTemplateCompetency", blank=True, related_name="+"
    )
    sponsor_required = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                F("organization"), Lower("title"), name="projecttemplate_unique_title_ci"
            )
        ]

    def __str__(self) -> str:
        return self.title


class MilestoneTemplate(TenantModel):
    template = models.ForeignKey(
        ProjectTemplate, on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(max_length=200)
    offset_weeks = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["offset_weeks", "id"]


class ProjectTemplateCompetency(TenantModel):
    template = models.ForeignKey(ProjectTemplate, on_delete=models.CASCADE, related_name="+")
    competency = models.ForeignKey(
        "competencies.Competency", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "template", "competency"], name="projecttplcomp_unique"
            )
        ]


# --- Running projects ------------------------------------------------------------------------


class Project(TenantModel):
    """A learner's real piece of work, started from a pathway's project step.

    The charter (title, problem, scope, outcomes, sponsor, functions, stakeholders, milestones)
    is the learner's to edit while the project is a draft or sent back; the sponsor's approval
    fixes it. Decisions are kept as an append-only ``ProjectDecision`` log; ``status`` is the
    current state.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Awaiting approval")
        SENT_BACK = "sent_back", _("Sent back")
        RUNNING = "running", _("Running")
        CLOSING = "closing", _("Awaiting sign-off")
        SIGNED_OFF = "signed_off", _("Signed off")
        CLOSED = "closed", _("Closed")  # no sponsor: the learner's closing report ends it

    template = models.ForeignKey(
        ProjectTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
    cohort = models.ForeignKey(
        "pathways.Cohort", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The pathway step's identity (Step.key): the project completes this step for its learners.
    step_key = models.UUIDField(null=True, blank=True)
    owner = models.ForeignKey(
        "organizations.Membership", on_delete=models.PROTECT, related_name="owned_projects"
    )
    sponsor = models.ForeignKey(
        "organizations.Membership",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sponsored_projects",
    )
    sponsor_required = models.BooleanField(default=False)
    title = models.CharField(max_length=200)
    problem = models.TextField()
    scope = models.CharField(max_length=20, choices=ProjectTemplate.Scope.choices)
    scope_reason = models.TextField(blank=True)
    expected_outcomes = models.TextField()
    functions = models.JSONField(default=list, blank=True)
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    approved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    signed_off_at = models.DateTimeField(null=True, blank=True)
    sponsor_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    sponsor_assessment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "sponsor", "status"], name="project_sponsor"),
            models.Index(fields=["organization", "cohort", "status"], name="project_cohort"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def outcome_lines(self) -> list[str]:
        return [line.strip() for line in self.expected_outcomes.splitlines() if line.strip()]


class ProjectLearner(TenantModel):
    """A learner on the project (the owner and any co-learners from the same cohort)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="learners")
    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="project_places"
    )
    enrollment = models.ForeignKey(
        "pathways.Enrollment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "project", "learner"], name="projectlearner_unique"
            )
        ]
        indexes = [models.Index(fields=["organization", "learner"], name="projectlearner_learner")]


class Stakeholder(TenantModel):
    """Someone who cares about the result: a member, or an outside person by name and e-mail."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="stakeholders")
    membership = models.ForeignKey(
        "organizations.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(max_length=200)
    email = models.EmailField()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                F("organization"), F("project"), Lower("email"), name="stakeholder_unique_email"
            )
        ]


class Milestone(TenantModel):
    """``due_on`` is the current date; ``approved_on`` the date the sponsor approved, which
    "on time" is judged against (a move keeps it; the moves are in ``MilestoneDateChange``)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    due_on = models.DateField()
    approved_on = models.DateField(null=True, blank=True)
    done_on = models.DateField(null=True, blank=True)
    evidence = models.TextField(blank=True)
    evidence_links = models.TextField(blank=True)
    ratings_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "position", "id"]
        indexes = [models.Index(fields=["organization", "project"], name="milestone_project")]

    def __str__(self) -> str:
        return self.title


class MilestoneDateChange(TenantModel):
    """Append-only: a running project's milestone moved, and why."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="moves")
    actor = models.ForeignKey(
        "organizations.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    old_date = models.DateField()
    new_date = models.DateField()
    reason = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class ProjectDecision(TenantModel):
    """Append-only log of the project's decisions: submitted, approved, sent back, closed,
    more asked, signed off — with the person and their comment."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Charter submitted")
        APPROVED = "approved", _("Charter approved")
        SENT_BACK = "sent_back", _("Charter sent back")
        CLOSED = "closed", _("Closing report submitted")
        MORE_ASKED = "more_asked", _("Sponsor asked for more")
        SIGNED_OFF = "signed_off", _("Signed off")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="decisions")
    actor = models.ForeignKey(
        "organizations.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class StatusUpdate(TenantModel):
    """Append-only dated status update with a RAG status."""

    class Rag(models.TextChoices):
        GREEN = "green", _("On track")
        AMBER = "amber", _("At risk")
        RED = "red", _("Off track")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        "organizations.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    on = models.DateField()
    rag = models.CharField(max_length=5, choices=Rag.choices)
    progress = models.TextField()
    tried = models.TextField(blank=True)
    blockers = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-on", "-id"]


class RatingRequest(TenantModel):
    """One stakeholder asked to rate the project once: at a milestone or at the end
    (``milestone`` empty). The e-mailed link names this row; it is used once."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="rating_requests")
    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="requests")
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "stakeholder", "milestone"],
                name="ratingrequest_unique_milestone",
            ),
            models.UniqueConstraint(
                fields=["organization", "stakeholder"],
                condition=models.Q(milestone__isnull=True),
                name="ratingrequest_unique_end",
            ),
        ]


class StakeholderRating(TenantModel):
    """Append-only: one stakeholder's answer to one request (1-5 on three scales)."""

    request = models.ForeignKey(RatingRequest, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="ratings")
    outcome_quality = models.PositiveSmallIntegerField()
    collaboration = models.PositiveSmallIntegerField()
    communication = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "request"], name="stakeholderrating_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome_quality__range=(1, 5))
                & models.Q(collaboration__range=(1, 5))
                & models.Q(communication__range=(1, 5)),
                name="stakeholderrating_scale",
            ),
        ]


class OutcomeResult(TenantModel):
    """At close: what was achieved against one expected outcome."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="outcomes")
    position = models.PositiveSmallIntegerField(default=0)
    expected = models.TextField()
    achieved = models.TextField()

    class Meta:
        ordering = ["position", "id"]


class BenefitClaim(TenantModel):
    """A Phillips benefit claim: annual change in value x isolation % x confidence %.

    The sponsor confirms (optionally adjusting the value down or up), rejects, or excludes it
    as unsupported or extreme; only confirmed claims go on to ROI, at the lower of the two values.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the sponsor")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")
        EXCLUDED = "excluded", _("Excluded")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="claims")
    claimant = models.ForeignKey(
        "organizations.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    measure = models.CharField(max_length=200)
    annual_value = models.DecimalField(max_digits=14, decimal_places=2)
    is_revenue = models.BooleanField(default=False)
    basis = models.TextField()
    isolation_pct = models.DecimalField(max_digits=5, decimal_places=2)
    confidence_pct = models.DecimalField(max_digits=5, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    adjusted_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    excluded_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        "organizations.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(isolation_pct__range=(0, 100))
                & models.Q(confidence_pct__range=(0, 100))
                & models.Q(annual_value__gte=0),
                name="benefitclaim_ranges",
            )
        ]

    @property
    def roi_value(self) -> object:
        """The value that goes on to ROI: the lower of the claimed and the adjusted value."""
        if self.adjusted_value is None:
            return self.annual_value
        return min(self.annual_value, self.adjusted_value)
