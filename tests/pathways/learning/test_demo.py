"""The demo learner's state after ``seed_demo``: every piece of evidence was produced by the
services a learner's clicks go through, so estimates, schedules and evidence agree."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Sum

from organizations.models import Membership, Organization
from organizations.tenancy import tenant_context
from pathways.models import (
    Ability,
    PracticeAnswer,
    ReviewCard,
    ReviewLog,
    ScenarioPlay,
    Step,
    StepCompletion,
)
from pathways.practice import queries as practice_queries
from pathways.scenarios import queries as growth_queries
from pathways.social import queries as social_queries

pytestmark = pytest.mark.django_db


def _demo_learner(slug: str) -> Membership:
    return Membership.objects.select_related("user").get(user__email=f"learner@{slug}.test")


def _totals() -> tuple[int, int, int]:
    updates = Ability.objects.aggregate(n=Sum("updates"))["n"] or 0
    return ReviewLog.objects.count(), updates, ScenarioPlay.objects.count()


def test_it_gives_the_demo_learner_evidence_made_by_the_real_services():
    call_command("seed_demo", "--learners", "4")
    acme = Organization.objects.get(slug="acme")
    with tenant_context(acme):
        learner = _demo_learner("acme")

        done = set(
            StepCompletion.objects.filter(learner=learner).values_list(
                "enrollment__version_id", "step_key"
            )
        )
        done_modules = {
            module_id
            for version_id, key, module_id in Step.objects.filter(module__isnull=False).values_list(
                "version_id", "key", "module_id"
            )
            if (version_id, key) in done
        }
        answered = set(
            PracticeAnswer.objects.filter(learner=learner).values_list("task__module_id", flat=True)
        )
        assert answered and answered <= done_modules

        assert practice_queries.due_count(learner) > 0
        reviewed = list(ReviewCard.objects.filter(learner=learner, last_review__isnull=False))
        assert reviewed
        for card in reviewed:
            last = ReviewLog.objects.filter(card=card).order_by("reviewed_at").last()
            assert last is not None
            # The card holds the schedule FSRS gave at its last review.
            assert (card.last_review, card.due) == (last.reviewed_at, last.due_after)
            assert card.stability is not None and card.difficulty is not None

        ended = ScenarioPlay.objects.filter(
            learner=learner, finished_at__isnull=False
        ).select_related("current_node")
        assert any(p.current_node is not None and p.current_node.is_ending for p in ended)

        assert social_queries.recommendations_for(learner)
        mentoring = social_queries.mentoring_page(learner)
        assert [p.my_role for p in mentoring.pairs] == ["mentee"]
        assert any(r.suggestions for r in mentoring.requests)

        # Every estimate rests on exactly the answers listed under it, for every learner.
        learners = Membership.objects.filter(pk__in=Ability.objects.values("learner_id")).order_by(
            "pk"
        )
        assert learners.count() > 3
        for member in learners:
            for c in growth_queries.growth_report(member).competencies:
                assert c.graded == c.answers, (member.user.email, c.name)
        mine = growth_queries.growth_report(learner).competencies
        assert sum(c.reviews.count for c in mine) > 0
        assert sum(c.decisions.count for c in mine) > 0
        assert sum(c.questions.count for c in mine) > 0  # practice for the competency offered
        acme_totals = _totals()

    globex = Organization.objects.get(slug="globex")
    with tenant_context(globex):
        other = _demo_learner("globex")
        assert not ReviewLog.objects.filter(learner=learner).exists()
        assert ReviewLog.objects.filter(learner=other).exists()
        globex_totals = _totals()

    call_command("seed_demo", "--learners", "4")  # a second run adds nothing
    with tenant_context(acme):
        assert _totals() == acme_totals
    with tenant_context(globex):
        assert _totals() == globex_totals


def test_it_seeds_each_taken_modules_opened_and_completed_facts_once(org_a, org_b):
    from pathways.models import ActivityEvent

    call_command("seed_demo", "--learners", "4")
    acme = Organization.objects.get(slug="acme")
    with tenant_context(acme):
        learner = _demo_learner("acme")
        module_steps = StepCompletion.objects.filter(
            learner=learner,
            step_key__in=Step.objects.filter(module__isnull=False).values("key"),
        ).count()
        facts = ActivityEvent.objects.filter(verb__in=["experienced", "completed"])
        mine = facts.filter(actor=learner, object_type="module")
        assert mine.filter(verb="completed").count() >= module_steps > 0
        assert mine.filter(verb="experienced").count() >= module_steps
        before = facts.count()
    call_command("seed_demo", "--learners", "4")
    with tenant_context(acme):
        assert ActivityEvent.objects.filter(verb__in=["experienced", "completed"]).count() == before
