"""Programme health's data quality (missing metric values, baselines, claims) and content
quality (the weakest modules by learners' ratings, only from five raters)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from measurement import impact
from measurement.models import MetricValue
from measurement.queries import WEAKEST_MODULES, data_quality
from organizations.tenancy import tenant_context
from pathways.models import ActivityEvent, Enrollment, ModuleReaction, Step, StepCompletion
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


def _complete(enrolment: Enrollment, step: Step) -> None:
    """The facts ``do_complete_step`` records for a module step (in any order of steps)."""
    StepCompletion.objects.create(
        enrollment=enrolment, learner_id=enrolment.learner_id, step_key=step.key
    )
    ActivityEvent.objects.create(
        actor_id=enrolment.learner_id,
        verb="completed",
        object_type="module",
        object_id=str(step.module_id),
        result={"completion": True, "step_key": str(step.key)},
        registration=enrolment,
    )


def test_the_weakest_modules_are_the_lowest_rated_shown_ones_with_their_completions_counted(
    org_a, org_b, admin_a, login
):
    """More shown modules than the table holds: the lowest rated come first, each module's
    completions are the learners who completed it (from its ``ModuleReach`` roll-up, in any
    pathway or version), and the modules below five raters are counted, not shown."""
    n = WEAKEST_MODULES + 3
    fixture = make_pathway(org_a, n_steps=n + 2)
    people = [make_member(org_a, f"r{i}@a.example", is_learner=True) for i in range(6)]
    enrolments = [enroll(org_a, fixture, p) for p in people]
    modules = [s.module for s in fixture.steps]
    # The same step key in a second version, on the same module: its completions count for
    # the module. A third pathway holds the second module again: a learner who completes it
    # there too is one learner who completed it.
    later = make_pathway(org_a, n_steps=1, name="Later path")
    again = make_pathway(org_a, n_steps=1, name="Again path")
    with tenant_context(org_a):
        Step.objects.filter(pk=later.steps[0].pk).update(
            module=modules[0], key=fixture.steps[0].key
        )
        Step.objects.filter(pk=again.steps[0].pk).update(module=modules[1])
    other = make_pathway(org_b, n_steps=1, name="Globex path")
    outsider = make_member(org_b, "o@b.example", is_learner=True)
    outsider_enrolment = enroll(org_b, other, outsider)
    with tenant_context(org_b):
        Step.objects.filter(pk=other.steps[0].pk).update(key=fixture.steps[1].key)
        _complete(outsider_enrolment, Step.objects.get(pk=other.steps[0].pk))
        refresh_module_reach([other.steps[0].module_id])
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
        for i, step in enumerate(fixture.steps):
            for e in enrolments[: i % 6]:
                _complete(e, step)
        for person in people[:2]:
            _complete(enroll(org_a, later, person), Step.objects.get(pk=later.steps[0].pk))
        _complete(enroll(org_a, again, people[0]), Step.objects.get(pk=again.steps[0].pk))
        refresh_module_reach([m.pk for m in modules])
    learners_done = {m.pk: i % 6 for i, m in enumerate(modules)}
    learners_done[modules[0].pk] = 2  # in the later version only
    with tenant_context(org_a):
        quality = data_quality()
        expected = sorted(
            modules[:n],
            key=lambda m: ((1 + modules.index(m) % 5 + 5 - modules.index(m) % 3) / 2, m.title),
        )[:WEAKEST_MODULES]
        assert [m.id for m in quality.weakest_modules] == [m.pk for m in expected]
        assert quality.unrated_modules == 2
        for shown in quality.weakest_modules:
            facts = (
                StepCompletion.objects.filter(
                    step_key__in=Step.objects.filter(module_id=shown.id).values("key")
                )
                .values("learner_id")
                .distinct()
                .count()
            )
            assert shown.completions == facts == learners_done[shown.id]
            assert shown.ratings == 6
        # The second module was completed twice by one learner: one learner completed it.
        assert [m.completions for m in quality.weakest_modules if m.id == modules[1].pk] == [1]
        assert (
            StepCompletion.objects.filter(
                step_key__in=Step.objects.filter(module_id=modules[1].pk).values("key")
            ).count()
            == 2
        )
    assert any(m.completions for m in quality.weakest_modules)
    page = login(admin_a).get(f"/o/{org_a.slug}/").content.decode()
    assert modules[0].title in page and modules[n].title not in page
