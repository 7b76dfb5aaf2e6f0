"""Modules and pathways through the API."""

from __future__ import annotations

from organizations.tenancy import tenant_context
from pathways.models import Module
from tests.conftest import count_queries, make_member, make_pathway


def test_it_lists_modules_and_pathways_in_constant_queries(client, org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    make_pathway(org_a, n_steps=2)
    make_pathway(org_b, name="Theirs")
    client.force_login(admin.user)
    with count_queries() as few:
        modules = client.get(f"/api/v1/orgs/{org_a.slug}/modules/").json()["results"]
    assert len(modules) == 2
    assert modules[0]["xapi_activity_id"].endswith(
        f"/o/{org_a.slug}/xapi/activities/module/{modules[0]['id']}"
    )
    make_pathway(org_a, n_steps=5, name="Second")
    with count_queries() as more:
        assert len(client.get(f"/api/v1/orgs/{org_a.slug}/modules/").json()["results"]) == 7
    assert len(few.app_queries) == len(more.app_queries)
    pathways = client.get(f"/api/v1/orgs/{org_a.slug}/pathways/").json()["results"]
    assert {p["name"] for p in pathways} == {"Leading Through Change", "Second"}
    assert pathways[0]["versions"][0]["status"] == "published"


def test_it_creates_and_edits_modules_through_the_library_service(client, org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    client.force_login(admin.user)
    base = f"/api/v1/orgs/{org_a.slug}/modules/"
    made = client.post(base, {"title": "Giving feedback", "minutes": 8}, "application/json")
    assert made.status_code == 201 and made.json()["status"] == "draft"
    too_long = client.post(base, {"title": "Long", "minutes": 40}, "application/json").json()
    assert too_long["errors"][0]["field"] == "minutes"
    theirs = make_pathway(org_b, name="Theirs")
    foreign = client.post(
        base,
        {"title": "X", "competencies": [theirs.steps[0].module_id]},
        "application/json",
    )
    assert foreign.status_code == 400
    edited = client.patch(f"{base}{made.json()['id']}/", {"minutes": 12}, "application/json")
    assert edited.json()["minutes"] == 12 and edited.json()["title"] == "Giving feedback"
    assert client.get(f"{base}{theirs.steps[0].module_id}/").status_code == 404
    with tenant_context(org_a):
        assert Module.objects.count() == 1
