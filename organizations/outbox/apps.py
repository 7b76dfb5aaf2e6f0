from __future__ import annotations

from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "organizations.outbox"
    label = "outbox"
    verbose_name = "Outbox (follow-up work recorded with its fact)"
    default_auto_field = "django.db.models.BigAutoField"
