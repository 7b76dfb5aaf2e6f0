"""In a real browser: an admin creates an API key (shown once) and revokes it; the API docs
(Swagger UI and Redoc) render from the sidecar's files under the site's CSP."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, make_member
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_admin_creates_a_key_uses_it_and_revokes_it(page, org_a, org_b):
    make_member(org_a, "boss@acme.example", is_admin=True)
    sign_in(page, "boss@acme.example", PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/o/{org_a.slug}/api-keys/")
    page.get_by_label("Name").fill("BI dashboard")
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_role("textbox", name="Key").input_value()
    assert key.startswith("pw_")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    status = page.evaluate(
        """async ([url, key]) => (await fetch(url, {headers: {Authorization: `Bearer ${key}`},
            credentials: "omit"})).status""",
        [f"/api/v1/orgs/{org_a.slug}/frameworks/", key],
    )
    assert status == 200
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke BI dashboard").click()
    page.get_by_text("It no longer works").wait_for()
    status = page.evaluate(
        """async ([url, key]) => (await fetch(url, {headers: {Authorization: `Bearer ${key}`},
            credentials: "omit"})).status""",
        [f"/api/v1/orgs/{org_a.slug}/frameworks/", key],
    )
    assert status == 401


def test_the_api_docs_render_offline(page, db):
    page.goto("/api/v1/docs/")
    page.get_by_text("Pathwise API").first.wait_for()
    page.locator(".opblock").first.wait_for()


def test_redoc_renders_and_requests_nothing_outside_the_site(browser, live_server, db):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    outside: list[str] = []
    blocked: list[str] = []
    page.on(
        "requestfinished",  # a request the policy blocks never finishes
        lambda r: (
            outside.append(r.url)
            if not r.url.startswith((live_server.url, "blob:", "data:"))
            else None
        ),
    )
    page.on(
        "console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None
    )
    page.goto("/api/v1/redoc/")
    page.locator("h1", has_text="Pathwise API").wait_for()
    page.locator("h2", has_text="Competency frameworks").first.wait_for()
    context.close()
    # Redoc's footer logo points at its CDN: the site's policy blocks it before any request.
    assert all("cdn.redoc.ly" in text and "img-src" in text for text in blocked), blocked
    assert outside == []
