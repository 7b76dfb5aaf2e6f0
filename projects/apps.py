from __future__ import annotations

from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects"

    def ready(self) -> None:
        from pathways.learning import next_actions
        from projects import queries

        # Charter to finish or fix, a milestone due or late, a closing report due.
        next_actions.register(
            next_actions.Read(queries.next_actions_statement, queries.next_actions_from)
        )
