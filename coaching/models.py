"""Coaching conversation templates (logging sessions builds on these)."""

from __future__ import annotations

from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone

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
