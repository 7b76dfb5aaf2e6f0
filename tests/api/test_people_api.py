"""People through the API: the list with filters, and the HRIS sync (all-or-nothing)."""

from __future__ import annotations

from organizations.api_keys.services import do_create_key
from organizations.models import Membership, Team
from organizations.tenancy import tenant_context
from tests.conftest import count_queries, make_member


def _key(org, admin, scope="read_write"):
    with tenant_context(org):
        return {"HTTP_AUTHORIZATION": f"Bearer {do_create_key(admin, 'HRIS', scope).plaintext}"}


def test_it_lists_people_with_filters_in_constant_queries(client, org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    make_member(org_a, "lea@a.example", is_learner=True)
    make_member(org_b, "other@b.example", is_learner=True)
    client.force_login(admin.user)
    url = f"/api/v1/orgs/{org_a.slug}/people/"
    with count_queries() as few:
        body = client.get(url, {"role": "learner"}).json()
    assert [p["email"] for p in body["results"]] == ["lea@a.example"]
    assert body["results"][0]["roles"] == ["learner"]
    for i in range(5):
        make_member(org_a, f"p{i}@a.example", is_learner=True)
    with count_queries() as more:
        assert len(client.get(url, {"role": "learner"}).json()["results"]) == 6
    assert len(few.app_queries) == len(more.app_queries)
    assert client.get(url, {"team": "x", "status": "nonsense"}).status_code == 200


def test_the_sync_applies_rows_once_and_all_or_nothing(client, org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    auth = _key(org_a, admin)
    url = f"/api/v1/orgs/{org_a.slug}/people/sync/"
    rows = [
        {"email": "Ana@Example.org", "name": "Ana Ruiz", "team": "Sales"},
        {"email": "ben@example.org", "name": "Ben Ode", "manager_email": "ana@example.org"},
    ]
    first = client.post(url, {"people": rows}, "application/json", **auth)
    assert first.status_code == 200, first.json()
    assert first.json()["new"] == 2 and first.json()["applied"] is True
    again = client.post(url, {"people": rows}, "application/json", **auth).json()
    assert again["new"] == 0 and again["updated"] == 0 and again["unchanged"] == 2
    with tenant_context(org_a):
        ben = Membership.objects.select_related("manager__user").get(user__email="ben@example.org")
        assert ben.manager.user.email == "ana@example.org"
        assert Team.objects.filter(name="Sales").exists()
    bad = [
        {"email": "cat@example.org", "name": "Cat"},
        {"email": "not-an-address", "name": "Dee"},
        {"email": "eve@example.org", "name": "Eve", "roles": ["owner"]},
    ]
    refused = client.post(url, {"people": bad}, "application/json", **auth).json()
    assert refused["status"] == 400
    assert [e["field"] for e in refused["errors"]] == ["people[2].roles[0]"]
    refused = client.post(url, {"people": bad[:2]}, "application/json", **auth).json()
    assert [e["field"] for e in refused["errors"]] == ["people[1].email"]
    with tenant_context(org_a):
        assert not Membership.objects.filter(user__email="cat@example.org").exists()
    dry = client.post(url, {"people": bad[:1], "dry_run": True}, "application/json", **auth)
    assert dry.json()["applied"] is False and dry.json()["new"] == 1
    with tenant_context(org_a):
        assert not Membership.objects.filter(user__email="cat@example.org").exists()


def test_people_stay_within_the_organisation_and_admins(client, org_a, org_b):
    admin_a = make_member(org_a, "admin@a.example", is_admin=True)
    admin_b = make_member(org_b, "admin@b.example", is_admin=True)
    url = f"/api/v1/orgs/{org_a.slug}/people/"
    assert client.get(url, **_key(org_b, admin_b)).status_code == 404
    read_only = _key(org_a, admin_a, "read")
    sync = client.post(f"{url}sync/", {"people": []}, "application/json", **read_only)
    assert sync.status_code == 403
    learner = make_member(org_a, "l@a.example", is_learner=True, is_coach=True, is_sponsor=True)
    client.force_login(learner.user)
    assert client.get(url).status_code == 403
