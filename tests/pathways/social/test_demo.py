"""The demo social data: present for the demo learner, idempotent, tolerant of missing parts."""

from __future__ import annotations

import random

import pytest

from competencies.demo import seed_framework
from organizations.demo import seed_people
from organizations.tenancy import tenant_context
from pathways.demo import seed_pathways
from pathways.library.demo import seed_library
from pathways.models import (
    Ability,
    ActivityEvent,
    Comment,
    MentoringOffer,
    MentoringRequest,
    Recommendation,
    SavedModule,
)
from pathways.social import queries
from pathways.social.demo import seed_social

pytestmark = pytest.mark.django_db
MODELS = (Comment, MentoringOffer, MentoringRequest, Recommendation, SavedModule)


def _counts() -> list[int]:
    return [model.objects.count() for model in MODELS]


def test_it_seeds_every_social_feature_for_the_demo_learner_once(org_a, org_b):
    with tenant_context(org_a):
        seed_framework(org_a)
        seed_library(org_a)
        people = seed_people(org_a, 8, random.Random(1))
        seed_pathways(people, random.Random(1))
        seed_social(org_a)
        first = _counts(), list(Ability.objects.order_by("pk").values_list("updates", "p_known"))
        seed_social(org_a)
        assert (
            _counts(),
            list(Ability.objects.order_by("pk").values_list("updates", "p_known")),
        ) == first
        learner = people.learner
        [*recs] = queries.recommendations_for(learner)
        assert any(r.note for r in recs)
        page = queries.mentoring_page(learner)
        assert [p.my_role for p in page.pairs] == ["mentee"]
        assert len(page.incoming) == 1
        assert any(r.suggestions for r in page.requests)
        # Mentors are "further on" because of practice answers they gave, one per update.
        for ability in Ability.objects.all():
            answered = ActivityEvent.objects.filter(
                actor_id=ability.learner_id,
                verb="answered",
                object_type="retrieval_item",
                result__competency=ability.competency_id,
            ).count()
            assert answered == ability.updates > 0
        assert queries.my_library(learner)
        assert Comment.objects.filter(author=learner).exists()
    with tenant_context(org_b):
        assert _counts() == [0] * len(MODELS)


def test_it_does_nothing_without_demo_people_or_content(org_a):
    with tenant_context(org_a):
        seed_social(org_a)
        seed_people(org_a, 3, random.Random(2))
        seed_social(org_a)  # no modules and no competencies yet
        assert _counts() == [0] * len(MODELS)
