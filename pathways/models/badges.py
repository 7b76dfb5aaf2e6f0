"""Open Badges 2.0: an assertion issued when a learner finishes a pathway."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from organizations.tenancy import TenantModel


class BadgeAssertion(TenantModel):
    """One learner's badge for one finished enrolment. Hosted verification: the assertion,
    its badge class (the pathway) and the issuer (the organisation) are public JSON URLs. The
    recipient is the learner's e-mail hashed with ``salt``; the address itself is never shown.
    Revoking keeps the row (the assertion URL then answers that it is revoked)."""

    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    enrollment = models.ForeignKey(
        "pathways.Enrollment", on_delete=models.CASCADE, related_name="badges"
    )
    learner = models.ForeignKey(
        "organizations.Membership", on_delete=models.CASCADE, related_name="badges"
    )
    pathway = models.ForeignKey("pathways.Pathway", on_delete=models.CASCADE, related_name="+")
    salt = models.CharField(max_length=32)
    identity_hash = models.CharField(max_length=80)  # "sha256$" + hex
    issued_on = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=300, blank=True)
    revoked_by = models.ForeignKey(
        "organizations.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "uid"], name="badge_unique_uid"),
            models.UniqueConstraint(
                fields=["organization", "enrollment"], name="badge_unique_enrollment"
            ),
        ]
        indexes = [models.Index(fields=["organization", "learner"], name="badge_learner")]

    def __str__(self) -> str:
        return f"{self.pathway_id} → {self.learner_id}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
