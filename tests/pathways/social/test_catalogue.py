"""Catalogue search and filters, the personal library, and their query counts."""

from __future__ import annotations

import pytest

from organizations.tenancy import tenant_context
from pathways.models import Module, ModuleTag, SavedModule
from pathways.social import queries, services
from pathways.social.queries import CatalogueFilters
from tests.conftest import count_queries, make_member
from tests.pathways.social.helpers import make_competency, make_module

pytestmark = pytest.mark.django_db

ROLE, FUNCTION, IMPACT = ModuleTag.Kind.ROLE, ModuleTag.Kind.FUNCTION, ModuleTag.Kind.IMPACT


@pytest.fixture
def library(org_a, org_b):
    feedback = make_competency(org_a, "Feedback")
    delegation = make_competency(org_a, "Delegation")
    modules = {
        "feedback": make_module(
            org_a,
            "Feedback that lands",
            summary="Situation, behaviour, impact.",
            competencies=(feedback,),
            tags=((ROLE, "Team lead"), (FUNCTION, "Operations"), (IMPACT, "Retention")),
        ),
        "delegate": make_module(
            org_a,
            "Delegating outcomes",
            summary="Hand over the result, keep the accountability.",
            competencies=(delegation,),
            tags=((ROLE, "Manager"), (FUNCTION, "Sales"), (IMPACT, "Efficiency")),
            minutes=12,
        ),
        "draft": make_module(
            org_a, "Feedback draft", status=Module.Status.DRAFT, competencies=(feedback,)
        ),
        "retired": make_module(org_a, "Old feedback", status=Module.Status.RETIRED),
    }
    make_module(org_b, "Feedback at Globex", tags=((ROLE, "Team lead"),))
    learner = make_member(org_a, "leo@a.example", is_learner=True)
    return {"modules": modules, "feedback": feedback, "learner": learner}


def _titles(org, learner, **filters):
    with tenant_context(org):
        page = queries.catalogue(learner, CatalogueFilters(**filters))
    return sorted(card.title for card in page.modules)


def test_it_lists_only_this_organisations_published_modules(org_a, library):
    assert _titles(org_a, library["learner"]) == ["Delegating outcomes", "Feedback that lands"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"text": "feedback"}, ["Feedback that lands"]),
        ({"text": "accountability"}, ["Delegating outcomes"]),
        ({"role": "Manager"}, ["Delegating outcomes"]),
        ({"function": "Operations"}, ["Feedback that lands"]),
        ({"impact": "Efficiency"}, ["Delegating outcomes"]),
        ({"role": "Team lead", "impact": "Efficiency"}, []),
    ],
)
def test_it_filters_by_text_role_function_and_impact(org_a, library, filters, expected):
    assert _titles(org_a, library["learner"], **filters) == expected


def test_it_filters_by_competency(org_a, library):
    assert _titles(org_a, library["learner"], competency_id=library["feedback"].pk) == [
        "Feedback that lands"
    ]


def test_it_offers_filter_choices_from_published_modules_only(org_a, library):
    with tenant_context(org_a):
        options = queries.filter_options()
    assert [name for _, name in options.competencies] == ["Delegation", "Feedback"]
    assert options.roles == ["Manager", "Team lead"]
    assert options.functions == ["Operations", "Sales"]


def test_it_saves_a_module_once_however_often_it_is_saved(org_a, library):
    learner, module = library["learner"], library["modules"]["feedback"]
    with tenant_context(org_a):
        first = services.do_save_module(learner, module.pk)
        second = services.do_save_module(learner, module.pk)
        assert first.pk == second.pk
        assert SavedModule.objects.filter(learner=learner).count() == 1
        page = queries.catalogue(learner, CatalogueFilters())
        assert {c.title: c.saved for c in page.modules} == {
            "Delegating outcomes": False,
            "Feedback that lands": True,
        }
        assert services.do_unsave_module(learner, module.pk) is True
        assert services.do_unsave_module(learner, module.pk) is False
        assert not SavedModule.objects.filter(learner=learner).exists()


def test_it_refuses_to_save_a_draft_module(org_a, library):
    with tenant_context(org_a), pytest.raises(Module.DoesNotExist):
        services.do_save_module(library["learner"], library["modules"]["draft"].pk)


def test_it_keeps_the_filters_in_a_shareable_url(client, org_a, library):
    client.force_login(library["learner"].user)
    url = f"/o/{org_a.slug}/catalogue/?text=feedback&role=Team+lead"
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Feedback that lands" in html and "Delegating outcomes" not in html
    assert 'value="feedback"' in html
    assert '<option value="Team lead" selected>' in html


def test_it_answers_htmx_with_the_results_only(client, org_a, library):
    client.force_login(library["learner"].user)
    response = client.get(f"/o/{org_a.slug}/catalogue/?text=delegating", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="stack" aria-labelledby="results-title">')
    assert "Delegating outcomes" in html and '<form class="card stack"' not in html


def test_it_toggles_saving_through_htmx_and_plain_posts(client, org_a, library):
    learner, module = library["learner"], library["modules"]["feedback"]
    client.force_login(learner.user)
    save = f"/o/{org_a.slug}/catalogue/modules/{module.pk}/save/"
    response = client.post(save, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'aria-pressed="true"' in response.content.decode()
    response = client.post(f"/o/{org_a.slug}/catalogue/modules/{module.pk}/unsave/")
    assert response.status_code == 302
    with tenant_context(org_a):
        assert not SavedModule.objects.filter(learner=learner).exists()


def test_it_shows_my_library_with_a_retired_module_marked(client, org_a, library):
    learner = library["learner"]
    with tenant_context(org_a):
        services.do_save_module(learner, library["modules"]["delegate"].pk)
        Module.objects.filter(pk=library["modules"]["delegate"].pk).update(
            status=Module.Status.RETIRED
        )
    client.force_login(learner.user)
    html = client.get(f"/o/{org_a.slug}/catalogue/saved/").content.decode()
    assert "Delegating outcomes" in html and "No longer offered" in html


def test_it_gives_404_for_another_organisations_module_under_ones_own_slug(
    client, org_a, org_b, library
):
    intruder = make_member(org_b, "intruder@b.example", is_learner=True)
    client.force_login(intruder.user)
    module_id = library["modules"]["feedback"].pk
    base = f"/o/{org_b.slug}/catalogue/modules/{module_id}"
    for url in (f"{base}/save/", f"{base}/unsave/", f"{base}/recommend/", f"{base}/comments/new/"):
        assert client.post(url, {"body": "hi", "recipient": "1"}).status_code == 404, url
    assert client.get(f"{base}/recommend/").status_code == 404
    assert client.get(f"{base}/comments/").status_code == 404
    with tenant_context(org_a):
        assert not SavedModule.objects.exists()


def _grow_library(org, learner, n, start):
    competency = make_competency(org, f"Competency {start}")
    for i in range(start, start + n):
        module = make_module(
            org,
            f"Module {i:03d}",
            competencies=(competency,),
            tags=((ROLE, f"Role {i}"), (IMPACT, "Retention")),
        )
        with tenant_context(org):
            services.do_save_module(learner, module.pk)


def _count(client, url):
    with count_queries() as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.app_queries)


@pytest.mark.parametrize(
    "path", ["catalogue/", "catalogue/?text=module&impact=Retention", "catalogue/saved/"]
)
def test_it_reads_the_catalogue_and_library_in_a_constant_number_of_queries(
    client, org_a, library, path
):
    learner = library["learner"]
    client.force_login(learner.user)
    url = f"/o/{org_a.slug}/{path}"
    _grow_library(org_a, learner, 2, 0)
    small = _count(client, url)
    _grow_library(org_a, learner, 30, 100)
    assert _count(client, url) == small
