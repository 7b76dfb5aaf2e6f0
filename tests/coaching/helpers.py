"""Builders for the coaching tests: a cohort with a coach, learners, a sponsor and an admin."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from coaching import services
from coaching.models import CoachingEngagement, CoachingSession, ConversationTemplate
from competencies.models import Competency, Framework, ProficiencyLevel
from organizations.models import Membership, Organization
from organizations.tenancy import tenant_context
from pathways.models import CohortCoach, CohortSponsor, Enrollment, Step
from tests.competencies.helpers import build_framework
from tests.conftest import enroll, make_member, make_pathway


@dataclass
class World:
    org: Organization
    admin: Membership
    coach: Membership
    sponsor: Membership
    learners: list[Membership]
    outsider: Membership  # a learner of the organisation outside the cohort
    cohort_id: int
    engagements: list[CoachingEngagement]
    framework: Framework
    competencies: list[Competency]
    levels: list[ProficiencyLevel]
    template: ConversationTemplate
    coaching_step: Step
    enrollments: list[Enrollment]


def build_world(org: Organization, tag: str, n_learners: int = 3) -> World:
    """One cohort whose pathway ends with a coaching-conversation step, a coach assigned to it,
    ``n_learners`` enrolled learners each in a 1:1 engagement, a sponsor named on them."""
    framework = build_framework(org, 2, name=f"Leading {tag}", priorities=1)
    admin = make_member(org, f"admin@{tag}.example", is_admin=True)
    coach = make_member(org, f"coach@{tag}.example", is_coach=True)
    sponsor = make_member(org, f"sponsor@{tag}.example", is_sponsor=True)
    learners = [
        make_member(org, f"learner{i}@{tag}.example", is_learner=True) for i in range(n_learners)
    ]
    outsider = make_member(org, f"outsider@{tag}.example", is_learner=True)
    fixture = make_pathway(org, n_steps=1, name=f"Pathway {tag}")
    enrollments = [enroll(org, fixture, m) for m in learners]
    with tenant_context(org):
        template = ConversationTemplate.objects.create(
            title=f"Mid-point review {tag}", purpose="Take stock", questions="What changed?"
        )
        step = Step.objects.create(
            version=fixture.version,
            stage=fixture.steps[0].stage,
            kind=Step.Kind.COACHING,
            conversation_template=template,
            position=1,
        )
        CohortCoach.objects.create(cohort=fixture.cohort, membership=coach)
        CohortSponsor.objects.create(cohort=fixture.cohort, membership=sponsor)
        competencies = list(Competency.objects.filter(framework=framework).order_by("position"))
        levels = list(ProficiencyLevel.objects.filter(framework=framework).order_by("value"))
        today = timezone.localdate()
        engagements = [
            services.do_create_engagement(
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
    return World(
        org=org,
        admin=admin,
        coach=coach,
        sponsor=sponsor,
        learners=learners,
        outsider=outsider,
        cohort_id=fixture.cohort.pk,
        engagements=engagements,
        framework=framework,
        competencies=competencies,
        levels=levels,
        template=template,
        coaching_step=step,
        enrollments=enrollments,
    )


def plan(
    starts_in: dt.timedelta = dt.timedelta(days=2),
    minutes: int = 60,
    title: str = "Check-in",
    template: ConversationTemplate | None = None,
) -> services.SessionPlan:
    return services.SessionPlan(
        title=title,
        starts_at=(timezone.now() + starts_in).replace(second=0, microsecond=0),
        minutes=minutes,
        mode=CoachingSession.Mode.VIDEO,
        location="https://meet.example/room",
        conversation_template=template,
    )


def held_session(
    w: World,
    *,
    group: bool = False,
    notes: str = "",
    summary: str = "",
    days_ago: int = 3,
    experiment: str = "",
) -> CoachingSession:
    """A session in the past, logged with everyone attending (scheduled first in the future,
    then moved back in time, as logging needs a session that has happened)."""
    with tenant_context(w.org):
        if group:
            session = services.do_schedule_session(
                w.coach,
                plan(dt.timedelta(days=400 + days_ago), title="Group clinic"),
                cohort=w.engagements[0].cohort,
                participants=w.learners,
                capacity=len(w.learners),
            )
        else:
            session = services.do_schedule_session(
                w.coach,
                plan(dt.timedelta(days=400 + days_ago), template=w.template),
                engagement=w.engagements[0],
            )
        CoachingSession.objects.filter(pk=session.pk).update(
            starts_at=timezone.now() - dt.timedelta(days=days_ago)
        )
        learners = w.learners if group else w.learners[:1]
        services.do_log_session(
            w.coach,
            session.pk,
            services.SessionLog(
                attendance={m.pk: "attended" for m in learners},
                actual_minutes=55,
                competencies=w.competencies[:1],
                private_notes=notes,
                shared_summary=summary,
                agreed=[
                    services.AgreedItem(
                        learner_id=learners[0].pk,
                        action=experiment,
                        due_on=timezone.localdate() + dt.timedelta(days=3),
                    )
                ]
                if experiment
                else [],
            ),
        )
        session.refresh_from_db()
    return session
