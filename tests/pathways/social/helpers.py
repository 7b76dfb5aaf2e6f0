"""Builders for the social-learning tests (each runs inside the organisation's tenant)."""

from __future__ import annotations

from competencies.models import Competency, Framework
from organizations.models import Organization, Team
from organizations.tenancy import tenant_context
from pathways.models import Module, ModuleCompetency, ModuleTag


def make_module(
    org: Organization,
    title: str,
    *,
    summary: str = "",
    body: str = "",
    status: str = Module.Status.PUBLISHED,
    competencies: tuple[Competency, ...] = (),
    tags: tuple[tuple[str, str], ...] = (),
    minutes: int = 10,
) -> Module:
    with tenant_context(org):
        module = Module.objects.create(
            title=title, summary=summary, body=body, status=status, minutes=minutes
        )
        for competency in competencies:
            ModuleCompetency.objects.create(module=module, competency=competency)
        for kind, value in tags:
            ModuleTag.objects.create(module=module, kind=kind, value=value)
    return module


def make_competency(org: Organization, name: str) -> Competency:
    with tenant_context(org):
        framework, _ = Framework.objects.get_or_create(name="Leadership")
        return Competency.objects.create(framework=framework, name=name)


def make_team(org: Organization, name: str) -> Team:
    with tenant_context(org):
        return Team.objects.create(name=name)
