"""The navigation of every signed-in page, and the header around it, are rendered once per kind
of page and kept (organizations/templatetags/site_nav.py): the kept copy must be exactly what
the template renders, follow the page, the role and the organisation, and carry nothing
personal."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from organizations.models import Team
from organizations.templatetags import site_nav
from organizations.tenancy import tenant_context
from tests.conftest import make_member

pytestmark = pytest.mark.usefixtures("fresh_site_nav")


def _nav(html: str) -> str:
    return re.search(r'<nav class="site-nav".*?</nav>', html, re.S).group(0)


def _header(html: str) -> str:
    header = re.search(r'<header class="site-header">.*?</header>', html, re.S).group(0)
    # The CSRF token is masked anew on every page.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', header)


def _current(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)" aria-current="page"', _nav(html))


@override_settings(DEBUG=False)
def test_the_kept_navigation_is_the_template_and_follows_the_page(client, org_a, org_b):
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    client.force_login(leo.user)
    home = client.get(f"/o/{org_a.slug}/").content.decode()
    assert _current(home) == [f"/o/{org_a.slug}/"]
    practice_url = reverse("review_session", args=[org_a.slug])
    practice = client.get(practice_url).content.decode()
    assert _current(practice) == [practice_url]
    # Kept: a second home is the first one's navigation, without rendering it again.
    kept = len(site_nav._rendered)
    calls = []
    original = site_nav.render_nav
    site_nav.render_nav = lambda key: calls.append(key) or original(key)
    try:
        again = client.get(f"/o/{org_a.slug}/").content.decode()
    finally:
        site_nav.render_nav = original
    assert calls == [] and len(site_nav._rendered) == kept
    assert _nav(again) == _nav(home)
    # What the template renders for the same page, with nothing kept.
    site_nav._rendered.clear()
    with override_settings(DEBUG=True):
        fresh = client.get(f"/o/{org_a.slug}/").content.decode()
    assert _nav(fresh) == _nav(home)


@override_settings(DEBUG=False)
def test_the_navigation_follows_the_role_the_organisation_and_team_managers(client, org_a, org_b):
    ada = make_member(org_a, "ada@example.com", is_admin=True, is_learner=True)
    client.force_login(ada.user)
    as_admin = _nav(client.get(f"/o/{org_a.slug}/").content.decode())
    assert reverse("people_list", args=[org_a.slug]) in as_admin
    client.post(reverse("switch_role", args=[org_a.slug]), {"role": "learner"})
    as_learner = _nav(client.get(f"/o/{org_a.slug}/").content.decode())
    assert reverse("people_list", args=[org_a.slug]) not in as_learner
    assert reverse("learner_growth", args=[org_a.slug]) in as_learner
    assert "My teams" not in as_learner
    # Another organisation's member gets their own organisation's addresses.
    bea = make_member(org_b, "bea@example.com", is_learner=True)
    client.force_login(bea.user)
    other = _nav(client.get(f"/o/{org_b.slug}/").content.decode())
    assert f"/o/{org_a.slug}/" not in other and f"/o/{org_b.slug}/" in other
    # A team manager's navigation has their teams' page; the kept learner one does not.
    with tenant_context(org_a):
        Team.objects.create(name="Sales", manager=ada)
    client.force_login(ada.user)
    client.post(reverse("switch_role", args=[org_a.slug]), {"role": "learner"})
    managing = _nav(client.get(f"/o/{org_a.slug}/").content.decode())
    assert reverse("team_dashboard", args=[org_a.slug]) in managing


@override_settings(DEBUG=False)
def test_nothing_personal_is_kept(client, org_a, org_b):
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    client.force_login(leo.user)
    client.get(f"/o/{org_a.slug}/")
    kept = "".join(site_nav._rendered.values())
    assert "Leo" not in kept and "leo@example.com" not in kept
    assert "csrfmiddlewaretoken" not in kept


@override_settings(DEBUG=False)
def test_the_kept_header_is_the_template_with_the_person_filled_in(client, org_a, org_b):
    # A name that escaping changes, and that holds the marks' own text.
    ada = make_member(org_a, "ada@example.com", is_admin=True, is_learner=True, is_coach=True)
    ada.user.full_name = 'Ada "<pathwise:name>" & <b>Co</b>'
    ada.user.save(update_fields=["full_name"])
    bea = make_member(org_a, "bea@example.com", is_learner=True)
    pages = [f"/o/{org_a.slug}/", reverse("profile", args=[org_a.slug]), "/o/"]
    seen: dict[tuple[str, str], str] = {}
    for member in (ada, bea):
        client.force_login(member.user)
        for page in pages:
            response = client.get(page, follow=True)
            html = response.content.decode()
            token = response.wsgi_request.META["CSRF_COOKIE"]
            assert html.count('name="csrfmiddlewaretoken"') >= 1 and token
            seen[(member.user.email, page)] = _header(html)
    kept = len(site_nav._headers)
    assert kept >= 3
    # The same pages rendered by the template itself, with nothing kept.
    for member in (ada, bea):
        client.force_login(member.user)
        for page in pages:
            with override_settings(DEBUG=True):
                fresh = client.get(page, follow=True).content.decode()
            assert _header(fresh) == seen[(member.user.email, page)]
    ada_home = seen[("ada@example.com", f"/o/{org_a.slug}/")]
    assert "Ada &quot;&lt;pathwise:name&gt;&quot; &amp; &lt;b&gt;Co&lt;/b&gt;" in ada_home
    assert 'class="role-switch"' in ada_home
    assert 'class="role-switch"' not in seen[("bea@example.com", f"/o/{org_a.slug}/")]
    # Nothing personal, and no token, is kept: only the marks.
    stored = "".join(site_nav._headers.values())
    assert "Ada" not in stored and "Bea" not in stored and "example.com" not in stored
    assert stored.count(site_nav.NAME_MARK) >= kept and "<pathwise:csrf>" in stored
    # Another organisation's member gets their organisation's header, not a kept one of org_a.
    cy = make_member(org_b, "cy@example.com", is_learner=True)
    client.force_login(cy.user)
    other = _header(client.get(f"/o/{org_b.slug}/").content.decode())
    assert org_b.name in other and f"/o/{org_a.slug}/" not in other
    assert org_a.name not in other


@override_settings(DEBUG=False)
def test_a_page_rendered_without_its_request_gets_the_templates_header(org_a):
    # No CSRF token to fill in (a page rendered outside a request, as an error page can be):
    # the header is the template's own render in the page's context, and nothing is kept.
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string

    anonymous = render_to_string("base.html", {"user": AnonymousUser()})
    assert '<header class="site-header">' in anonymous
    ada = make_member(org_a, "ada@example.com", is_admin=True, is_learner=True)
    ada.user.full_name = "Ada <b>Co</b>"
    member = render_to_string(
        "base.html",
        {"user": ada.user, "org": org_a, "membership": ada, "active_role": "admin"},
    )
    assert "Ada &lt;b&gt;Co&lt;/b&gt;" in _header(member)
    assert reverse("people_list", args=[org_a.slug]) in _header(member)
    for html in (anonymous, member):
        assert "<pathwise:" not in html
    assert site_nav._headers == {}
