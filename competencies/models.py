"""Competency frameworks, proficiency scales, behavioural indicators and strategic priorities."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.tenancy import TenantModel

# A proficiency scale runs 1..n without gaps; fewer than two levels is not a scale, and more than
# ten is more distinctions than a rater can tell apart.
MIN_LEVELS, MAX_LEVELS = 2, 10


class Framework(TenantModel):
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            # Case-insensitive: “Core” and “core” would be the same framework to a reader.
            models.UniqueConstraint(
                F("organization"), Lower("name"), name="framework_unique_name_ci"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ProficiencyLevel(TenantModel):
    """One point of a framework's proficiency scale (default 1-5), with its descriptor."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="levels")
    value = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LEVELS)]
    )
    label = models.CharField(max_length=80)
    descriptor = models.TextField(blank=True)

    class Meta:
        ordering = ["value"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "framework", "value"], name="level_unique_value"
            )
        ]

    def __str__(self) -> str:
        return f"{self.value} – {self.label}"


class Competency(TenantModel):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="competencies")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "competencies"
        constraints = [
            models.UniqueConstraint(
                F("organization"), F("framework"), Lower("name"), name="competency_unique_name_ci"
            )
        ]

    def __str__(self) -> str:
        return self.name


class BehaviouralIndicator(TenantModel):
    """An observable behaviour; becomes a 360 item and a coach observation point."""

    competency = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="indicators")
    text = models.CharField(max_length=300)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class StrategicPriority(TenantModel):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    competencies = models.ManyToManyField(
        Competency, through="PriorityAlignment", related_name="priorities", blank=True
    )

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "strategic priorities"
        constraints = [
            models.UniqueConstraint(
                F("organization"), Lower("title"), name="priority_unique_title_ci"
            )
        ]

    def __str__(self) -> str:
        return self.title


class PriorityAlignment(TenantModel):
    priority = models.ForeignKey(StrategicPriority, on_delete=models.CASCADE, related_name="links")
    competency = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="links")
    weight = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "priority", "competency"], name="alignment_unique_pair"
            )
        ]
