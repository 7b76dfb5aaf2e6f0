"""Builders shared by the 360 feedback tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from measurement.feedback import services
from measurement.feedback.models import Cycle, Item, Participant, RaterRequest, Report
from organizations.models import Membership, Organization
from organizations.tenancy import tenant_context
from tests.competencies.helpers import build_framework
from tests.conftest import PathwayFixture, enroll, make_member, make_pathway


@dataclass
class Scene:
    org: Organization
    admin: Membership
    learner: Membership
    manager: Membership
    fixture: PathwayFixture
    competency_ids: list[int]


def build_scene(org: Organization, prefix: str = "", n_competencies: int = 3) -> Scene:
    slug = org.slug
    build_framework(org, n_competencies, priorities=1)
    admin = make_member(org, f"{prefix}admin@{slug}.example", is_admin=True)
    manager = make_member(org, f"{prefix}boss@{slug}.example", is_learner=True)
    learner = make_member(org, f"{prefix}lee@{slug}.example", is_learner=True)
    with tenant_context(org):
        Membership.objects.filter(pk=learner.pk).update(manager=manager)
        learner.refresh_from_db()
        from competencies.models import Competency

        competency_ids = list(Competency.objects.values_list("pk", flat=True))
    fixture = make_pathway(org, name=f"{prefix}Programme {slug}")
    enroll(org, fixture, learner)
    return Scene(org, admin, learner, manager, fixture, competency_ids)


def launch(scene: Scene, kind: str = "baseline", baseline: Cycle | None = None, **kw) -> Cycle:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    spec = services.CycleSpec(
        title=kw.pop("title", f"{kind} 360"),
        kind=kind,
        cohort_id=scene.fixture.cohort.pk,
        nominations_close_on=today + dt.timedelta(days=7),
        responses_close_on=today + dt.timedelta(days=21),
        competency_ids=kw.pop("competency_ids", scene.competency_ids),
        baseline_id=baseline.pk if baseline else None,
        question_1="Keep doing?",
        question_2="Do differently?",
        **kw,
    )
    with tenant_context(scene.org):
        return services.do_launch_cycle(scene.admin, spec, today)


def participant_of(scene: Scene, cycle: Cycle) -> Participant:
    with tenant_context(scene.org):
        return Participant.objects.select_related("cycle", "learner__user").get(
            cycle=cycle, learner=scene.learner
        )


def nominate_and_approve(
    scene: Scene, cycle: Cycle, peers: int = 3, direct_reports: int = 0, others: int = 0
) -> Participant:
    participant = participant_of(scene, cycle)
    with tenant_context(scene.org):
        for group, n in (("peer", peers), ("direct_report", direct_reports), ("other", others)):
            for i in range(n):
                services.do_nominate(
                    participant, scene.learner, group, f"{group}{i}@outside.example", f"{group} {i}"
                )
        services.do_submit_nominations(participant, scene.learner)
        participant.refresh_from_db()
        services.do_approve_nominations(participant, scene.manager)
        participant.refresh_from_db()
    return participant


def answer_all(
    scene: Scene,
    participant: Participant,
    score: Callable[[RaterRequest, Item], int | None],
    groups: tuple[str, ...] | None = None,
    comment: str = "",
) -> None:
    """Every invited request of ``groups`` answers every item with ``score(request, item)``."""
    today = timezone.localdate()
    with tenant_context(scene.org):
        items = list(Item.objects.filter(cycle=participant.cycle_id))
        requests = RaterRequest.objects.filter(
            participant=participant, pulse__isnull=True, status=RaterRequest.Status.INVITED
        ).select_related("participant__cycle", "pulse")
        for request in requests:
            if groups is not None and request.relationship not in groups:
                continue
            services.do_save_answers(
                request,
                {i.pk: score(request, i) for i in items},
                {1: comment or f"Comment from {request.email}"},
                submit=True,
                today=today,
            )


def close_and_compute(scene: Scene, cycle: Cycle) -> list[Report]:
    with tenant_context(scene.org):
        services.do_close_cycle(cycle, scene.admin)
        services.do_compute_reports(scene.org, cycle.pk)
        return list(Report.objects.filter(cycle=cycle))
