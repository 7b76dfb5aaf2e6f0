"""In a real browser: live catalogue search, saving, a comment, and a mentoring match."""

from __future__ import annotations

import re

import pytest

from organizations.tenancy import tenant_context
from pathways.models import Ability, MentoringOffer
from tests.conftest import PASSWORD, make_member
from tests.e2e.conftest import sign_in
from tests.pathways.social.helpers import make_competency, make_module, make_team

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_searches_saves_comments_and_matches_a_mentor(page, org_a, org_b):
    feedback = make_competency(org_a, "Feedback")
    make_module(org_a, "Feedback that lands", summary="Situation, behaviour, impact.")
    make_module(org_a, "Delegating outcomes", summary="Hand over the result.")
    make_module(org_b, "Feedback at Globex")
    ops, sales = make_team(org_a, "Operations"), make_team(org_a, "Sales")
    make_member(org_a, "leo@a.example", team=ops, is_learner=True)
    mentor = make_member(org_a, "maya@a.example", team=sales, is_learner=True)
    with tenant_context(org_a):
        MentoringOffer.objects.create(mentor=mentor, competency=feedback)
        Ability.objects.create(learner=mentor, competency=feedback, theta=1.2, p_known=0.85)

    sign_in(page, "leo@a.example", PASSWORD)
    page.goto(f"/o/{org_a.slug}/catalogue/")
    assert "2 published modules" in page.content()
    page.get_by_label("Search").fill("feedback")
    page.wait_for_url(re.compile(r"text=feedback"))
    page.get_by_text("1 module matches, of 2 published").wait_for()
    assert "Delegating outcomes" not in page.locator("#catalogue-results").inner_text()
    assert "Feedback at Globex" not in page.content()
    page.get_by_role("button", name="Save “Feedback that lands” to your library").click()
    page.get_by_role(
        "button", name="Saved: remove “Feedback that lands” from your library"
    ).wait_for()
    page.screenshot(path="test-artifacts/social-catalogue.png", full_page=True)

    page.get_by_role("link", name="Saved modules").click()
    assert "Feedback that lands" in page.locator("main").inner_text()
    page.get_by_role("link", name="Discussion").click()
    page.get_by_label("Your comment").fill("Tried it in my stand-up.")
    page.get_by_role("button", name="Post comment").click()
    page.locator("#module-comments").get_by_text("Tried it in my stand-up.").wait_for()
    assert "(1 comment)" in page.locator("#module-comments").inner_text()
    page.screenshot(path="test-artifacts/social-comments.png", full_page=True)

    page.goto(f"/o/{org_a.slug}/mentoring/")
    page.get_by_label("Competency you want help with").select_option(label="Feedback")
    page.get_by_role("button", name="Find mentors").click()
    page.get_by_role("button", name="Ask Maya").click()
    page.get_by_text("Waiting for Maya’s answer.").wait_for()

    page.context.clear_cookies()
    sign_in(page, "maya@a.example", PASSWORD)
    page.goto(f"/o/{org_a.slug}/mentoring/")
    page.get_by_label("Note to your colleague (optional)").fill("Thursdays work for me.")
    page.get_by_role("button", name="Accept").click()
    pairs = page.locator("table")
    pairs.get_by_text("Leo").wait_for()
    assert "Operations" in pairs.inner_text() and "You mentor them" in pairs.inner_text()
    page.screenshot(path="test-artifacts/social-mentoring.png", full_page=True)
