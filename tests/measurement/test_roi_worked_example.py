"""The worked example of MEASUREMENT.md, built through the services: cost lines, regretted
turnover of participants' and comparison teams, and participants' claims → costs 460,000,
benefits 880,000, BCR 1.91, ROI 91.3 %, payback 6.3 months."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from measurement import impact
from measurement.models import CostLine, ImpactRollup, Metric, MetricGroupRollup, PlanChange
from organizations.outbox.models import OutboxEntry
from organizations.tenancy import tenant_context
from tests.conftest import make_pathway
from tests.measurement.impact_fixtures import START, build_example


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
