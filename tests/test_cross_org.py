"""Every URL under an organisation answers 404 to a member of another organisation.

The URL list is read from the resolver, so a new page or endpoint is covered the day it lands.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import enroll, make_member, make_pathway

PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def _walk(patterns, prefix=""):
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield route


def tenant_routes() -> list[str]:
    routes = [
        r
        for r in _walk(get_resolver().url_patterns)
        if r.startswith(("o/<slug:org_slug>/", "api/v1/orgs/<slug:org_slug>/"))
    ]
    return sorted(set(routes))


def _fill(route: str, slug: str) -> str:
    def value(match: re.Match) -> str:
        if match["name"] == "org_slug":
            return slug
        conv = match["conv"] or "str"
        return {"int": "1", "uuid": "00000000-0000-0000-0000-000000000001"}.get(conv, "x")

    path = "/" + PARAM.sub(value, route)
    return re.sub(r"[\^$]|\\Z", "", path).replace("(?P<format>[a-z0-9]+)/?", "json")


def test_it_finds_the_tenant_routes():
    assert len(tenant_routes()) >= 4


@pytest.mark.parametrize("route", tenant_routes())
def test_it_gives_404_to_another_organisations_member(client, org_a, org_b, route):
    for role in ("is_admin", "is_learner", "is_coach", "is_sponsor"):
        make_member(org_a, f"{role}@a.example", **{role: True})
    outsider = make_member(
        org_b, "outsider@b.example", is_admin=True, is_learner=True, is_coach=True, is_sponsor=True
    )
    client.force_login(outsider.user)
    url = _fill(route, org_a.slug)
    assert client.get(url).status_code == 404, url
    assert client.post(url, {}).status_code == 404, url


def test_it_gives_404_for_another_organisations_step_under_ones_own_slug(client, org_a, org_b):
    fixture = make_pathway(org_a)
    victim = make_member(org_a, "victim@a.example", is_learner=True)
    enrollment = enroll(org_a, fixture, victim)
    intruder = make_member(org_b, "intruder@b.example", is_learner=True)
    client.force_login(intruder.user)
    url = f"/o/{org_b.slug}/learn/enrollments/{enrollment.pk}/steps/{fixture.steps[0].pk}/done/"
    assert client.post(url).status_code == 404
    api = f"/api/v1/orgs/{org_b.slug}/me/enrollments/{enrollment.pk}/complete-step/"
    assert client.post(api, {"step_id": fixture.steps[0].pk}).status_code == 404


def test_it_gives_every_url_a_unique_name():
    names: dict[str, list[str]] = {}

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif p.name:
                names.setdefault(p.name, []).append(prefix + str(p.pattern))

    walk(get_resolver().url_patterns)
    # The same route twice (our sign-in page before Django's own) is an override, not a clash.
    assert {n: r for n, r in names.items() if len(set(r)) > 1} == {}
