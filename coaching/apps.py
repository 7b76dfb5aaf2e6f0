from __future__ import annotations

from django.apps import AppConfig


class CoachingConfig(AppConfig):
    name = "coaching"
    verbose_name = "Coaching"

    def ready(self) -> None:
        from coaching import queries
        from pathways.learning import next_actions

        # Experiments due and sessions to rate compete with the learner's pathway steps.
        next_actions.register(
            next_actions.Read(queries.next_actions_statement, queries.next_actions_from)
        )
