"""Builders shared by the impact tests: the worked example of MEASUREMENT.md through services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from measurement import impact, sources
from measurement.models import CostLine
from organizations.models import Team
from organizations.tenancy import tenant_context
from tests.conftest import enroll, make_member, make_pathway

START = dt.date(2026, 1, 1)


@dataclass(frozen=True)
class Claim:
    """The fields of projects.queries.BenefitClaimFact (contracts.md)."""

    claim_id: int
    project_id: int
    project_title: str
    cohort_id: int | None
    learner_ids: tuple[int, ...]
    measure: str
    annual_value: Decimal
    is_revenue: bool
    isolation_pct: float
    confidence_pct: float
    status: str
    excluded_reason: str
    basis: str
    decided_on: dt.date | None


def build_example(org, monkeypatch, learners_n: int = 40) -> int:
    fixture = make_pathway(org, n_steps=1, start=START)
    with tenant_context(org):
        participants = [Team.objects.create(name=f"Sales {i}") for i in range(4)]
        comparison = [Team.objects.create(name=f"Service {i}") for i in range(4)]
    learners = [
        make_member(org, f"mgr{i}@{org.slug}.example", team=participants[i % 4], is_learner=True)
        for i in range(learners_n)
    ]
    for learner in learners:
        enroll(org, fixture, learner)
    cohort = fixture.cohort
    claims = [
        Claim(
            i,
            100 + i,
            f"Project {i}",
            cohort.pk,
            (learners[i % len(learners)].pk,),
            "hours saved",
            Decimal(25000),
            False,
            50.0,
            80.0,
            "confirmed",
            "",
            "estimate",
            START,
        )
        for i in range(28)
    ]
    claims.append(
        Claim(
            28,
            128,
            "Key account",
            cohort.pk,
            (learners[28 % len(learners)].pk,),
            "new revenue",
            Decimal(1000000),
            True,
            100.0,
            80.0,
            "confirmed",
            "",
            "invoices",
            START,
        )
    )
    claims.append(
        Claim(
            29,
            129,
            "Moonshot",
            cohort.pk,
            (learners[29 % len(learners)].pk,),
            "market share",
            Decimal(2000000),
            False,
            100.0,
            100.0,
            "excluded",
            "unsupported",
            "",
            START,
        )
    )
    monkeypatch.setattr(
        sources, "benefit_claims", lambda ids: [c for c in claims if c.cohort_id in ids]
    )
    with tenant_context(org):
        turnover = impact.do_define_metric(
            name="Regretted turnover", unit="%", direction="down", level="business"
        )
        # Before the start (three months) and in the evaluation period (three months).
        for month in (dt.date(2025, 10, 1), dt.date(2025, 11, 1), dt.date(2025, 12, 1)):
            for i, team in enumerate(participants + comparison):
                impact.do_enter_metric_value(turnover, team, month, 13 + 2 * (i % 2), None)
        for month in (dt.date(2026, 7, 1), dt.date(2026, 8, 1), dt.date(2026, 9, 1)):
            for i, team in enumerate(participants):
                impact.do_enter_metric_value(turnover, team, month, f"{8 + 2 * (i % 2)}%", None)
            for i, team in enumerate(comparison):
                impact.do_enter_metric_value(turnover, team, month, 11 + 2 * (i % 2), None)
        impact.do_save_plan(
            cohort,
            impact.PlanInput(
                evaluation_start=dt.date(2026, 7, 1),
                evaluation_end=dt.date(2026, 12, 31),
                comparison="teams",
                comparison_team_ids=tuple(t.pk for t in comparison),
                profit_margin_pct=Decimal(15),
                metrics=((turnover.pk, 400, Decimal(40000)),),
                intangibles="Engagement\nBench strength",
            ),
            None,
        )
        C = CostLine.Category
        for data in (
            impact.CostInput(C.NEEDS_ANALYSIS, "a third of 30,000", Decimal(30000), shared_by=3),
            impact.CostInput(C.DESIGN, "a third of 90,000", Decimal(90000), shared_by=3),
            impact.CostInput(C.COACHING, "40 × 6 × 400", Decimal(96000)),
            impact.CostInput(C.TECHNOLOGY, "platform and 360 licences", Decimal(20000)),
            impact.CostInput(
                C.PARTICIPANTS_TIME,
                "40 × 60 h × 90",
                people=40,
                hours=Decimal(60),
                hourly_rate=Decimal(90),
            ),
            impact.CostInput(C.TRAVEL, "travel and facilities", Decimal(38000)),
            impact.CostInput(C.ADMINISTRATION, "", Decimal(25000)),
            impact.CostInput(C.EVALUATION, "", Decimal(15000)),
            impact.CostInput(C.OVERHEAD, "", Decimal(10000)),
        ):
            impact.do_add_cost(cohort, data)
    return cohort.pk


def held_group_session(org, learners, attended: int) -> None:
    """A held group session of ``learners``: the first ``attended`` came, the rest did not."""
    from django.utils import timezone

    from coaching.models import CoachingSession, SessionParticipant

    coach = make_member(org, f"coach-{len(learners)}-{attended}@{org.slug}.example", is_coach=True)
    with tenant_context(org):
        session = CoachingSession.objects.create(
            coach=coach,
            kind=CoachingSession.Kind.GROUP,
            title="Group coaching",
            starts_at=timezone.now() - dt.timedelta(hours=2),
            capacity=max(10, len(learners)),
            status=CoachingSession.Status.HELD,
        )
        A = SessionParticipant.Attendance
        SessionParticipant.objects.bulk_create(
            [
                SessionParticipant(
                    organization=org,
                    session=session,
                    learner=m,
                    attendance=A.ATTENDED if i < attended else A.NO_SHOW,
                )
                for i, m in enumerate(learners)
            ]
        )
