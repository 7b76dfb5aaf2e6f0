"""Programme health's data quality (missing metric values, baselines, claims) and content
quality (the weakest modules by learners' ratings, only from five raters)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from measurement import impact
from measurement.models import MetricValue
from measurement.queries import WEAKEST_MODULES, data_quality
from organizations.tenancy import tenant_context
from pathways.models import ModuleReaction, Step, StepCompletion
from pathways.services import refresh_module_reach
from tests.conftest import count_queries, enroll, make_member, make_pathway
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
        # Facts written outside the services: their roll-up is recomputed from them.
        refresh_module_reach([weak.pk, few.pk])
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
        refresh_module_reach([step.module_id for step in more.steps])
    with count_queries() as big:
        client.get(f"/o/{org_a.slug}/")
    assert len(small.app_queries) == len(big.app_queries)
    other = login(make_member(org_b, "admin@b.example", is_admin=True))
    assert weak.title not in other.get(f"/o/{org_b.slug}/").content.decode()


def test_the_weakest_modules_are_the_lowest_rated_shown_ones_with_their_completions_counted(
    org_a, org_b, admin_a, login
):
    """More shown modules than the table holds: the lowest rated come first, each module's
    completions equal the facts (counted for the modules shown only), and the modules below
    five raters are counted, not shown."""
    n = WEAKEST_MODULES + 3
    fixture = make_pathway(org_a, n_steps=n + 2)
    # The same step key in a second version, on the same module: both versions' completions
    # count for the module.
    later = make_pathway(org_a, n_steps=1, name="Later path")
    with tenant_context(org_a):
        Step.objects.filter(pk=later.steps[0].pk).update(
            module=fixture.steps[0].module, key=fixture.steps[0].key
        )
    people = [make_member(org_a, f"r{i}@a.example", is_learner=True) for i in range(6)]
    enrolments = [enroll(org_a, fixture, p) for p in people]
    other = make_pathway(org_b, n_steps=1, name="Globex path")
    outsider = make_member(org_b, "o@b.example", is_learner=True)
    outsider_enrolment = enroll(org_b, other, outsider)
    modules = [s.module for s in fixture.steps]
    with tenant_context(org_a):
        for i, module in enumerate(modules[:n]):
            for person in people:
                # Module i is rated (1 + i % 5, 5 - i % 3): varied, with ties broken by title.
                ModuleReaction.objects.create(
                    learner=person, module=module, useful=1 + i % 5, relevant=5 - i % 3
                )
        for person in people[:4]:  # two modules below the cell size
            for module in modules[n:]:
                ModuleReaction.objects.create(learner=person, module=module, useful=1, relevant=1)
        refresh_module_reach([m.pk for m in modules])
        for i, step in enumerate(fixture.steps):
            for e in enrolments[: i % 6]:
                StepCompletion.objects.create(
                    enrollment=e, learner_id=e.learner_id, step_key=step.key
                )
    with tenant_context(org_b):
        StepCompletion.objects.create(
            enrollment=outsider_enrolment,
            learner=outsider,
            step_key=fixture.steps[1].key,  # the same key in another organisation: not counted
        )
    with tenant_context(org_a):
        quality = data_quality()
        expected = sorted(
            modules[:n],
            key=lambda m: ((1 + modules.index(m) % 5 + 5 - modules.index(m) % 3) / 2, m.title),
        )[:WEAKEST_MODULES]
        assert [m.id for m in quality.weakest_modules] == [m.pk for m in expected]
        assert quality.unrated_modules == 2
        for shown in quality.weakest_modules:
            facts = StepCompletion.objects.filter(
                step_key__in=Step.objects.filter(module_id=shown.id).values("key")
            ).count()
            assert shown.completions == facts == [m.pk for m in modules].index(shown.id) % 6
            assert shown.ratings == 6
    assert any(m.completions for m in quality.weakest_modules)
