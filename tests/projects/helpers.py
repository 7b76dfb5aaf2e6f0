"""Builders for project tests: a pathway whose only step is a project, people, a charter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from organizations.models import Membership, Organization, Team
from organizations.tenancy import tenant_context
from pathways.models import Cohort, Enrollment, Pathway, PathwayVersion, Stage, Step
from projects import services
from projects.models import MilestoneTemplate, Project, ProjectTemplate
from tests.conftest import make_member


@dataclass
class World:
    org: Organization
    template: ProjectTemplate
    step: Step
    cohort: Cohort
    learner: Membership
    enrollment: Enrollment
    sponsor: Membership
    admin: Membership


def make_world(
    org: Organization, *, sponsor_required: bool = True, prefix: str = "", team: Team | None = None
) -> World:
    domain = f"{org.slug}.example"
    learner = make_member(org, f"{prefix}lena@{domain}", team=team, is_learner=True)
    sponsor = make_member(org, f"{prefix}sam@{domain}", is_sponsor=True)
    admin = make_member(org, f"{prefix}ada@{domain}", is_admin=True)
    with tenant_context(org):
        template = ProjectTemplate.objects.create(
            title=f"{prefix}Lead a real change",
            brief="Pick a change your team needs and lead it end to end.",
            expected_outcomes="Handover errors halved\nThe team owns the new routine",
            scope=ProjectTemplate.Scope.TEAM,
            sponsor_required=sponsor_required,
        )
        MilestoneTemplate.objects.create(
            template=template, title="Map the handover", offset_weeks=2
        )
        MilestoneTemplate.objects.create(template=template, title="Pilot running", offset_weeks=6)
        pathway = Pathway.objects.create(name=f"{prefix}Leading Through Change")
        version = PathwayVersion.objects.create(
            pathway=pathway, number=1, status=PathwayVersion.Status.PUBLISHED
        )
        stage = Stage.objects.create(version=version, title="Practice at work", position=0)
        step = Step.objects.create(
            version=version,
            stage=stage,
            kind=Step.Kind.PROJECT,
            project_template=template,
            position=0,
        )
        cohort = Cohort.objects.create(
            name=f"{prefix}Spring cohort",
            version=version,
            start_date=timezone.localdate() - dt.timedelta(days=1),
        )
        enrollment = Enrollment.objects.create(cohort=cohort, learner=learner, version=version)
    return World(org, template, step, cohort, learner, enrollment, sponsor, admin)


def enroll_colearner(world: World, email: str) -> Membership:
    member = make_member(world.org, email, is_learner=True)
    with tenant_context(world.org):
        Enrollment.objects.create(cohort=world.cohort, learner=member, version=world.step.version)
    return member


def charter(world: World, **overrides: object) -> services.CharterInput:
    today = timezone.localdate()
    data: dict[str, object] = {
        "title": "Halve handover errors on the night shift",
        "problem": "Night-shift handovers lose orders; customers wait a day.",
        "scope": ProjectTemplate.Scope.TEAM,
        "expected_outcomes": "Handover errors halved\nThe team owns the new routine",
        "start_date": today,
        "end_date": today + dt.timedelta(weeks=8),
        "sponsor_email": world.sponsor.user.email,
        "functions": ["Operations", "Customer service"],
        "stakeholders": [
            services.StakeholderInput("Olga Ops", f"olga@{world.org.slug}.example"),
            services.StakeholderInput("Carl Customer", "carl@partner.example"),
        ],
        "milestones": [
            services.MilestonePlan("Map the handover", today + dt.timedelta(weeks=2)),
            services.MilestonePlan("Pilot running", today + dt.timedelta(weeks=6)),
        ],
    }
    data.update(overrides)
    return services.CharterInput(**data)  # type: ignore[arg-type]


def start(world: World, **overrides: object) -> Project:
    with tenant_context(world.org):
        return services.do_start_project(
            world.learner, world.enrollment.pk, world.step.pk, charter(world, **overrides)
        )


def running(world: World, **overrides: object) -> Project:
    """A project whose charter the sponsor approved."""
    project = start(world, **overrides)
    with tenant_context(world.org):
        services.do_submit_charter(world.learner, project)
        if project.sponsor_id is not None:
            services.do_review_charter(world.sponsor, project, approve=True)
        project.refresh_from_db()
    return project


def claim(**overrides: object) -> services.ClaimInput:
    data: dict[str, object] = {
        "measure": "Orders re-keyed after handover",
        "annual_value": Decimal("48000"),
        "basis": "40 re-keyed orders a week x 50 weeks x 24 per order",
        "isolation_pct": Decimal("60"),
        "confidence_pct": Decimal("80"),
    }
    data.update(overrides)
    return services.ClaimInput(**data)  # type: ignore[arg-type]
