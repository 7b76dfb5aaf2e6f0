"""Builders for the growth tests: a cohort's learners through real 360 cycles (launch,
nominate, answer, close, freeze), a coach with engagements, observations and goals, all
through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from coaching import services as coaching
from coaching.models import CoachingEngagement
from competencies.models import Competency, ProficiencyLevel
from measurement.feedback import services as feedback
from measurement.feedback.models import Cycle, Item, Participant, RaterRequest, Report
from organizations.models import Membership, Organization
from organizations.tenancy import tenant_context
from pathways.models import Ability
from tests.competencies.helpers import build_framework
from tests.conftest import PathwayFixture, enroll, make_member, make_pathway

Score = Callable[[Membership, RaterRequest, Item], int | None]


@dataclass
class GrowthScene:
    org: Organization
    admin: Membership
    coach: Membership
    sponsor: Membership
    learners: list[Membership]
    fixture: PathwayFixture
    competencies: list[Competency]
    levels: list[ProficiencyLevel]
    engagements: list[CoachingEngagement]

    @property
    def learner(self) -> Membership:
        return self.learners[0]


def build_growth_scene(
    org: Organization, tag: str, n_learners: int = 1, n_competencies: int = 2
) -> GrowthScene:
    build_framework(org, n_competencies, name=f"Leading {tag}", priorities=1)
    admin = make_member(org, f"admin@{tag}.example", is_admin=True)
    coach = make_member(org, f"coach@{tag}.example", is_coach=True)
    sponsor = make_member(org, f"sponsor@{tag}.example", is_sponsor=True)
    learners = [
        make_member(org, f"learner{i}@{tag}.example", is_learner=True) for i in range(n_learners)
    ]
    manager = make_member(org, f"manager@{tag}.example", is_learner=True)
    with tenant_context(org):
        Membership.objects.filter(pk__in=[m.pk for m in learners]).update(manager=manager)
        for m in learners:
            m.refresh_from_db()
    fixture = make_pathway(org, n_steps=1, name=f"Pathway {tag}")
    for m in learners:
        enroll(org, fixture, m)
    today = timezone.localdate()
    with tenant_context(org):
        competencies = list(Competency.objects.order_by("position", "name"))
        levels = list(ProficiencyLevel.objects.order_by("value"))
        engagements = [
            coaching.do_create_engagement(
                coach=coach,
                coachee=m,
                cohort=fixture.cohort,
                starts_on=today - dt.timedelta(days=30),
                ends_on=today + dt.timedelta(days=150),
                focus_competencies=competencies[:1],
                sponsor=sponsor,
            )
            for m in learners
        ]
    return GrowthScene(
        org, admin, coach, sponsor, learners, fixture, competencies, levels, engagements
    )


def run_cycle(
    scene: GrowthScene,
    score: Score,
    *,
    kind: str = "baseline",
    baseline: Cycle | None = None,
    learners: list[Membership] | None = None,
    pulse_every_weeks: int | None = None,
) -> Cycle:
    """Launch a cycle on the scene's cohort, their manager and three peers per learner, everyone
    (self included) answers every item with ``score``, close it and freeze the reports."""
    today = timezone.localdate()
    who = learners if learners is not None else scene.learners
    with tenant_context(scene.org):
        spec = feedback.CycleSpec(
            title=f"{kind} 360 {Cycle.objects.count()}",
            kind=kind,
            cohort_id=scene.fixture.cohort.pk,
            nominations_close_on=today + dt.timedelta(days=7),
            responses_close_on=today + dt.timedelta(days=21),
            competency_ids=[] if baseline else [c.pk for c in scene.competencies],
            baseline_id=baseline.pk if baseline else None,
            pulse_every_weeks=pulse_every_weeks,
        )
        cycle = feedback.do_launch_cycle(scene.admin, spec, today)
        items = list(Item.objects.filter(cycle=cycle))
        for learner in who:
            participant = Participant.objects.select_related("cycle").get(
                cycle=cycle, learner=learner
            )
            for i in range(3):
                feedback.do_nominate(
                    participant, learner, "peer", f"peer{i}.{learner.pk}@outside.example"
                )
            feedback.do_submit_nominations(participant, learner)
            participant.refresh_from_db()
            feedback.do_approve_nominations(participant, scene.admin)
            for request in RaterRequest.objects.filter(
                participant=participant, pulse__isnull=True, status=RaterRequest.Status.INVITED
            ).select_related("participant__cycle", "pulse"):
                feedback.do_save_answers(
                    request,
                    {item.pk: score(learner, request, item) for item in items},
                    {},
                    submit=True,
                    today=today,
                )
        feedback.do_close_cycle(cycle, scene.admin)
        feedback.do_compute_reports(scene.org, cycle.pk)
        cycle.refresh_from_db()
    return cycle


def peers(value: int, self_value: int = 4) -> Score:
    """Peers give ``value``, the learner gives themself ``self_value``."""
    return lambda learner, request, item: self_value if request.relationship == "self" else value


def share_reports(scene: GrowthScene, learner: Membership) -> None:
    with tenant_context(scene.org):
        for report in Report.objects.filter(learner=learner):
            feedback.do_share_report(report, learner, True)


def observe(scene: GrowthScene, learner: Membership, competency: Competency, level: int) -> None:
    with tenant_context(scene.org):
        coaching.do_record_observation(
            scene.coach,
            learner,
            competency=competency,
            level=next(lv for lv in scene.levels if lv.value == level),
            situation="Weekly planning meeting",
            behaviour="Asked the team for options before giving her own.",
            observed_on=timezone.localdate() - dt.timedelta(days=2),
        )


def set_goal(
    scene: GrowthScene, learner: Membership, competency: Competency, achieved: bool = False
) -> None:
    engagement = next(e for e in scene.engagements if e.coachee_id == learner.pk)
    with tenant_context(scene.org):
        goal = coaching.do_set_goal(
            scene.coach,
            engagement.pk,
            title=f"Delegate more on {competency.name}",
            success_measure="Two tasks handed over a week",
            target_date=timezone.localdate() + dt.timedelta(days=30),
            competency=competency,
        )
        if achieved:
            coaching.do_update_goal(
                scene.coach, goal.pk, progress=100, status="achieved", reflection="Handed over."
            )


def practise(scene: GrowthScene, learner: Membership, competency: Competency, p: float) -> None:
    """The mastery estimate pathways keeps (as its adaptive service leaves it)."""
    with tenant_context(scene.org):
        Ability.objects.update_or_create(
            learner=learner, competency=competency, defaults={"p_known": p, "updates": 9}
        )
