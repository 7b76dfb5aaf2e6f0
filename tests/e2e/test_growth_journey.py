"""In a real browser on a phone: the learner goes from their home to My growth and reads where
they grow in the first screenful, with the chart drawn, no sideways scroll and no serious axe
violation; their coach opens the coachee's growth from the engagement and sees no 360 figure
until the learner shares the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from measurement.growth import services as growth
from organizations.tenancy import tenant_context
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in
from tests.measurement.growth_helpers import build_growth_scene, observe, peers, run_cycle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def serious_axe_violations(page):
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => v.impact + ' ' + v.id + ': ' + v.help)"
    )
    return [v for v in found if v.startswith(("serious", "critical"))]


def test_a_learner_reads_where_they_grow_on_a_phone(browser, live_server, org_a, org_b):
    scene = build_growth_scene(org_a, "a")
    build_growth_scene(org_b, "b")
    baseline = run_cycle(scene, peers(2))
    run_cycle(scene, peers(4, self_value=5), kind="follow_up", baseline=baseline)
    observe(scene, scene.learner, scene.competencies[0], 4)
    with tenant_context(scene.org):
        growth.do_rollup_growth()
    slug = scene.org.slug
    # axe is injected as a script, which the page's own CSP would refuse.
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, scene.learner.user.email, PASSWORD)
        page.goto(f"/o/{slug}/")
        page.get_by_role("link", name="My growth").first.click()
        page.wait_for_url(f"**/o/{slug}/my-growth/")
        headline = page.get_by_text("Your colleagues see a reliable improvement in").first
        headline.wait_for()
        box = headline.bounding_box()
        assert box is not None and box["y"] + box["height"] <= PHONE["height"]  # first screen
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('[data-plotly-figure]'))"
            ".every(el => el.dataset.plotlyRendered)"
        )
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert serious_axe_violations(page) == []

        # The coach opens the coachee's growth from the engagement: no 360 figure unshared.
        page.context.clear_cookies()
        sign_in(page, scene.coach.user.email, PASSWORD)
        page.goto(f"/o/{slug}/coaching/engagements/{scene.engagements[0].pk}/")
        page.get_by_role("link", name="Growth and impact").click()
        page.get_by_text("Not shared with you: 2 of").wait_for()
        assert page.locator("[data-plotly-figure]").count() == 0
        assert "reliable improvement in" not in page.content()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert serious_axe_violations(page) == []
    finally:
        context.close()
