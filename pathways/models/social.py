"""Personal library and social learning: saved modules, comments, recommendations, mentoring."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.tenancy import TenantModel


class SavedModule(TenantModel):
    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    module = models.ForeignKey("pathways.Module", on_delete=models.CASCADE, related_name="+")
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-saved_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "learner", "module"], name="savedmodule_unique"
            )
        ]


class Comment(TenantModel):
    module = models.ForeignKey("pathways.Module", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        "organizations.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["organization", "module", "created_at"], name="comment_module")
        ]


class Recommendation(TenantModel):
    sender = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    module = models.ForeignKey("pathways.Module", on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "sender", "recipient", "module"],
                name="recommendation_unique",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "recipient"], name="recommendation_recipient")
        ]


class MentoringOffer(TenantModel):
    mentor = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    competency = models.ForeignKey(
        "competencies.Competency", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The mentor chose to show their knowledge estimate on it to colleagues looking for help.
    share_estimate = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "mentor", "competency"], name="mentoringoffer_unique"
            )
        ]


class MentoringRequest(TenantModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Looking for a mentor")
        PROPOSED = "proposed", _("Awaiting the mentor's answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    mentee = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="+"
    )
    competency = models.ForeignKey(
        "competencies.Competency", on_delete=models.CASCADE, related_name="+"
    )
    mentor = models.ForeignKey(
        "organizations.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(max_length=500, blank=True)
    # The mentor's answer when accepting or declining (the mentee's own words stay in ``note``).
    response_note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One live request (open, proposed or accepted) per mentee and competency, the rule
            # do_request_mentor checks; declined and withdrawn ones stay as history.
            models.UniqueConstraint(
                fields=["organization", "mentee", "competency"],
                condition=models.Q(status__in=["open", "proposed", "accepted"]),
                name="mentoring_one_active_request",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "mentee", "status"], name="mentoring_mentee"),
            models.Index(fields=["organization", "mentor", "status"], name="mentoring_mentor"),
        ]
