"""Small builders for the learner tests: competencies, retrieval items, rules, electives."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from competencies.models import Competency, Framework, ProficiencyLevel
from organizations.models import Membership, Organization
from organizations.tenancy import tenant_context
from pathways.models import (
    ActivityEvent,
    ElectiveGroup,
    Module,
    PersonalisationRule,
    PracticeTask,
    RetrievalItem,
    ReviewCard,
    Step,
    VersionCompetency,
)
from tests.conftest import PathwayFixture


def make_framework(org: Organization, names: list[str], levels: int = 5) -> list[Competency]:
    with tenant_context(org):
        framework, _ = Framework.objects.get_or_create(name="Leadership")
        for value in range(1, levels + 1):
            ProficiencyLevel.objects.get_or_create(
                framework=framework,
                value=value,
                defaults={"label": f"Level {value}", "descriptor": f"Descriptor {value}"},
            )
        return [
            Competency.objects.create(framework=framework, name=name, position=i)
            for i, name in enumerate(names)
        ]


def link_competencies(org: Organization, fixture: PathwayFixture, comps: list[Competency]) -> None:
    with tenant_context(org):
        for c in comps:
            VersionCompetency.objects.create(version=fixture.version, competency=c)


def add_rule(
    org: Organization, step: Step, competency: Competency, threshold: int = 4
) -> PersonalisationRule:
    with tenant_context(org):
        return PersonalisationRule.objects.create(
            step=step,
            competency=competency,
            action=PersonalisationRule.Action.INCLUDE_IF_BELOW,
            threshold=threshold,
        )


def make_group(org: Organization, fixture: PathwayFixture, steps: list[Step], choose: int):
    with tenant_context(org):
        group = ElectiveGroup.objects.create(
            version=fixture.version, title="Pick your focus", choose=choose
        )
        Step.objects.filter(pk__in=[s.pk for s in steps]).update(elective_group=group)
        return group


def add_items(org: Organization, module_id: int, n: int = 2) -> list[RetrievalItem]:
    with tenant_context(org):
        return [
            RetrievalItem.objects.create(
                module_id=module_id,
                kind=RetrievalItem.Kind.FREE_RECALL,
                prompt=f"Question {i + 1} of module {module_id}",
                model_answer="An answer",
                position=i,
            )
            for i in range(n)
        ]


def add_task(org: Organization, module_id: int) -> PracticeTask:
    with tenant_context(org):
        return PracticeTask.objects.create(
            module_id=module_id, prompt="Plan one conversation this week."
        )


def due_cards(org: Organization, learner: Membership, module_id: int, n: int) -> None:
    """``n`` retrieval items on the module, each with a card due an hour ago."""
    items = add_items(org, module_id, n)
    with tenant_context(org):
        ReviewCard.objects.bulk_create(
            [
                ReviewCard(
                    organization_id=org.pk,
                    learner=learner,
                    item=item,
                    due=timezone.now() - dt.timedelta(hours=1),
                )
                for item in items
            ]
        )


def extra_module(org: Organization, title: str, status: str = Module.Status.PUBLISHED) -> Module:
    with tenant_context(org):
        return Module.objects.create(title=title, minutes=5, status=status, body="# Hello\n\nText")


def open_modules(org: Organization, member: Membership, *module_ids: int | None) -> None:
    """Record that ``member`` opened these modules' pages, as the module page does: the
    evidence a module step needs before the learner may mark it done."""
    with tenant_context(org):
        for module_id in module_ids:
            if module_id is not None:
                ActivityEvent.objects.get_or_create(
                    actor=member, verb="experienced", object_type="module", object_id=str(module_id)
                )


def open_steps(org: Organization, member: Membership, fixture: PathwayFixture) -> None:
    """``open_modules`` for every module step of a pathway fixture."""
    open_modules(org, member, *(step.module_id for step in fixture.steps))
