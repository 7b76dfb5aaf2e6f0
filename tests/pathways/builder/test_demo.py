"""The builder's demo content: a project and a coaching step in the demo pathway, a second
published pathway with an elective group and a rule, baselines; idempotent."""

from __future__ import annotations

import random

from coaching.models import ConversationTemplate
from competencies.demo import seed_framework
from organizations.demo import seed_people
from organizations.models import AuditEntry
from organizations.tenancy import tenant_context
from pathways.builder import queries
from pathways.builder.demo import PROJECT_TITLE, SECOND_PATHWAY, seed_builder
from pathways.demo import seed_pathways
from pathways.models import (
    ElectiveGroup,
    PathwayVersion,
    PersonalisationRule,
    SelfAssessment,
    Step,
)
from projects.models import MilestoneTemplate, ProjectTemplate

MODELS = (
    PathwayVersion,
    Step,
    ElectiveGroup,
    PersonalisationRule,
    SelfAssessment,
    ProjectTemplate,
    MilestoneTemplate,
    ConversationTemplate,
)


def _counts() -> list[int]:
    return [model.objects.count() for model in MODELS]


def test_it_seeds_templates_steps_and_a_second_published_pathway_once(org_a, org_b):
    with tenant_context(org_a):
        seed_framework(org_a)
        people = seed_people(org_a, 8, random.Random(1))
        cohort = seed_pathways(people, random.Random(1))
        seed_builder(cohort, org_a.slug)
        first = _counts()
        seed_builder(seed_pathways(people, random.Random(1)), org_a.slug)
        assert _counts() == first

        kinds = list(
            Step.objects.filter(version=cohort.version)
            .order_by("stage__position", "position")
            .values_list("kind", flat=True)
        )
        assert kinds.count("project") == 1 and kinds.count("coaching") == 1
        assert kinds[-1] == "project"
        assert MilestoneTemplate.objects.filter(template__title=PROJECT_TITLE).count() == 4

        second = PathwayVersion.objects.get(pathway__name=SECOND_PATHWAY)
        assert second.status == "published"
        editor = queries.version_editor(second.pk)
        assert [(g.choose, len(g.steps)) for g in editor.groups] == [(1, 2)]
        assert editor.rule_count == 1 and len(editor.stages) == 3

        preview = queries.rule_preview(cohort.version_id, cohort.pk)
        assert preview.learners == 9 and preview.with_baseline > 0
        assert preview.steps and preview.steps[0].rules
    with tenant_context(org_b):
        assert not AuditEntry.objects.exists() and not PathwayVersion.objects.exists()
