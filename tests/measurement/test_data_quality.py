"""Programme health's data quality (missing metric values, baselines, claims) and content
quality (the weakest modules by learners' ratings, only from five raters)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from measurement import impact
from measurement.models import MetricValue
from measurement.queries import data_quality
from organizations.tenancy import tenant_context
from pathways.models import ModuleReaction
from tests.conftest import count_queries, make_member, make_pathway
from tests.measurement.impact_fixtures import build_example


def test_it_counts_the_missing_team_months_of_each_plan(org_a, org_b, admin_a, monkeypatch, login):
    cohort_id = build_example(org_a, monkeypatch, learners_n=8)
    with tenant_context(org_a):
        # the example has 3 months before the start and 3 in the evaluation, of 8 teams;
        # drop two values: two team-months missing
        MetricValue.objects.filter(period=dt.date(2025, 11, 1), team__name="Sales 0").delete()
        MetricValue.objects.filter(period=dt.date(2025, 12, 1), team__name="Service 1").delete()
        impact.do_rollup_impact()
        [cohort] = [c for c in data_quality().cohorts if c.id == cohort_id]
    [metric] = cohort.metrics_missing
    # 8 teams × (3 months before + the evaluation months so far); values exist for Jul–Sep
    this_month = timezone.localdate().replace(day=1)
    evaluated = sum(1 for m in range(7, 13) if dt.date(2026, m, 1) < this_month)
    assert metric["expected"] == 8 * (3 + evaluated)
    assert metric["missing"] == 2 + 8 * (evaluated - 3)
    assert cohort.claimants == 8 and cohort.participants == 8  # 30 claims over 8 learners
    page = login(admin_a).get(f"/o/{org_a.slug}/").content.decode()
    assert "Data quality for impact" in page
    assert "Regretted turnover:" in page and "team-months" in page


def test_it_lists_weak_modules_only_from_five_raters(org_a, org_b, admin_a, login):
    fixture = make_pathway(org_a, n_steps=3)
    people = [make_member(org_a, f"r{i}@a.example", is_learner=True) for i in range(6)]
    weak, few, _ = [s.module for s in fixture.steps]
    with tenant_context(org_a):
        for person in people:
            ModuleReaction.objects.create(learner=person, module=weak, useful=2, relevant=3)
        for person in people[:4]:
            ModuleReaction.objects.create(learner=person, module=few, useful=1, relevant=1)
        quality = data_quality()
    assert [m.title for m in quality.weakest_modules] == [weak.title]
    assert quality.weakest_modules[0].useful == 2.0
    assert quality.unrated_modules == 1
    client = login(admin_a)
    with count_queries() as small:
        page = client.get(f"/o/{org_a.slug}/").content.decode()
    assert weak.title in page and few.title not in page
    more = make_pathway(org_a, n_steps=4, name="Second path")
    with tenant_context(org_a):
        for step in more.steps:
            for person in people:
                ModuleReaction.objects.create(
                    learner=person, module=step.module, useful=4, relevant=4
                )
    with count_queries() as big:
        client.get(f"/o/{org_a.slug}/")
    assert len(small.app_queries) == len(big.app_queries)
    other = login(make_member(org_b, "admin@b.example", is_admin=True))
    assert weak.title not in other.get(f"/o/{org_b.slug}/").content.decode()
