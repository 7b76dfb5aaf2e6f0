"""Small builders shared by the competency tests."""

from __future__ import annotations

from competencies import services
from competencies.models import Framework, StrategicPriority
from organizations.models import Organization
from organizations.tenancy import tenant_context


def build_framework(
    org: Organization,
    n_competencies: int = 3,
    *,
    name: str = "Leadership",
    indicators: int = 2,
    priorities: int = 2,
) -> Framework:
    """A framework with ``n_competencies`` competencies, indicators and priority links."""
    with tenant_context(org):
        framework = services.do_create_framework(None, name, "For every people leader")
        competencies = [
            services.do_create_competency(
                None, framework, f"Competency {i + 1}", f"What {i + 1} means", f"Cat {i % 3}"
            )
            for i in range(n_competencies)
        ]
        for competency in competencies:
            for j in range(indicators):
                services.do_add_indicator(None, competency, f"{competency.name} behaviour {j + 1}")
        existing = StrategicPriority.objects.count()
        for p in range(priorities):
            priority = services.do_create_priority(None, f"Priority {existing + p + 1}", "Why")
            for k, competency in enumerate(competencies):
                if k % priorities == p:
                    services.do_set_alignment(None, priority, competency, 1 + k % 5)
        return framework
