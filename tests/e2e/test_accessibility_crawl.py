"""Every page of every demo role, found by following links from the role's home, at a laptop
(1280x800) and a phone (390x844) size: axe-core finds no serious or critical violation, and
no page scrolls sideways on the phone.

Pages are discovered, not listed, so pages added later are covered without touching this test.
Links that share a shape (``/o/acme/cohorts/<id>/``) are visited once, to keep the crawl short.
"""

from __future__ import annotations

import os
import re
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
DEMO_PASSWORD = "pathwise-demo"
ROLES = os.environ.get(
    "PATHWISE_CRAWL_ROLES", "admin@acme.test learner@acme.test coach@acme.test sponsor@acme.test"
).split()
SIZES = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
MAX_PAGES_PER_ROLE = 80
BLOCKING = {"serious", "critical"}
# Links that change state or leave the HTML pages: never followed by the crawler.
SKIP = re.compile(
    r"/(logout|export|download|ical|calendar\.ics)|\.(csv|xlsx|pdf|ics|json)$|[?&]format=\w"
)


def _shape(path: str) -> str:
    """``/o/acme/cohorts/12/`` and ``/o/acme/cohorts/13/?path=4`` share the shape
    ``/o/acme/cohorts/#/``, with the query's numbers folded the same way."""
    return re.sub(r"\d+", "#", path)


def _axe(page: Any) -> list[str]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {', '.join(v['targets'])}"
        for v in results
        if v["impact"] in BLOCKING
    ]


# The outermost elements that stick out past the window's right edge, to say what to fix.
WIDEST = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    const parent = el.parentElement && el.parentElement.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1 && (!parent || parent.right <= width + 1)) {
      out.push(`${el.tagName.toLowerCase()}.${el.className} (${Math.round(box.right)} px)`);
    }
  }
  return [document.documentElement.scrollWidth, width, out.slice(0, 3)];
}"""


def _sideways(page: Any) -> str | None:
    scroll_width, width, culprits = page.evaluate(WIDEST)
    if scroll_width > width:
        return f"scrolls sideways: {scroll_width} px wide in a {width} px window: {culprits}"
    return None


# On a phone the header collapses behind "Menu": it may take this much of the 844 px height.
PHONE_HEADER_MAX = 120


def _phone_layout(page: Any) -> list[str]:
    """The header is collapsed and charts show no toolbar over their title."""
    problems = []
    header = page.evaluate(
        "() => document.querySelector('.site-header').getBoundingClientRect().height"
    )
    if header > PHONE_HEADER_MAX:
        problems.append(f"the header takes {round(header)} px of the phone's height")
    toolbars = page.evaluate(
        "() => Array.from(document.querySelectorAll('.chart .modebar'))"
        ".filter(el => el.getBoundingClientRect().height > 0).length"
    )
    if toolbars:
        problems.append(f"{toolbars} chart toolbar(s) shown on a phone")
    return problems


def _links(page: Any, origin: str) -> list[str]:
    hrefs = page.evaluate(
        "() => Array.from(document.querySelectorAll('a[href]:not([download])'), a => a.href)"
    )
    out = []
    for href in hrefs:
        url, _fragment = urldefrag(href)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIP.search(
            parts.path + ("?" + parts.query if parts.query else "")
        ):
            continue
        if parts.path.startswith(("/o/", "/accounts/profile", "/profile")):
            out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def _settle(page: Any) -> None:
    page.wait_for_load_state("networkidle")
    # Charts draw after plotly.js loads; check them drawn, as a person would see them.
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('[data-plotly-figure]'))"
        ".every(el => el.dataset.plotlyRendered)"
    )


def _crawl(context: Any, origin: str, email: str) -> tuple[list[str], list[str]]:
    """Visit the role's pages; return the paths visited and the problems found."""
    page = context.new_page()
    page.set_viewport_size(SIZES["laptop"])
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")
    start = urlsplit(page.url).path
    if not start.startswith("/o/"):  # the organisation picker: go into acme
        start = "/o/acme/"
    queue, seen, visited, problems = deque([start]), {_shape(start)}, [], []
    while queue and len(visited) < MAX_PAGES_PER_ROLE:
        path = queue.popleft()
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            response = page.goto(path)
            if response is None or "text/html" not in response.headers.get("content-type", ""):
                break
            if response.status >= 500:
                problems.append(f"{email} {path}: server error {response.status}")
                break
            _settle(page)
            if size == "phone":
                if sideways := _sideways(page):
                    problems.append(f"{email} phone {path}: {sideways}")
                problems.extend(f"{email} phone {path}: {p}" for p in _phone_layout(page))
            for problem in _axe(page):
                problems.append(f"{email} {size} {path}: {problem}")
            if size == "laptop":
                for link in _links(page, origin):
                    if _shape(link) not in seen:
                        seen.add(_shape(link))
                        queue.append(link)
        visited.append(path)
    page.close()
    return visited, problems


def test_it_finds_no_serious_violation_and_no_sideways_scroll_on_any_page(
    browser, live_server, org_a, org_b
):
    call_command("seed_demo", verbosity=0)
    problems: list[str] = []
    visited: dict[str, list[str]] = {}
    for email in ROLES:
        # axe is injected as a script: the page's own CSP would refuse it.
        context = browser.new_context(base_url=live_server.url, bypass_csp=True)
        context.set_default_timeout(20_000)
        try:
            visited[email], found = _crawl(context, live_server.url, email)
        finally:
            context.close()
        problems.extend(found)
    print({email: len(paths) for email, paths in visited.items()})  # shown with -s
    # The crawl really went somewhere: each role reached several of its pages.
    assert all(len(paths) >= 3 for paths in visited.values()), visited
    assert problems == [], "\n".join(problems)
