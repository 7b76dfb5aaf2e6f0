from __future__ import annotations

from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = "Organisations and people"

    def ready(self) -> None:
        import organizations.accounts.signals  # noqa: F401  (sessions, security events)
        import organizations.profile.signals  # noqa: F401  (the signed-out message)
        from organizations import checks  # noqa: F401  (registers the tenancy system checks)
        from organizations.raw_queries import keep_long_statements

        keep_long_statements()  # psycopg parses the pages' longest statements once
