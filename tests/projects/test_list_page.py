"""The lists of projects written in Python (``projects.list_page``) are, byte for byte, what
their template rendered (kept as it was in ``tests/organizations/replaced/project_list.html``):
every role's list, the admin's per cohort, filtered or not, empty or not, one page or several,
with titles and names that need escaping; and the filter form drawn once per language and
values is the one the form draws."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.test import override_settings
from django.utils import translation

from organizations import listed_fields
from organizations.tenancy import tenant_context
from pathways.models import CohortCoach
from projects import forms, list_page
from tests.conftest import make_member
from tests.organizations.conftest import fresh_site_nav  # noqa: F401 (the fixture)
from tests.organizations.test_page_frame import _assert_same_page, _replaced
from tests.projects.helpers import make_world
from tests.projects.test_project_list import _varied_projects

pytestmark = pytest.mark.usefixtures("fresh_site_nav")


def _as_template_drew(client: Any, url: str, calls: list[Any]) -> str:
    """Get ``url`` and check the page against the template rendered with what it was given."""
    response = client.get(url)
    assert response.status_code == 200
    kwargs = calls.pop()
    name = kwargs["cohort_name"]
    context = {
        "listing": kwargs["listing"],
        "rows": kwargs["rows"],
        "role": kwargs["role"],
        "form": forms.ProjectFilterForm(response.wsgi_request.GET or None),
        "query": kwargs["query"],
        "cohorts": kwargs["cohorts"],
        "cohort": SimpleNamespace(name=name) if name is not None else None,
    }
    _assert_same_page(response, _replaced("project_list.html", context, response))
    return response.content.decode()


@override_settings(DEBUG=False)
def test_every_list_is_what_its_template_rendered(client, org_a, monkeypatch):
    world = make_world(org_a)
    coach = make_member(org_a, "cole@a.example", is_coach=True)
    with tenant_context(org_a):
        world.cohort.name = "Spring <&> \"'26'\""
        world.cohort.save()
        CohortCoach.objects.create(cohort=world.cohort, membership=coach)
    calls: list[dict[str, Any]] = []
    content_html = list_page.content_html

    def keep(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return content_html(**kwargs)

    monkeypatch.setattr(list_page, "content_html", keep)
    slug = org_a.slug
    lists = f"/o/{slug}/projects/"
    cohort_list = f"/o/{slug}/cohorts/{world.cohort.pk}/projects/"

    # Nothing yet: each role's empty state, the filtered one, the cohort's.
    for member in (world.admin, world.sponsor, coach, world.learner):
        client.force_login(member.user)
        page = _as_template_drew(client, lists, calls)
        assert "empty-state" in page
    client.force_login(world.admin.user)
    assert "No project matches" in _as_template_drew(client, f"{lists}?q=zz&late=on", calls)
    _as_template_drew(client, cohort_list, calls)

    _varied_projects(world, 30)  # more than a page, in every status, names needing escapes
    for member, role_pages in (
        (world.admin, ("", "?page=2", "?q=%3Cthe%3E", "?status=running", "?status=nope&late=on")),
        (world.sponsor, ("", "?page=2")),
        (coach, ("",)),
        (world.learner, ("", "?page=2")),
    ):
        client.force_login(member.user)
        for query in role_pages:
            page = _as_template_drew(client, lists + query, calls)
            assert "<table" in page
    client.force_login(world.admin.user)
    page = _as_template_drew(client, lists, calls)
    assert "Projects by cohort" in page and "Spring &lt;&amp;&gt;" in page
    page = _as_template_drew(client, f"{cohort_list}?q=%25&status=draft", calls)
    assert "?q=%25&amp;status=draft&amp;format=csv" in page
    _as_template_drew(client, f"{cohort_list}?page=2", calls)
    with translation.override("fr"):
        client.cookies["django_language"] = "fr"
        _as_template_drew(client, lists, calls)


def test_the_filters_are_drawn_once_per_language_and_values(monkeypatch):
    from django.http import QueryDict

    monkeypatch.setattr(listed_fields, "_filters", {})
    made: list[Any] = []

    def form(data: Any) -> Any:
        made.append(data)
        return forms.ProjectFilterForm(data)

    unbound = list_page.filters_html(None, lambda: form(None))
    assert list_page.filters_html(None, lambda: form(None)) == unbound
    data = QueryDict("q=%3Cx%3E&status=running&late=on&page=3")
    bound = list_page.filters_html(data, lambda: form(data))
    assert 'value="&lt;x&gt;"' in bound and 'value="running" selected' in bound
    # The page number is not one of the form's values: the same drawing.
    same = QueryDict("q=%3Cx%3E&status=running&late=on&page=4")
    assert list_page.filters_html(same, lambda: form(same)) == bound
    assert made == [None, data]
    with translation.override("fr"):
        list_page.filters_html(None, lambda: form(None))
    assert len(made) == 3
