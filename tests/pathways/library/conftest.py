"""Helpers for the library tests: competencies and modules inside an organisation."""

from __future__ import annotations

from typing import Any

from competencies.models import Competency, Framework
from organizations.models import Organization
from organizations.tenancy import tenant_context
from pathways.library import services
from pathways.models import Module, Scenario, ScenarioChoice, ScenarioNode


def make_competencies(org: Organization, *names: str) -> list[Competency]:
    with tenant_context(org):
        framework, _ = Framework.objects.get_or_create(name="Leadership")
        return [
            Competency.objects.get_or_create(framework=framework, name=name)[0] for name in names
        ]


def make_module(org: Organization, title: str, **fields: Any) -> Module:
    data = services.ModuleData(
        title=title,
        summary=fields.pop("summary", f"About {title.lower()}."),
        body=fields.pop("body", f"# {title}\n\nA short lesson."),
        **fields,
    )
    with tenant_context(org):
        return services.do_save_module(None, None, data)


def make_tree(
    org: Organization,
    spec: dict[str, list[str] | None],
    start: str | None = "a",
    title: str = "Tree",
) -> Scenario:
    """A scenario from {key: [next keys]} (None = ending); '' as next key = leads nowhere."""
    with tenant_context(org):
        scenario = Scenario.objects.create(title=title)
        nodes = {
            key: ScenarioNode.objects.create(
                scenario=scenario,
                key=key,
                text=f"Situation {key}",
                is_ending=nxt is None,
                debrief="Debrief" if nxt is None else "",
                position=i,
            )
            for i, (key, nxt) in enumerate(spec.items())
        }
        for key, nxt in spec.items():
            for j, target in enumerate(nxt or []):
                ScenarioChoice.objects.create(
                    node=nodes[key],
                    text=f"{key} to {target or 'nowhere'}",
                    next_node=nodes.get(target) if target else None,
                    feedback="Because.",
                    position=j,
                )
        scenario.start_node = nodes.get(start) if start else None
        scenario.save()
        return scenario
