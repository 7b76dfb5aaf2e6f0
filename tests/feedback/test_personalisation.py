"""The 360 baseline as a source for the pathway's personalisation rules."""

from __future__ import annotations

import pytest

from competencies.models import Competency
from organizations.tenancy import tenant_context
from pathways.builder import services as builder_services
from pathways.builder.queries import rule_preview
from pathways.models import PathwayVersion, PersonalisationRule
from pathways.queries import SKIPPED, learner_enrollments
from tests.feedback.helpers import (
    answer_all,
    build_scene,
    close_and_compute,
    launch,
    nominate_and_approve,
)


@pytest.fixture
def scenes(org_a, org_b):
    return build_scene(org_a), build_scene(org_b, prefix="b-")


def _add_rule(scene, source):
    with tenant_context(scene.org):
        version = scene.fixture.version
        PathwayVersion.objects.filter(pk=version.pk).update(status=PathwayVersion.Status.DRAFT)
        step = scene.fixture.steps[1]
        step.version.refresh_from_db()
        competency = Competency.objects.order_by("position", "name").first()
        builder_services.do_add_rule(
            None,
            step,
            competency=competency,
            action=PersonalisationRule.Action.INCLUDE_IF_BELOW,
            threshold=3,
            source=source,
        )
        PathwayVersion.objects.filter(pk=version.pk).update(status=PathwayVersion.Status.PUBLISHED)
        return step


def _state(scene, step):
    with tenant_context(scene.org):
        (view,) = learner_enrollments(scene.learner)
        return next(s for st in view.stages for s in st.steps if s.id == step.pk)


def test_a_rule_can_read_the_360_baseline_instead_of_the_self_assessment(scenes):
    a, _b = scenes
    step = _add_rule(a, PersonalisationRule.Source.FEEDBACK_360)
    assert _state(a, step).state != SKIPPED  # no 360 yet: the step is kept
    cycle = launch(a)
    participant = nominate_and_approve(a, cycle, peers=3)
    answer_all(a, participant, lambda r, i: 1 if r.relationship == "self" else 4)
    close_and_compute(a, cycle)
    view = _state(a, step)
    # Others rate 4.0 (not below 3): skipped, although the learner rated themself 1.
    assert view.state == SKIPPED
    assert "already 4.0" in view.reason
    with tenant_context(a.org):
        preview = rule_preview(a.fixture.version.pk, a.fixture.cohort.pk)
    (row,) = preview.steps
    assert row.included == 0 and row.rules[0].no_baseline == 0


def test_a_self_assessment_rule_ignores_the_360(scenes):
    a, _b = scenes
    step = _add_rule(a, PersonalisationRule.Source.SELF_ASSESSMENT)
    cycle = launch(a)
    participant = nominate_and_approve(a, cycle, peers=3)
    answer_all(a, participant, lambda r, i: 4)
    close_and_compute(a, cycle)
    assert _state(a, step).state != SKIPPED  # no self-assessment: kept
