"""Competency frameworks through the API: admins and keys read and write; others don't."""

from __future__ import annotations

import pytest

from competencies import services
from competencies.models import Competency, Framework
from organizations.api_keys.services import do_create_key
from organizations.models import AuditEntry
from organizations.tenancy import tenant_context
from tests.conftest import count_queries, make_member


@pytest.fixture
def admin(org_a):
    return make_member(org_a, "admin@a.example", is_admin=True)


def _framework(org, admin, name="Leadership", n=2):
    with tenant_context(org):
        framework = services.do_create_framework(admin.user, name)
        for i in range(n):
            c = services.do_create_competency(admin.user, framework, f"{name} {i}", category="Core")
            services.do_add_indicator(admin.user, c, f"Does thing {i}")
    return framework


def test_it_lists_competencies_with_indicators_in_constant_queries(client, org_a, org_b, admin):
    framework = _framework(org_a, admin, n=2)
    client.force_login(admin.user)
    url = f"/api/v1/orgs/{org_a.slug}/competencies/?framework={framework.pk}"
    with count_queries() as small:
        body = client.get(url).json()
    assert [c["name"] for c in body["results"]] == ["Leadership 1", "Leadership 0"]
    assert body["results"][0]["indicators"][0]["text"] == "Does thing 1"
    with tenant_context(org_a):
        for i in range(2, 8):
            services.do_create_competency(admin.user, framework, f"Leadership {i}")
    with count_queries() as large:
        assert len(client.get(url).json()["results"]) == 8
    assert len(small.app_queries) == len(large.app_queries)


def test_it_pages_with_a_cursor(client, org_a, org_b, admin):
    _framework(org_a, admin, n=3)
    client.force_login(admin.user)
    first = client.get(f"/api/v1/orgs/{org_a.slug}/competencies/?page_size=2").json()
    assert len(first["results"]) == 2 and first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None


def test_it_creates_and_edits_through_the_services(client, org_a, org_b, admin):
    framework = _framework(org_a, admin, n=0)
    client.force_login(admin.user)
    base = f"/api/v1/orgs/{org_a.slug}/competencies/"
    created = client.post(
        base, {"framework": framework.pk, "name": "Coaching others"}, "application/json"
    )
    assert created.status_code == 201, created.json()
    cid = created.json()["id"]
    dup = client.post(
        base, {"framework": framework.pk, "name": "coaching OTHERS"}, "application/json"
    )
    assert dup.status_code == 400 and dup.json()["errors"][0]["field"] == "name"
    edited = client.patch(f"{base}{cid}/", {"category": "People"}, "application/json")
    assert edited.json()["category"] == "People"
    indicator = client.post(f"{base}{cid}/indicators/", {"text": "Asks first"}, "application/json")
    assert indicator.json()["indicators"][0]["text"] == "Asks first"
    with tenant_context(org_a):
        assert AuditEntry.objects.filter(object_type="Competency").count() == 2


def test_it_refuses_unknown_fields_types_and_other_organisations_ids(client, org_a, org_b, admin):
    admin_b = make_member(org_b, "admin@b.example", is_admin=True)
    theirs = _framework(org_b, admin_b, name="Theirs", n=1)
    client.force_login(admin.user)
    base = f"/api/v1/orgs/{org_a.slug}/competencies/"
    foreign = client.post(base, {"framework": theirs.pk, "name": "X"}, "application/json")
    assert foreign.status_code == 400
    assert foreign.json()["errors"][0]["field"] == "framework"
    wrong = client.post(base, {"framework": "one", "name": ["x"]}, "application/json").json()
    assert {e["field"] for e in wrong["errors"]} == {"framework", "name"}
    long = client.post(base, {"framework": theirs.pk, "name": "x" * 300}, "application/json")
    assert long.status_code == 400
    with tenant_context(org_b):
        their_competency = Competency.objects.get()
    assert client.get(f"{base}{their_competency.pk}/").status_code == 404
    assert (
        client.patch(
            f"{base}{their_competency.pk}/", {"name": "Mine"}, "application/json"
        ).status_code
        == 404
    )
    with tenant_context(org_a):
        assert not Competency.objects.exists()


def test_only_admins_and_keys_reach_it(client, org_a, org_b, admin):
    framework = _framework(org_a, admin, n=1)
    learner = make_member(org_a, "l@a.example", is_learner=True, is_coach=True, is_sponsor=True)
    client.force_login(learner.user)
    url = f"/api/v1/orgs/{org_a.slug}/frameworks/"
    assert client.get(url).status_code == 403
    client.logout()
    with tenant_context(org_a):
        read = do_create_key(admin, "BI", "read").plaintext
        write = do_create_key(admin, "HRIS", "read_write").plaintext
    body = client.get(url, HTTP_AUTHORIZATION=f"Bearer {read}").json()
    assert body["results"][0]["id"] == framework.pk
    assert len(body["results"][0]["levels"]) == 5
    refused = client.post(
        url, {"name": "New"}, "application/json", HTTP_AUTHORIZATION=f"Bearer {read}"
    )
    assert refused.status_code == 403
    made = client.post(
        url, {"name": "New"}, "application/json", HTTP_AUTHORIZATION=f"Bearer {write}"
    )
    assert made.status_code == 201
    with tenant_context(org_a):
        assert Framework.objects.filter(name="New").exists()
        audit = AuditEntry.objects.filter(action="api_write").get()
    assert audit.object_repr == "HRIS" and audit.after["status"] == 201
    admin_b = make_member(org_b, "admin@b.example", is_admin=True)
    with tenant_context(org_b):
        other = do_create_key(admin_b, "BI", "read").plaintext
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 404
