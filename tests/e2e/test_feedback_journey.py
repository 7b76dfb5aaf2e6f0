"""In a real browser: an admin launches a 360 baseline, the learner nominates and rates
themself, the manager approves, raters answer through their links on a phone, the cycle closes,
and the learner reads a report in which the direct-reports group is hidden and says why."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from measurement.feedback import services
from measurement.feedback.models import RaterRequest
from organizations.tenancy import tenant_context
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in
from tests.feedback.helpers import build_scene

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def switch_user(page, email):
    page.context.clear_cookies()
    sign_in(page, email, PASSWORD)


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_360_journey_from_launch_to_report(page, org_a, org_b, browser, live_server):
    scene = build_scene(org_a, n_competencies=2)
    build_scene(org_b, prefix="b-")
    slug = org_a.slug
    today = timezone.localdate()

    # The admin launches a baseline.
    sign_in(page, scene.admin.user.email, PASSWORD)
    page.goto(f"/o/{slug}/360/cycles/")
    page.get_by_role("link", name="Launch a baseline").click()
    page.get_by_label("Title").fill("Spring baseline")
    page.get_by_label("Competency 1").check()
    page.get_by_label("Competency 2").check()
    page.get_by_label("Nominations close on").fill((today + dt.timedelta(days=5)).isoformat())
    page.get_by_label("Answers close on").fill((today + dt.timedelta(days=20)).isoformat())
    page.get_by_role("button", name="Launch").click()
    page.get_by_text("Spring baseline launched").wait_for()

    # The learner nominates peers and direct reports; a bad nomination is refused in place.
    switch_user(page, scene.learner.user.email)
    page.goto(f"/o/{slug}/360/")
    page.get_by_role("link", name="Choose your raters").click()
    page.get_by_label("E-mail address").fill(scene.learner.user.email)
    page.get_by_role("button", name="Add to my list").click()
    page.get_by_text("nominate someone else").first.wait_for()
    for group, emails in (
        ("Peers", ["p1@x.example", "p2@x.example", "p3@x.example"]),
        ("Direct reports", ["d1@x.example", "d2@x.example", "d3@x.example"]),
    ):
        for email in emails:
            page.get_by_label("How they work with you").select_option(label=group)
            page.get_by_label("E-mail address").fill(email)
            page.get_by_role("button", name="Add to my list").click()
            page.get_by_text(f"{email} added to your list").wait_for()
    page.get_by_role("button", name="Send the list for approval").click()
    page.get_by_text("List sent for approval").wait_for()
    # ... and rates themself.
    page.get_by_role("link", name="Rate yourself").click()
    for radio in page.get_by_role("radio", name="5 · Almost always").all():
        radio.check()
    page.get_by_role("button", name="Send my feedback").click()
    page.get_by_text("your feedback is in").wait_for()

    # The manager approves the list.
    switch_user(page, scene.manager.user.email)
    page.goto(f"/o/{slug}/360/")
    page.get_by_role("link", name=scene.learner.user.display_name).click()
    page.get_by_role("button", name="Approve and send invitations").click()
    page.get_by_text("Approved: 7 invitations").wait_for()
    page.context.clear_cookies()

    # Raters answer through their links on a phone; one direct report never answers.
    with tenant_context(org_a):
        links = [
            (r.relationship, services.make_token(r))
            for r in RaterRequest.objects.filter(status=RaterRequest.Status.INVITED)
            .exclude(relationship="self")
            .exclude(email="d3@x.example")
            .order_by("id")
        ]
    phone = browser.new_context(base_url=live_server.url, viewport=PHONE)
    rater = phone.new_page()
    for n, (relationship, token) in enumerate(links):
        rater.goto(f"/r/360/{token}/")
        if relationship == "peer":
            rater.get_by_text("Your answers are anonymous").wait_for()
        assert no_sideways_scroll(rater)
        radios = rater.get_by_role("radio", name="3 · Often").all()
        radios[0].check()
        if n == 0:  # progress saved, the link reopens where they left off
            rater.get_by_role("button", name="Save and finish later").click()
            rater.get_by_text("Progress saved").wait_for()
            assert rater.get_by_role("radio", name="3 · Often").first.is_checked()
        for radio in rater.get_by_role("radio", name="Not observed").all()[1:2]:
            radio.check()
        for radio in rater.get_by_role("radio", name="4 · Usually").all()[2:]:
            radio.focus()
            rater.keyboard.press("Space")  # keyboard operable
        rater.get_by_label("What should this person keep doing?").fill("Keeps us focused")
        rater.get_by_role("button", name="Send my feedback").click()
        rater.get_by_text("your feedback is in").wait_for()
    rater.goto(f"/r/360/{links[0][1]}/")
    rater.get_by_text("Already answered").wait_for()
    phone.close()

    # The admin sees counts and closes the cycle; the report job runs.
    switch_user(page, scene.admin.user.email)
    page.goto(f"/o/{slug}/360/cycles/")
    page.get_by_role("link", name="Spring baseline").click()
    page.get_by_text("6 / 7").first.wait_for()
    page.get_by_role("button", name="Close the cycle and compute reports").click()
    page.get_by_text("Cycle closed").wait_for()

    # The learner reads the report on a phone: direct reports hidden, and why.
    page.set_viewport_size(PHONE)
    switch_user(page, scene.learner.user.email)
    page.goto(f"/o/{slug}/360/")
    page.get_by_role("link", name="Read your report").click()
    main = page.locator("main")
    main.get_by_text("fewer than 3 direct reports responded").wait_for()
    text = main.inner_text()
    assert "blind spot" in text  # self 5 against others about 3.3
    assert "usually more lenient" in text
    assert no_sideways_scroll(page)
    # The chart is drawn: a self and an others point per competency.
    page.locator('[data-plotly-figure="report-figure"] .scatterlayer .point').nth(3).wait_for()
    page.screenshot(path="test-artifacts/feedback-report-phone.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
