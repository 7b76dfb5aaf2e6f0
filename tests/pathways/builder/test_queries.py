"""Pathway list, version editor and personalisation preview: counts and fixed query numbers."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from organizations.tenancy import tenant_context
from pathways.builder import queries, services
from pathways.models import Cohort, Enrollment, SelfAssessment, Step
from tests.conftest import count_queries, make_member
from tests.pathways.builder.helpers import make_competencies, make_draft


def _cohort_with_baselines(org, draft, ratings):
    """A running cohort on the published draft; ``ratings`` is one dict per learner
    (competency -> rating, or empty for no baseline)."""
    with tenant_context(org):
        services.do_publish(None, draft.version)
        cohort = Cohort.objects.create(
            name=f"Cohort {draft.version.pk}",
            version=draft.version,
            start_date=timezone.localdate() - dt.timedelta(days=2),
        )
    members = [
        make_member(org, f"l{i}-{draft.version.pk}@example.com", is_learner=True)
        for i in range(len(ratings))
    ]
    with tenant_context(org):
        for member, baseline in zip(members, ratings, strict=True):
            enrollment = Enrollment.objects.create(
                cohort=cohort, learner=member, version=draft.version
            )
            for competency, rating in baseline.items():
                SelfAssessment.objects.create(
                    enrollment=enrollment, competency=competency, rating=rating
                )
    return cohort


def test_it_counts_who_each_rule_includes_with_no_baseline_counted_as_included(org_a, org_b):
    draft = make_draft(org_a)
    delegation, feedback = make_competencies(org_a, 2)
    with tenant_context(org_a):
        below = services.do_add_rule(
            None, draft.steps[1], competency=delegation, action="include_below", threshold=3
        )
        also_below = services.do_add_rule(
            None, draft.steps[1], competency=feedback, action="include_below", threshold=4
        )
    cohort = _cohort_with_baselines(
        org_a,
        draft,
        [
            {delegation: 1, feedback: 2},  # included by both
            {delegation: 3, feedback: 5},  # skipped by both
            {delegation: 2, feedback: 4},  # kept by the first rule, skipped by the second
            {feedback: 1},  # no baseline on delegation: included by it
            {},  # no baseline at all
        ],
    )
    with tenant_context(org_a):
        Enrollment.objects.create(  # a withdrawn learner is not in the base
            cohort=cohort,
            learner=make_member(org_a, "gone@example.com", is_learner=True),
            version=draft.version,
            status=Enrollment.Status.WITHDRAWN,
        )
        preview = queries.rule_preview(draft.version.pk, cohort.pk)
    assert (preview.learners, preview.with_baseline) == (5, 4)
    [step] = preview.steps
    assert step.step_id == draft.steps[1].pk and step.number == 2
    by_rule = {r.rule.id: r for r in step.rules}
    assert (by_rule[below.pk].included, by_rule[below.pk].skipped) == (4, 1)
    assert by_rule[below.pk].no_baseline == 2
    assert (by_rule[also_below.pk].included, by_rule[also_below.pk].skipped) == (3, 2)
    assert by_rule[also_below.pk].no_baseline == 1
    assert (step.included, step.skipped) == (3, 2)  # both rules together


def test_it_counts_a_stretch_rule_and_a_needs_rule_apart_in_the_preview(org_a, org_b):
    draft = make_draft(org_a)
    delegation, feedback = make_competencies(org_a, 2)
    with tenant_context(org_a):
        stretch = services.do_add_rule(
            None, draft.steps[2], competency=delegation, action="include_at_least", threshold=4
        )
        needs = services.do_add_rule(
            None, draft.steps[0], competency=delegation, action="include_below", threshold=4
        )
    cohort = _cohort_with_baselines(
        org_a,
        draft,
        [
            {delegation: 5},  # stretch only
            {delegation: 4},  # stretch only: the threshold itself counts as "at least"
            {delegation: 3},  # needs only
            {delegation: 1, feedback: 5},  # needs only
            {feedback: 2},  # no baseline on delegation: keeps both steps
            {},  # no baseline at all: keeps both steps
        ],
    )
    with tenant_context(org_a):
        preview = queries.rule_preview(draft.version.pk, cohort.pk)
    assert (preview.learners, preview.with_baseline) == (6, 5)
    by_step = {s.step_id: s for s in preview.steps}
    assert list(by_step) == [draft.steps[0].pk, draft.steps[2].pk]  # learner order
    [needs_row] = by_step[draft.steps[0].pk].rules
    [stretch_row] = by_step[draft.steps[2].pk].rules
    assert needs_row.rule.id == needs.pk and stretch_row.rule.id == stretch.pk
    assert (needs_row.included, needs_row.skipped, needs_row.no_baseline) == (4, 2, 2)
    assert (stretch_row.included, stretch_row.skipped, stretch_row.no_baseline) == (4, 2, 2)
    assert stretch_row.rule.action_label == "Include only if baseline is at least"
    assert (by_step[draft.steps[2].pk].included, by_step[draft.steps[2].pk].skipped) == (4, 2)


def test_it_previews_with_the_same_number_of_queries_for_small_and_large_cohorts(org_a, org_b):
    small, large = make_draft(org_a, "Small"), make_draft(org_a, "Large")
    competencies = make_competencies(org_a, 3)
    for draft, n_rules in ((small, 1), (large, 3)):
        with tenant_context(org_a):
            for i in range(n_rules):
                services.do_add_rule(
                    None,
                    draft.steps[i],
                    competency=competencies[i],
                    action="include_below",
                    threshold=3,
                )
    small_cohort = _cohort_with_baselines(org_a, small, [{competencies[0]: 2}])
    large_cohort = _cohort_with_baselines(
        org_a, large, [dict.fromkeys(competencies, i % 5 + 1) for i in range(12)]
    )
    counts = []
    for draft, cohort in ((small, small_cohort), (large, large_cohort)):
        with tenant_context(org_a), count_queries() as ctx:
            preview = queries.rule_preview(draft.version.pk, cohort.pk)
        counts.append(len(ctx.app_queries))
        assert preview.steps
    assert counts[0] == counts[1] == 6


def test_it_lists_pathways_with_versions_in_a_fixed_number_of_queries(org_a, org_b):
    make_draft(org_a, "Alpha", n_modules=1)
    with tenant_context(org_a), count_queries() as ctx:
        rows = queries.pathway_list()
    small = len(ctx.app_queries)
    assert [r.name for r in rows] == ["Alpha"]
    for name in ("Beta", "Gamma", "Delta"):
        draft = make_draft(org_a, name, n_modules=4)
        with tenant_context(org_a):
            services.do_publish(None, draft.version)
            services.do_start_new_draft(None, draft.version)
    make_draft(org_b, "Other organisation")
    with tenant_context(org_a), count_queries() as ctx:
        rows = queries.pathway_list()
    assert len(ctx.app_queries) == small == 1
    beta = next(r for r in rows if r.name == "Beta")
    assert [(v.number, v.status, v.steps) for v in beta.versions] == [
        (2, "draft", 6),
        (1, "published", 6),
    ]
    assert beta.current.number == 1 and beta.draft.number == 2
    assert "Other organisation" not in {r.name for r in rows}


def test_it_builds_the_version_editor_in_a_fixed_number_of_queries(org_a, org_b):
    small = make_draft(org_a, "Small", n_modules=1)
    large = make_draft(org_a, "Large", n_modules=8)
    competencies = make_competencies(org_a, 2)
    with tenant_context(org_a):
        services.do_save_elective_group(
            None, large.version, group=None, title="Pick", choose=1, steps=large.steps[:3]
        )
        services.do_set_prerequisites(None, large.steps[5], requires=large.steps[:2])
        for step in large.steps[:4]:
            services.do_add_rule(
                None, step, competency=competencies[0], action="include_below", threshold=4
            )
    counts = []
    for draft in (small, large):
        with tenant_context(org_a), count_queries() as ctx:
            editor = queries.version_editor(draft.version.pk)
        counts.append(len(ctx.app_queries))
    assert counts[0] == counts[1] == 8
    assert editor.step_count == 10 and editor.rule_count == 4
    rows = editor.steps
    assert rows[0].default_prerequisite == "" and rows[1].default_prerequisite == rows[0].title
    assert rows[5].prerequisites == [rows[0].title, rows[1].title]
    assert editor.groups[0].valid and len(editor.groups[0].steps) == 3
    with tenant_context(org_a):
        assert [r.id for r in rows] == list(
            Step.objects.filter(version=large.version)
            .order_by("stage__position", "position")
            .values_list("pk", flat=True)
        )
