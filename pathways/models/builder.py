"""Versioned pathways with stages and steps, personalisation, cohorts and enrolments."""

from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.tenancy import TenantModel
from pathways import rules
from pathways.models.library import Module


class Pathway(TenantModel):
    """A programme design; its content lives in immutable published versions."""

    name = models.CharField(_("name"), max_length=200)
    purpose = models.TextField(_("purpose"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(F("organization"), Lower("name"), name="pathway_unique_name_ci")
        ]

    def __str__(self) -> str:
        return self.name


class PathwayVersion(TenantModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    target_roles = models.CharField(max_length=300, blank=True)
    competencies = models.ManyToManyField(
        "competencies.Competency", through="VersionCompetency", blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pathway__name", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "pathway", "number"], name="pathwayversion_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.pathway.name} v{self.number}"


class Stage(TenantModel):
    version = models.ForeignKey(PathwayVersion, on_delete=models.CASCADE, related_name="stages")
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                F("organization"), F("version"), Lower("title"), name="stage_unique_title_ci"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Step(TenantModel):
    class Kind(models.TextChoices):
        MODULE = "module", _("Module")
        PROJECT = "project", _("Project")
        COACHING = "coaching", _("Coaching conversation")

    version = models.ForeignKey(PathwayVersion, on_delete=models.CASCADE, related_name="steps")
    stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="steps"
    )
    # Identity of a step across versions: progress follows the key when enrolments move.
    key = models.UUIDField(default=uuid.uuid4, editable=False)
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MODULE)
    module = models.ForeignKey(
        Module, null=True, blank=True, on_delete=models.PROTECT, related_name="steps"
    )
    project_template = models.ForeignKey(
        "projects.ProjectTemplate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    conversation_template = models.ForeignKey(
        "coaching.ConversationTemplate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(max_length=200, blank=True)
    elective_group = models.ForeignKey(
        "ElectiveGroup", null=True, blank=True, on_delete=models.SET_NULL, related_name="steps"
    )
    # Empty means the default prerequisite: the previous step.
    prerequisites = models.ManyToManyField(
        "self", through="StepPrerequisite", symmetrical=False, blank=True, related_name="+"
    )
    available_offset_days = models.PositiveIntegerField(
        default=0, help_text=_("Days after the cohort start when the step opens.")
    )
    due_offset_days = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "version", "key"], name="step_unique_key"
            )
        ]
        indexes = [models.Index(fields=["organization", "version", "position"], name="step_order")]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        target = self.module or self.project_template or self.conversation_template
        return str(target) if target is not None else self.get_kind_display()


class Cohort(TenantModel):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")

    name = models.CharField(max_length=200)
    version = models.ForeignKey(PathwayVersion, on_delete=models.PROTECT, related_name="cohorts")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    coaches = models.ManyToManyField(
        "organizations.Membership",
        through="CohortCoach",
        blank=True,
        related_name="coached_cohorts",
    )
    sponsors = models.ManyToManyField(
        "organizations.Membership",
        through="CohortSponsor",
        blank=True,
        related_name="sponsored_cohorts",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-start_date", "name"]
        constraints = [
            models.UniqueConstraint(F("organization"), Lower("name"), name="cohort_unique_name_ci")
        ]

    def __str__(self) -> str:
        return self.name


class Enrollment(TenantModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="enrollments")
    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="enrollments"
    )
    # The version this learner follows; may differ from the cohort's after a move.
    version = models.ForeignKey(PathwayVersion, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    enrolled_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-enrolled_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "cohort", "learner"], name="enrollment_unique_learner"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "learner"], name="enrollment_learner"),
            # A coach's enrolments and learners counted from this index alone.
            models.Index(
                fields=["organization", "cohort", "learner"],
                condition=~models.Q(status="withdrawn"),
                name="enrollment_cohort_current",
            ),
            # The pathway list's active learners per version: counted from this index alone.
            models.Index(
                fields=["organization", "version"],
                condition=models.Q(status="active"),
                name="enrollment_version_active",
            ),
        ]


class CohortCounts(TenantModel):
    """A cohort's enrolments counted, as its page shows them: every enrolment, the withdrawn
    ones, and the current (not withdrawn) enrolments of people now deactivated.

    Kept by PostgreSQL statement triggers on cohorts, enrolments and memberships (migration
    0027), in the same transaction as the change, whatever code makes it (a form, a bulk
    enrolment, a people import that switches people off, an erasure, the demo), each change
    an ``n = n + delta``, so that two enrolments at once both count. The page and coach home
    read one row a cohort (``pathways.cohorts.counts``) instead of counting every enrolment;
    the nightly roll-up repairs any drift. Elsewhere (SQLite) the enrolments are counted.
    """

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="+")
    enrolments = models.IntegerField(default=0)
    withdrawn = models.IntegerField(default=0)
    # Current enrolments (not withdrawn) of deactivated people.
    inactive = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "cohort"], name="cohortcounts_unique")
        ]


class CoachCounts(TenantModel):
    """A coach's coachees counted: the people with a current (not withdrawn) enrolment in one
    or more of the cohorts they coach, each person once, as coach home shows them.

    Kept by PostgreSQL statement triggers on enrolments and cohort coaches (migration 0029),
    in the same transaction as the change, whatever code makes it: an enrolment, a bulk
    enrolment, a withdrawal or restoration, an enrolment moved or deleted (an erasure, a
    cohort deleted), a coach added to or taken off a cohort. A person is counted once however
    many of the coach's cohorts they are in, so a change counts the coach's people again
    rather than adding a delta: after locking the coach's row, so that two changes at once
    each count what the other committed. The row is made when the coach is first assigned a
    cohort; coach home reads it instead of comparing its cohorts' enrolments, and the nightly
    roll-up repairs any drift. Elsewhere (SQLite) the people are counted.
    """

    coach = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    learners = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "coach"], name="coachcounts_unique")
        ]


class VersionCounts(TenantModel):
    """A pathway version's active enrolments counted, as the pathways list shows them.

    Kept like ``CohortCounts``: PostgreSQL statement triggers on versions and enrolments
    (migration 0028), in the same transaction as the change, whatever code makes it (an
    enrolment, a bulk enrolment, a withdrawal, a completion, a publication that moves the
    learners to the new version, an erasure, the demo), each change an ``n = n + delta``, so
    that two enrolments at once both count. The list reads one row a version
    (``pathways.builder.counts``) instead of counting its learners; the nightly roll-up repairs
    any drift. Elsewhere (SQLite) the enrolments are counted.
    """

    version = models.ForeignKey(PathwayVersion, on_delete=models.CASCADE, related_name="+")
    # Enrolments on this version with status active.
    active = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "version"], name="versioncounts_unique")
        ]


# Explicit link tables: every tenant table carries organization_id (RLS, Citus co-location).
class VersionCompetency(TenantModel):
    version = models.ForeignKey(PathwayVersion, on_delete=models.CASCADE, related_name="+")
    competency = models.ForeignKey(
        "competencies.Competency", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "version", "competency"], name="versioncompetency_unique"
            )
        ]


class CohortCoach(TenantModel):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "cohort", "membership"], name="cohortcoach_unique"
            )
        ]


class CohortSponsor(TenantModel):
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "cohort", "membership"], name="cohortsponsor_unique"
            )
        ]


class ElectiveGroup(TenantModel):
    """ "Choose k of n": the learner picks ``choose`` of the group's steps."""

    version = models.ForeignKey(
        PathwayVersion, on_delete=models.CASCADE, related_name="elective_groups"
    )
    title = models.CharField(max_length=200)
    choose = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                F("organization"),
                F("version"),
                Lower("title"),
                name="electivegroup_unique_title_ci",
            )
        ]

    def __str__(self) -> str:
        return self.title


class StepPrerequisite(TenantModel):
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="prerequisite_links")
    requires = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "step", "requires"], name="stepprerequisite_unique"
            )
        ]


class PersonalisationRule(TenantModel):
    """Keep a step for a learner or skip it, depending on their baseline on a competency.

    "Include only if below" targets learners who need the step; "include only if at least" makes
    it a stretch step for stronger learners. A learner with no baseline keeps the step either way
    (``pathways.rules``).
    """

    class Action(models.TextChoices):
        # The values are the ones pathways.rules decides on, so the two cannot drift apart.
        INCLUDE_IF_BELOW = rules.INCLUDE_IF_BELOW, _("Include only if baseline is below")
        INCLUDE_IF_AT_LEAST = rules.INCLUDE_IF_AT_LEAST, _("Include only if baseline is at least")

    class Source(models.TextChoices):
        SELF_ASSESSMENT = rules.SOURCE_SELF_ASSESSMENT, _("the learner's self-assessment")
        FEEDBACK_360 = rules.SOURCE_360, _("others' ratings in their 360 baseline")

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="rules")
    competency = models.ForeignKey(
        "competencies.Competency", on_delete=models.CASCADE, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.SELF_ASSESSMENT)
    threshold = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(10)]
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "step", "competency", "action", "source", "threshold"],
                name="personalisationrule_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.threshold}"


class SelfAssessment(TenantModel):
    """The enrolment diagnostic: the learner's rating of themselves on one competency."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="self_assessments"
    )
    competency = models.ForeignKey(
        "competencies.Competency", on_delete=models.CASCADE, related_name="+"
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "enrollment", "competency"], name="selfassessment_unique"
            )
        ]


class ElectiveChoice(TenantModel):
    """A learner's pick within an elective group (changeable until the step is started)."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="elective_choices"
    )
    step_key = models.UUIDField()
    chosen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "enrollment", "step_key"], name="electivechoice_unique"
            )
        ]
