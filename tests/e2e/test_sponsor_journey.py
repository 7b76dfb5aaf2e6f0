"""In a real browser: a sponsor opens the impact page, reads the headline, opens the ROI table,
follows a benefit to its claims and downloads the one-page PDF."""

from __future__ import annotations

import pytest

from measurement import impact
from organizations.tenancy import tenant_context
from pathways.models import CohortSponsor
from tests.conftest import PASSWORD, make_member
from tests.e2e.conftest import sign_in
from tests.measurement.impact_fixtures import build_example

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_sponsor_follows_the_roi_to_its_claims_and_takes_the_pdf(
    page, org_a, org_b, monkeypatch, tmp_path
):
    cohort_id = build_example(org_a, monkeypatch, learners_n=12)
    sponsor = make_member(org_a, "cfo-sponsor@acme.example", is_sponsor=True)
    with tenant_context(org_a):
        CohortSponsor.objects.create(cohort_id=cohort_id, membership=sponsor)
        impact.do_rollup_impact()
    make_member(org_b, "sponsor@globex.example", is_sponsor=True)

    sign_in(page, "cfo-sponsor@acme.example", PASSWORD)
    page.goto(f"/o/{org_a.slug}/impact/")
    headline = page.locator("#headline")
    assert "91 %" in headline.inner_text()
    assert "6.3" in headline.inner_text() and "1.91" in headline.inner_text()
    page.locator("[data-plotly-figure] .main-svg").first.wait_for()
    page.screenshot(path="test-artifacts/sponsor-impact.png", full_page=True)

    page.get_by_role("link", name="ROI Return on investment").click()
    roi = page.locator("#roi")
    assert "460,000" in roi.inner_text() and "880,000" in roi.inner_text()
    roi.get_by_role("link", name="Project benefits claimed by participants").click()
    page.get_by_role("heading", name="Benefits claimed by participants").wait_for()
    body = page.locator("main").inner_text()
    assert "Key account" in body and "Moonshot" in body and "unsupported" in body

    page.go_back()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download one-page PDF").click()
    path = tmp_path / "impact.pdf"
    download_info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/o/{org_a.slug}/impact/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
