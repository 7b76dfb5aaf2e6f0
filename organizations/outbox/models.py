"""One table: follow-up work recorded beside the fact that caused it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from organizations.tenancy import TenantModel


class OutboxEntry(TenantModel):
    """Call ``handler(org, *args)`` once, at or after ``run_after``.

    ``dedupe_key`` (unique per organisation when set) makes recording idempotent: recording the
    same key twice keeps the first row, which is how "send this reminder once" is expressed.
    """

    handler = models.CharField(max_length=200, help_text="Dotted path of a function(org, *args).")
    args = models.JSONField(default=list, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    run_after = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "done_at", "run_after"], name="outbox_org_pending_idx"
            ),
            # One handler's pending rows (a learner's roll-up reads its teammates' pending
            # roll-ups), whatever the number of rows of other handlers recorded for later.
            models.Index(
                fields=["organization", "handler"],
                condition=Q(done_at__isnull=True),
                name="outbox_org_pending_handler",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="outbox_org_dedupe_key_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.handler}{tuple(self.args)}"
