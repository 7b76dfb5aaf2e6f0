"""Builders for pathway-builder tests: competencies, library items and a draft with content."""

from __future__ import annotations

from dataclasses import dataclass

from coaching.models import ConversationTemplate
from competencies.models import Competency, Framework, ProficiencyLevel
from organizations.models import Organization
from organizations.tenancy import tenant_context
from pathways.builder import services
from pathways.models import Module, PathwayVersion, Stage, Step
from projects.models import ProjectTemplate


def make_competencies(org: Organization, n: int = 2) -> list[Competency]:
    with tenant_context(org):
        framework, _ = Framework.objects.get_or_create(name="Leadership")
        for value in range(1, 6):
            ProficiencyLevel.objects.get_or_create(
                framework=framework, value=value, defaults={"label": f"Level {value}"}
            )
        return [
            Competency.objects.get_or_create(framework=framework, name=f"Competency {i + 1}")[0]
            for i in range(n)
        ]


def make_module(org: Organization, title: str, status: str = "published") -> Module:
    with tenant_context(org):
        return Module.objects.create(title=title, minutes=10, status=status)


@dataclass
class Draft:
    version: PathwayVersion
    stages: list[Stage]
    steps: list[Step]
    project: ProjectTemplate
    conversation: ConversationTemplate


def make_draft(
    org: Organization, name: str = "First-Time Manager Essentials", n_modules: int = 3
) -> Draft:
    """Draft v1 with two stages: modules in the first, a project and a conversation in the
    second."""
    with tenant_context(org):
        version = services.do_create_pathway(None, name=name, purpose="Grow new managers")
        first = version.stages.get()
        second = services.do_add_stage(None, version, title="Stage 2")
        project = ProjectTemplate.objects.create(
            title=f"{name} project", brief="Lead a real change in your area."
        )
        conversation = ConversationTemplate.objects.create(
            title=f"{name} conversation", purpose="Check in", questions="How is it going?"
        )
        steps = []
        for i in range(n_modules):
            module = Module.objects.create(
                title=f"{name} module {i + 1}", minutes=10, status=Module.Status.PUBLISHED
            )
            steps.append(
                services.do_add_step(
                    None,
                    version,
                    stage=first,
                    target=services.StepTarget(kind="module", module=module),
                    available_offset_days=i,
                )
            )
        steps.append(
            services.do_add_step(
                None,
                version,
                stage=second,
                target=services.StepTarget(kind="project", project_template=project),
                available_offset_days=14,
            )
        )
        steps.append(
            services.do_add_step(
                None,
                version,
                stage=second,
                target=services.StepTarget(kind="coaching", conversation_template=conversation),
                available_offset_days=21,
            )
        )
    return Draft(version, [first, second], steps, project, conversation)


def ordered_titles(org: Organization, version: PathwayVersion) -> list[tuple[str, str]]:
    """(stage title, step title) in learner order."""
    with tenant_context(org):
        return [
            (s.stage.title, s.display_title)
            for s in Step.objects.filter(version=version)
            .select_related("stage", "module", "project_template", "conversation_template")
            .order_by("stage__position", "position", "id")
        ]
