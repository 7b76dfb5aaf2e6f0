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
