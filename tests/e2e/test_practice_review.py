"""A learner reviews due cards in a real browser: htmx swaps each card in place."""

from __future__ import annotations

import os

import pytest

from organizations.tenancy import tenant_context
from pathways.models import RetrievalItem, ReviewLog
from tests.conftest import PASSWORD, make_member
from tests.e2e.conftest import sign_in
from tests.pathways.practice.factories import make_cards

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("PATHWISE_SCREENSHOTS", "")


def _shot(browser_page, name):
    if SHOTS:
        browser_page.screenshot(path=os.path.join(SHOTS, f"practice-{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_it_reviews_a_choice_and_a_recall_card_in_the_browser(page, org_a, org_b):  # noqa: F811
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    make_cards(org_a, leo, n=1)
    make_cards(org_a, leo, n=1, kind=RetrievalItem.Kind.FREE_RECALL, module_title="Coaching")
    sign_in(page, "leo@a.example", PASSWORD)
    page.goto(f"/o/{org_a.slug}/practice/")
    page.get_by_text("Card 1 of 2").wait_for()
    _shot(page, "1-choice")
    page.get_by_label("Specific and timely").check()
    page.get_by_role("button", name="Check answer").click()
    page.get_by_role("heading", name="Right").wait_for()
    assert page.url.endswith("/practice/")  # swapped in place, no navigation
    _shot(page, "2-feedback")
    page.get_by_role("link", name="Next card (1 more due)").click()
    page.get_by_text("Card 2 of 2").wait_for()
    page.get_by_label("Your answer (optional)").fill("Be specific and timely.")
    page.get_by_text("Show the model answer").click()
    _shot(page, "3-recall")
    page.get_by_role("button", name="Good").click()
    page.get_by_role("heading", name="Saved as “Good”").wait_for()
    page.get_by_role("link", name="Finish").click()
    page.get_by_role("heading", name="All reviews done for now").wait_for()
    _shot(page, "4-done")
    page.get_by_role("link", name="Reminder settings").click()
    page.get_by_label("E-mail me on days when reviews are due").uncheck()
    page.get_by_label("Your time zone").select_option("Europe/Paris")
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Daily reminders are off.").wait_for()
    _shot(page, "5-settings")
    with tenant_context(org_a):
        assert ReviewLog.objects.count() == 2
