from __future__ import annotations

from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "measurement.feedback"
    label = "feedback"
    verbose_name = "360 feedback"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from measurement.feedback import queries  # noqa: PLC0415
        from pathways.learning import next_actions

        next_actions.register(
            next_actions.Read(queries.next_actions_statement, queries.next_actions_from)
        )
