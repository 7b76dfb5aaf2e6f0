"""A learner takes a module and marks it done on its page; the sponsor sees the chart move."""

from __future__ import annotations

import pytest

from organizations.models import Team
from organizations.tenancy import tenant_context
from tests.conftest import PASSWORD, enroll, make_member, make_pathway
from tests.e2e.conftest import sign_in


@pytest.mark.django_db(transaction=True)
def test_it_takes_a_completed_step_to_the_sponsors_chart(page, org_a, org_b):
    fixture = make_pathway(org_a, n_steps=3)
    with tenant_context(org_a):
        team = Team.objects.create(name="Operations")
    learners = [make_member(org_a, f"l{i}@a.example", is_learner=True, team=team) for i in range(5)]
    for member in learners:
        enroll(org_a, fixture, member)
    make_member(org_a, "sponsor@a.example", is_sponsor=True)

    sign_in(page, "l0@a.example", PASSWORD)
    primary = page.locator(".card--primary")
    assert "Leading Through Change module 1" in primary.inner_text()
    assert "Mark done" not in primary.inner_text()  # a module is marked done on its own page
    primary.get_by_role("link", name="Open module").click()
    page.locator("#done").get_by_role("button", name="Mark done").click()
    page.get_by_role("link", name="Back to your next step").click()
    assert "1 of 3 steps done" in page.content()
    page.get_by_role("link", name="Open: Leading Through Change module 2").click()
    page.locator("#done").get_by_role("button", name="Mark done").click()
    page.get_by_role("link", name="Back to your next step").click()
    page.get_by_text("2 of 3 steps done").wait_for()

    page.context.clear_cookies()
    sign_in(page, "sponsor@a.example", PASSWORD)
    page.locator(".chart .main-svg").first.wait_for()
    assert "Operations leads with 13% of steps completed" in page.content()
    page.screenshot(path="test-artifacts/sponsor-home.png", full_page=True)
