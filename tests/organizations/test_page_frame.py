"""Pages whose frame is written without the template engine (``organizations.page_frame``) must
be, byte for byte, what ``base.html`` renders around the same blocks through the context
processors: signed in in each role or not, with messages of every level, with a name, an
organisation and a token that need escaping, in another language; and the pages that use it
must be what their templates render: the coach's home and the learner's home (whose templates
keep their partials), the impact page and a cohort's page (their templates as they were, in
``replaced/``)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.template import engines
from django.template.loader import render_to_string
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.csp import LazyNonce

from coaching import page_parts
from measurement import impact_page
from organizations import page_frame
from organizations.tenancy import tenant_context
from pathways.cohorts import views as cohort_views
from pathways.learning import home_page
from tests.coaching.test_coach_home import _cohort_with_learners
from tests.conftest import enroll, make_member, make_pathway

pytestmark = pytest.mark.usefixtures("fresh_site_nav")

TITLE = "Page &amp; <i>title</i>"
HEAD = '<meta name="x" content="y">'
CONTENT = "\n<p>Content &amp; more</p>\n"
SCRIPTS = "<script>1</script>"
CHILD = (
    '{% extends "base.html" %}'
    f"{{% block title %}}{TITLE}{{% endblock %}}{{% block head %}}{HEAD}{{% endblock %}}"
    f"{{% block content %}}{CONTENT}{{% endblock %}}"
    f"{{% block scripts %}}{SCRIPTS}{{% endblock %}}"
)


def _request(user: Any, member: Any = None, *, messages: bool = False, role: str = "") -> Any:
    request: Any = RequestFactory().get("/o/x/")
    request.user = user
    request.session = {f"pathwise_role_{member.organization_id}": role} if member else {}
    request.resolver_match = SimpleNamespace(url_name="org_home")
    request._csp_nonce = LazyNonce()
    if member is not None:
        request.org, request.membership = member.organization, member
    storage = CookieStorage(request)
    if messages:
        for level, text in (
            (constants.ERROR, "Bad <input> & more"),
            (constants.WARNING, "Careful"),
            (constants.SUCCESS, "Saved"),
            (constants.INFO, "Note"),
        ):
            storage.add(level, text)
    request._messages = storage
    return request


def _both(request: Any, monkeypatch: Any) -> tuple[str, str]:
    # The same token for both (each ``get_token`` masks the secret afresh), one needing escapes.
    for where in ("django.template.context_processors", "organizations.page_frame"):
        monkeypatch.setattr(f"{where}.get_token", lambda request: 'tok<en>"')
    template = engines["django"].from_string(CHILD).render({}, request)
    written = page_frame.page_html(request, TITLE, CONTENT, head=HEAD, scripts=SCRIPTS)
    return template, written


@override_settings(DEBUG=False)
def test_the_frame_is_base_htmls_around_the_same_blocks(org_a, monkeypatch):
    member = make_member(org_a, "ada@example.com", is_admin=True, is_learner=True, is_coach=True)
    member.user.full_name = "Ada <b>&\"'"
    org_a.name = "Acme <b>\"Co\"</b> & 'Sons'"
    shapes = [
        _request(AnonymousUser()),
        _request(member.user, member),
        _request(member.user, member, messages=True),
        _request(member.user, member, role="coach"),
        _request(member.user, member, role="learner"),
    ]
    for request in shapes:
        template, written = _both(request, monkeypatch)
        assert written == template
    assert "tok&lt;en&gt;&quot;" in written and "Ada &lt;b&gt;" in written
    with translation.override("fr"):
        template, written = _both(_request(member.user, member, messages=True), monkeypatch)
        assert written == template and '<html lang="en">' in written


def test_the_response_is_what_render_gives(org_a):
    member = make_member(org_a, "ada@example.com", is_learner=True)
    request = _request(member.user, member)
    response = page_frame.page_response(request, TITLE, CONTENT)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response.content.decode().endswith("\n</body>\n</html>\n")


def _masked(html: str) -> str:
    return re.sub(r'"X-CSRFToken": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _captured(monkeypatch: Any, owner: Any, name: str) -> list[Any]:
    calls: list[Any] = []
    original = getattr(owner, name)

    def keep(*args: Any, **kwargs: Any) -> Any:
        calls.append((args, result := original(*args, **kwargs)))
        return result

    monkeypatch.setattr(owner, name, keep)
    return calls


def _content_of(client: Any, monkeypatch: Any, owner: Any, name: str, url: str) -> tuple[Any, Any]:
    """The response to ``url`` and what ``owner.name`` gave it, called once (the content)."""
    calls = _captured(monkeypatch, owner, name)
    response = client.get(url)
    [(_args, content)] = calls
    return response, content


def _assert_same_page(response: Any, template: str) -> None:
    """The page as served is the template's output (the CSRF token aside: masked afresh)."""
    assert _masked(response.content.decode()) == _masked(template)


def _replaced(name: str, context: dict[str, Any], response: Any) -> str:
    """The page's template as it was (``replaced/``), rendered for the page's own request."""
    text = (Path(__file__).parent / "replaced" / name).read_text()
    return engines["django"].from_string(text).render(context, response.wsgi_request)


@override_settings(DEBUG=False)
def test_the_coach_home_is_its_templates_output(client, org_a, monkeypatch):
    coach = make_member(org_a, "cora@a.example", is_coach=True)
    client.force_login(coach.user)
    calls = _captured(monkeypatch, page_parts, "home_content")
    empty = client.get(reverse("coach_home", args=[org_a.slug]))
    assert "No coachees yet" in empty.content.decode()
    _cohort_with_learners(org_a, coach, 3, "l")
    full = client.get(reverse("coach_home", args=[org_a.slug]))
    assert "Talk to these coachees first" in full.content.decode()
    for response, ((top, summary, roster), _content) in zip((empty, full), calls, strict=True):
        context = {
            "top": top,
            "summary": summary,
            "roster": roster,
            "roster_summary": page_parts.roster_summary(summary),
        }
        request = response.wsgi_request
        template = render_to_string("coaching/coach_home.html", context, request=request)
        _assert_same_page(response, template)


@override_settings(DEBUG=False)
def test_the_impact_page_is_its_templates_output(client, org_a, monkeypatch):
    sponsor = make_member(org_a, "sam@a.example", is_sponsor=True)
    client.force_login(sponsor.user)
    url = reverse("sponsor_home", args=[org_a.slug])
    response, content = _content_of(client, monkeypatch, impact_page, "page_html", url)
    template = _replaced("sponsor_home.html", {"content": content}, response)
    _assert_same_page(response, template)
    assert "plotly.min.js" in template


@override_settings(DEBUG=False)
def test_the_learner_home_is_its_templates_output(client, org_a, monkeypatch):
    learner = make_member(org_a, "lee@a.example", is_learner=True)
    enroll(org_a, make_pathway(org_a), learner)
    client.force_login(learner.user)
    url = reverse("org_home", args=[org_a.slug])
    response, content = _content_of(client, monkeypatch, home_page, "content_html", url)
    template = render_to_string(
        "pathways/learner_home.html", {"content": content}, request=response.wsgi_request
    )
    _assert_same_page(response, template)
    assert "<title>Your next step" in template


@override_settings(DEBUG=False)
def test_the_cohort_page_is_its_templates_output(client, org_a, monkeypatch):
    admin = make_member(org_a, "ada@a.example", is_admin=True)
    fixture = make_pathway(org_a)
    with tenant_context(org_a):
        fixture.cohort.name = "Leaders <&> \"'25'\""
        fixture.cohort.save()
    enroll(org_a, fixture, make_member(org_a, "lee@a.example", is_learner=True))
    client.force_login(admin.user)
    parts = {
        name: _captured(monkeypatch, cohort_views, f"_{name}")
        for name in ("header", "learners_section", "forms")
    }
    response = client.get(reverse("cohort_detail", args=[org_a.slug, fixture.cohort.pk]))
    context = {
        "cohort": fixture.cohort,
        "header": parts["header"][0][1],
        "learners": parts["learners_section"][0][1],
        "forms": parts["forms"][0][1],
    }
    template = _replaced("cohort_detail.html", context, response)
    _assert_same_page(response, template)
    assert "<title>Leaders &lt;&amp;&gt; &quot;&#x27;25&#x27;&quot;" in template


@override_settings(DEBUG=False)
def test_the_team_growth_people_and_audit_pages_are_their_templates_output(
    client, org_a, monkeypatch
):
    from measurement import team_page
    from measurement.growth import page as growth_page
    from organizations.models import Team
    from organizations.people import list_pages

    admin = make_member(org_a, "ada@a.example", is_admin=True, is_learner=True)
    with tenant_context(org_a):
        Team.objects.create(name="Ops <&>", manager=admin)
    enroll(org_a, make_pathway(org_a), admin)
    newcomer = make_member(org_a, "new@a.example", is_learner=True)
    newcomer.user.set_unusable_password()  # not invited yet: the page's form with a token
    newcomer.user.save()
    client.force_login(admin.user)
    team = _captured(monkeypatch, team_page, "content_html")
    growth = _captured(monkeypatch, growth_page, "content_html")
    audit = _captured(monkeypatch, list_pages, "audit_page_html")
    people = _captured(monkeypatch, list_pages, "people_page_html")
    slug = [org_a.slug]
    response = client.get(reverse("team_dashboard", args=slug))
    expected = _replaced("team_dashboard.html", {"content": team[0][1]}, response)
    _assert_same_page(response, expected)
    assert "plotly.min.js" in expected and "<title>My teams" in expected
    response = client.get(reverse("learner_growth", args=slug))
    [((picture, _slug, figure), content)] = [(args[:3], out) for args, out in growth]
    context = {"picture": picture, "figure": figure, "content": content}
    expected = _replaced("growth.html", context, response)
    _assert_same_page(response, expected)
    response = client.get(reverse("audit_log", args=slug))
    context = {"title": list_pages.title("Audit log"), "content": audit[0][1]}
    _assert_same_page(response, _replaced("audit_log.html", context, response))
    response = client.get(reverse("people_list", args=slug))
    top, rest = people[0][1]
    assert rest  # the not-invited section, its form taking the page's token
    context = {"title": list_pages.title("People"), "top": top, "rest": rest}
    _assert_same_page(response, _replaced("people_list.html", context, response))
