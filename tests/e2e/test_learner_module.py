"""In a real browser: the diagnostic, the next step, a module with its practice task and
rating, marking it done, and the history."""

from __future__ import annotations

import pytest

from organizations.tenancy import tenant_context
from pathways.models import ModuleReaction, PracticeAnswer, ReviewCard, SelfAssessment
from tests.conftest import PASSWORD, enroll, make_member, make_pathway
from tests.e2e.conftest import sign_in
from tests.pathways.learning.factories import (
    add_items,
    add_task,
    link_competencies,
    make_framework,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_takes_a_learner_from_the_diagnostic_through_a_module(page, org_a, org_b):
    fixture = make_pathway(org_a, n_steps=2)
    link_competencies(org_a, fixture, make_framework(org_a, ["Giving feedback"]))
    module_id = fixture.steps[0].module_id
    add_task(org_a, module_id)
    add_items(org_a, module_id, 2)
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    enroll(org_a, fixture, leo)

    sign_in(page, "leo@a.example", PASSWORD)
    primary = page.locator(".card--primary")
    assert "Rate yourself to tailor Leading Through Change" in primary.inner_text()
    primary.get_by_role("link", name="Start the self-assessment").click()
    page.get_by_role("button", name="Save my ratings").click()
    assert "Rate yourself on this competency." in page.content()
    page.get_by_label("3 – Level 3").check()
    page.get_by_role("button", name="Save my ratings").click()
    page.get_by_text("Your pathway is now tailored to you.").wait_for()

    primary = page.locator(".card--primary")
    assert "Next in Stage 1 of Leading Through Change" in primary.inner_text()
    primary.get_by_role("link", name="Open module").click()
    page.get_by_label("Your answer").fill("I will ask Sam for feedback on Friday.")
    page.get_by_role("button", name="Save answer").click()
    page.get_by_text("Answer saved as evidence.").wait_for()  # swapped in place by htmx
    page.get_by_label("Your answer").fill("I asked Sam on Friday; next, Priya.")
    page.get_by_role("button", name="Update answer").click()
    page.get_by_text("Answer updated.").wait_for()
    page.locator("#reaction").get_by_label("4").first.check()
    page.locator("#reaction").get_by_label("5").last.check()
    page.get_by_role("button", name="Save rating").click()
    page.get_by_text("your rating helps improve the programme").wait_for()
    page.locator(".card--primary").get_by_role("button", name="Mark done").click()
    page.get_by_text("2 questions were added to your reviews.").wait_for()
    page.get_by_role("link", name="Back to your next step").click()
    assert "1 of 2 steps done" in page.content()
    assert "2 reviews due" in page.locator(".card--primary").inner_text()
    page.screenshot(path="test-artifacts/learner-home.png", full_page=True)

    page.get_by_role("link", name="Your history").click()
    assert "I asked Sam on Friday; next, Priya." in page.content()
    with tenant_context(org_a):
        assert SelfAssessment.objects.get().rating == 3
        assert PracticeAnswer.objects.get().text == "I asked Sam on Friday; next, Priya."
        reaction = ModuleReaction.objects.get()
        assert (reaction.useful, reaction.relevant) == (4, 5)
        assert ReviewCard.objects.filter(learner=leo).count() == 2
