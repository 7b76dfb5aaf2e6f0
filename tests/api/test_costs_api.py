"""Cost lines through the API: admins and read-write keys add and remove them with the costs
page's checks, every write audited; read-only keys read; nobody else; other organisations 404."""

from __future__ import annotations

from decimal import Decimal

import pytest

from measurement import impact
from measurement.models import CostLine
from organizations.api_keys.services import do_create_key
from organizations.models import AuditEntry
from organizations.tenancy import tenant_context
from tests.conftest import count_queries, make_member, make_pathway


@pytest.fixture
def world(org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    other_admin = make_member(org_b, "admin@b.example", is_admin=True)
    mine = make_pathway(org_a)
    theirs = make_pathway(org_b, name="Theirs")
    return admin, other_admin, mine.cohort, theirs.cohort


def _key(org, admin, scope, name="Finance"):
    with tenant_context(org):
        plaintext = do_create_key(admin, f"{name} {scope}", scope).plaintext
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def _add(org, cohort, category="coaching", amount="1000"):
    with tenant_context(org):
        return impact.do_add_cost(
            cohort, impact.CostInput(category=category, amount=Decimal(amount))
        )


def test_an_admin_adds_lists_and_removes_cost_lines(client, org_a, world):
    admin, _other, cohort, _theirs = world
    client.force_login(admin.user)
    url = f"/api/v1/orgs/{org_a.slug}/costs/"
    made = client.post(
        url,
        {"cohort": cohort.pk, "category": "design", "amount": "90000", "shared_by": 3},
        "application/json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["amount"] == "90000.00" and body["allocated"] == "30000.00"
    assert body["category_label"] == "Design and development"
    time = client.post(
        url,
        {
            "cohort": cohort.pk,
            "category": "participants_time",
            "description": "40 × 60 h × 90",
            "people": 40,
            "hours": "60",
            "hourly_rate": "90",
        },
        "application/json",
    ).json()
    assert time["amount"] == "216000.00" and time["hours"] == "60.00"
    listed = client.get(url, {"cohort": cohort.pk}).json()["results"]
    assert [r["category"] for r in listed] == ["participants_time", "design"]
    assert [r["id"] for r in client.get(url, {"category": "design"}).json()["results"]] == [
        body["id"]
    ]
    assert client.get(f"{url}{body['id']}/").json()["description"] == ""
    assert client.delete(f"{url}{body['id']}/").status_code == 204
    with tenant_context(org_a):
        assert list(CostLine.objects.values_list("category", flat=True)) == ["participants_time"]
        audit = list(
            AuditEntry.objects.filter(object_type="Cost Line").values_list(
                "action", "actor_id", "object_repr"
            )
        )
    assert sorted(audit) == [
        ("created", admin.user.pk, f"Design and development, {cohort.name}"),
        ("created", admin.user.pk, f"Participants' time, {cohort.name}"),
        ("deleted", admin.user.pk, f"Design and development, {cohort.name}"),
    ]


def test_the_costs_pages_checks_name_the_field_and_write_nothing(client, org_a, world):
    admin, _other, cohort, theirs = world
    client.force_login(admin.user)
    url = f"/api/v1/orgs/{org_a.slug}/costs/"

    def refused(body):
        response = client.post(url, {"cohort": cohort.pk, **body}, "application/json")
        assert response.status_code == 400, response.content
        return response.json()["errors"][0]

    assert refused({"category": "coaching", "amount": "-5"}) == {
        "field": "amount",
        "code": "invalid",
        "message": "A cost cannot be negative.",
    }
    assert refused({"category": "coaching"})["message"] == "Enter the amount."
    assert refused({"category": "participants_time", "people": 3})["field"] == "hours"
    assert refused({"category": "lunch", "amount": "5"})["field"] == "category"
    assert refused({"category": "coaching", "amount": "1e20"})["field"] == "amount"
    assert refused({"category": "coaching", "amount": "5", "shared_by": 0})["field"] == "shared_by"
    assert refused({"category": "coaching", "amount": "NaN"})["field"] == "amount"
    too_much = refused(
        {
            "category": "participants_time",
            "people": 2_000_000_000,
            "hours": "999999",
            "hourly_rate": "99999999",
        }
    )
    assert too_much["field"] == "hours" and "more than a cost line can hold" in too_much["message"]
    foreign = client.post(
        url, {"cohort": theirs.pk, "category": "coaching", "amount": "5"}, "application/json"
    )
    assert foreign.json()["errors"][0]["field"] == "cohort"
    assert client.get(url, {"category": "lunch"}).json()["errors"][0]["field"] == "category"
    with tenant_context(org_a):
        assert not CostLine.objects.exists()
        assert not AuditEntry.objects.filter(object_type="Cost Line").exists()


def test_the_list_takes_the_same_queries_whatever_its_length(client, org_a, world):
    admin, _other, cohort, _theirs = world
    _add(org_a, cohort)
    client.force_login(admin.user)
    url = f"/api/v1/orgs/{org_a.slug}/costs/"
    with count_queries() as few:
        assert len(client.get(url).json()["results"]) == 1
    for category in ("travel", "overhead", "evaluation", "content"):
        _add(org_a, cohort, category)
    with count_queries() as more:
        assert len(client.get(url).json()["results"]) == 5
    assert len(few.app_queries) == len(more.app_queries)


def test_keys_write_only_with_read_write_scope_and_every_write_is_audited(client, org_a, world):
    admin, _other, cohort, _theirs = world
    line = _add(org_a, cohort)
    url = f"/api/v1/orgs/{org_a.slug}/costs/"
    read = _key(org_a, admin, "read")
    assert client.get(url, **read).json()["results"][0]["id"] == line.pk
    refused = client.post(
        url, {"cohort": cohort.pk, "category": "travel", "amount": "5"}, "application/json", **read
    )
    assert refused.status_code == 403 and refused.json()["code"] == "key_read_only"
    assert client.delete(f"{url}{line.pk}/", **read).status_code == 403
    write = _key(org_a, admin, "read_write")
    made = client.post(
        url, {"cohort": cohort.pk, "category": "travel", "amount": "5"}, "application/json", **write
    )
    assert made.status_code == 201
    with tenant_context(org_a):
        assert CostLine.objects.count() == 2
        key_writes = AuditEntry.objects.filter(action="api_write").values_list("after", flat=True)
        assert [w["status"] for w in key_writes] == [201]
        assert AuditEntry.objects.filter(object_type="Cost Line", actor=admin.user).count() == 1


def test_other_roles_get_403_and_other_organisations_404(client, org_a, org_b, world):
    admin, other_admin, cohort, theirs = world
    line = _add(org_a, cohort)
    their_line = _add(org_b, theirs)
    url = f"/api/v1/orgs/{org_a.slug}/costs/"
    for roles in ({"is_learner": True}, {"is_sponsor": True}, {"is_coach": True}):
        who = make_member(org_a, f"{next(iter(roles))}@a.example", **roles)
        client.force_login(who.user)
        assert client.get(url).status_code == 403
        assert client.delete(f"{url}{line.pk}/").status_code == 403
    client.force_login(other_admin.user)
    assert client.get(url).status_code == 404
    assert client.delete(f"{url}{line.pk}/").status_code == 404
    own = f"/api/v1/orgs/{org_b.slug}/costs/"
    assert [r["id"] for r in client.get(own).json()["results"]] == [their_line.pk]
    assert client.get(f"{own}{line.pk}/").status_code == 404
    assert client.delete(f"{own}{line.pk}/").status_code == 404
    client.logout()
    their_key = _key(org_b, other_admin, "read_write")
    assert client.get(url, **their_key).status_code == 404
    assert client.delete(f"{url}{line.pk}/", **their_key).status_code == 404
    with tenant_context(org_a):
        assert CostLine.objects.filter(pk=line.pk).exists()
