"""The worked example of MEASUREMENT.md, built through the services: cost lines, regretted
turnover of participants' and comparison teams, and participants' claims → costs 460,000,
benefits 880,000, BCR 1.91, ROI 91.3 %, payback 6.3 months."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from measurement import impact, sources
from measurement.models import CostLine, ImpactRollup, Metric, MetricGroupRollup, PlanChange
from organizations.models import Team
from organizations.outbox.models import OutboxEntry
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


def build_example(org, monkeypatch) -> int:
    fixture = make_pathway(org, n_steps=1, start=START)
    with tenant_context(org):
        participants = [Team.objects.create(name=f"Sales {i}") for i in range(4)]
        comparison = [Team.objects.create(name=f"Service {i}") for i in range(4)]
    learners = [
        make_member(org, f"mgr{i}@{org.slug}.example", team=participants[i % 4], is_learner=True)
        for i in range(40)
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
            (learners[i].pk,),
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
            (learners[28].pk,),
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
            (learners[29].pk,),
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


def test_it_computes_the_worked_example_through_the_services(org_a, org_b, monkeypatch):
    cohort_id = build_example(org_a, monkeypatch)
    with tenant_context(org_a):
        result = impact.do_rollup_impact()
        row = ImpactRollup.objects.get(cohort_id=cohort_id)
    assert result.cohorts == 1
    assert row.costs == Decimal("460000.00")
    assert row.benefits == Decimal("880000.00")
    assert round(row.bcr, 2) == 1.91
    assert round(row.roi_pct, 1) == 91.3
    assert round(row.payback_months, 1) == 6.3
    metric = row.evidence["metrics"][0]
    assert metric["did"]["estimate"] == pytest.approx(-3.0, abs=1e-9)
    assert metric["did"]["naive"] == pytest.approx(-5.0, abs=1e-9)
    assert metric["money"] == "480000.00"
    assert metric["naive_money"] == "800000.00"  # what the naive before/after would claim
    by_source = {b["source"]: b for b in row.evidence["benefits"]}
    claimed = by_source["participants' estimates"]
    assert claimed["value"] == "400000.00"
    assert claimed["facts"]["respondents"] == 29 and claimed["facts"]["participants"] == 40
    assert claimed["facts"]["excluded"] == 1
    assert row.evidence["costs"]["participants_time"] == "216000.00"
    assert row.evidence["intangibles"] == ["Engagement", "Bench strength"]
    with tenant_context(org_b):
        assert not ImpactRollup.objects.exists()


def test_it_is_idempotent_and_keeps_the_group_means(org_a, org_b, monkeypatch):
    cohort_id = build_example(org_a, monkeypatch)
    with tenant_context(org_a):
        impact.do_rollup_impact()
        first = sorted(
            MetricGroupRollup.objects.values_list("period", "group", "teams", "mean_value")
        )
        impact.do_rollup_impact([cohort_id])
        second = sorted(
            MetricGroupRollup.objects.values_list("period", "group", "teams", "mean_value")
        )
        assert ImpactRollup.objects.count() == 1
    assert first == second
    assert (dt.date(2026, 7, 1), "participants", 4, 9.0) in first
    assert (dt.date(2026, 7, 1), "comparison", 4, 12.0) in first
    assert (dt.date(2025, 10, 1), "comparison", 4, 14.0) in first


def test_it_records_a_plan_change_after_the_start_and_labels_no_comparison(
    org_a, org_b, monkeypatch
):
    cohort_id = build_example(org_a, monkeypatch)
    with tenant_context(org_a):
        from pathways.models import Cohort

        cohort = Cohort.objects.get(pk=cohort_id)
        metric = Metric.objects.get()
        impact.do_save_plan(
            cohort,
            impact.PlanInput(
                evaluation_start=dt.date(2026, 7, 1),
                evaluation_end=dt.date(2026, 12, 31),
                metrics=((metric.pk, 400, Decimal(40000)),),
            ),
            None,
        )
        change = PlanChange.objects.get()
        assert "comparison" in change.fields
        impact.do_rollup_impact()
        row = ImpactRollup.objects.get(cohort_id=cohort_id)
    assert row.evidence["has_comparison"] is False
    assert row.evidence["plan_changed_on"] is not None
    weaker = row.evidence["metrics"][0]["pre_post"]
    assert weaker["weaker"] is True and weaker["change"] == pytest.approx(-5.0)
    # without a comparison group the metric is not monetised: only the claims count
    assert row.benefits == Decimal("400000.00")


def test_it_records_the_rollup_in_the_outbox_once_per_window(org_a, org_b, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    fixture = make_pathway(org_a, n_steps=1, start=START)
    now = dt.datetime(2026, 3, 1, 12, 0, 10, tzinfo=dt.UTC)
    with tenant_context(org_a):
        impact.queue_impact_rollup(fixture.cohort.pk, now=now)
        impact.queue_impact_rollup(fixture.cohort.pk, now=now + dt.timedelta(seconds=30))
        impact.queue_impact_rollup(fixture.cohort.pk, now=now + dt.timedelta(minutes=3))
        rows = list(OutboxEntry.objects.order_by("run_after"))
    assert len(rows) == 2
    assert rows[0].run_after == dt.datetime(2026, 3, 1, 12, 2, tzinfo=dt.UTC)
    assert rows[0].args == [fixture.cohort.pk]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (impact.CostInput("travel", amount=Decimal(-5)), "amount"),
        (impact.CostInput("travel"), "amount"),
        (impact.CostInput("participants_time", people=4, hours=Decimal(2)), "hours"),
        (impact.CostInput("yachts", amount=Decimal(5)), "category"),
    ],
)
def test_it_refuses_a_bad_cost_and_writes_nothing(org_a, org_b, data, field):
    fixture = make_pathway(org_a, n_steps=1, start=START)
    with tenant_context(org_a):
        with pytest.raises(impact.ImpactError) as error:
            impact.do_add_cost(fixture.cohort, data)
        assert error.value.field == field
        assert not CostLine.objects.exists()


def test_it_refuses_a_value_of_the_wrong_unit_or_out_of_range(org_a, org_b):
    with tenant_context(org_a):
        pct = impact.do_define_metric(name="Turnover", unit="%", direction="down", level="team")
        days = impact.do_define_metric(
            name="Cycle time",
            unit="days",
            direction="down",
            level="team",
            min_value=Decimal(0),
            max_value=Decimal(365),
        )
        for metric, raw, words in (
            (pct, "140", "outside the range"),
            (days, "12%", "measured in days"),
            (days, "soon", "not a number"),
            (days, "400", "outside the range"),
        ):
            with pytest.raises(impact.ImpactError, match=words):
                impact.check_metric_value(metric, raw)
        assert impact.check_metric_value(pct, "12.5%") == Decimal("12.5")
