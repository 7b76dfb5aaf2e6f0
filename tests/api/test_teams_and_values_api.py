"""Teams through the API (the teams page's services) and metric values read back for BI feeds:
admins and keys only, constant queries, other organisations 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from measurement import impact
from organizations.models import AuditEntry, Team
from organizations.tenancy import tenant_context
from tests.api.test_costs_api import _key
from tests.conftest import count_queries, make_member


@pytest.fixture
def admins(org_a, org_b):
    return (
        make_member(org_a, "admin@a.example", is_admin=True),
        make_member(org_b, "admin@b.example", is_admin=True),
    )


def test_an_admin_creates_moves_and_deletes_teams(client, org_a, admins):
    admin, _other = admins
    boss = make_member(org_a, "boss@a.example", is_learner=True)
    client.force_login(admin.user)
    url = f"/api/v1/orgs/{org_a.slug}/teams/"
    sales = client.post(url, {"name": "Sales"}, "application/json").json()
    north = client.post(
        url, {"name": "Sales North", "parent": sales["id"], "manager": boss.pk}, "application/json"
    )
    assert north.status_code == 201, north.content
    assert north.json()["parent"] == sales["id"] and north.json()["manager_name"] == "Boss"
    taken = client.post(url, {"name": "sales"}, "application/json")
    assert taken.status_code == 400 and taken.json()["errors"][0]["field"] == "name"
    loop = client.patch(f"{url}{sales['id']}/", {"parent": north.json()["id"]}, "application/json")
    assert loop.status_code == 400 and loop.json()["errors"][0]["field"] == "parent"
    renamed = client.patch(f"{url}{sales['id']}/", {"name": "Sales EMEA"}, "application/json")
    assert renamed.json()["name"] == "Sales EMEA"
    with tenant_context(org_a):
        north_team = Team.objects.get(pk=north.json()["id"])
    make_member(org_a, "rep@a.example", team=north_team)
    busy = client.delete(f"{url}{north.json()['id']}/")
    assert busy.status_code == 400 and "still has 1 member" in busy.json()["detail"]
    assert client.get(url, {"q": "north"}).json()["results"][0]["members"] == 1
    assert client.delete(f"{url}{sales['id']}/").status_code == 204
    with tenant_context(org_a):
        assert list(Team.objects.values_list("name", "parent")) == [("Sales North", None)]
        actions = set(AuditEntry.objects.filter(object_type="Team").values_list("action"))
    assert actions == {("created",), ("updated",), ("deleted",)}


def test_the_team_list_takes_constant_queries(client, org_a, admins):
    admin, _other = admins
    with tenant_context(org_a):
        Team.objects.create(name="One", manager=admin)
    client.force_login(admin.user)
    url = f"/api/v1/orgs/{org_a.slug}/teams/"
    with count_queries() as few:
        assert len(client.get(url).json()["results"]) == 1
    with tenant_context(org_a):
        for i in range(5):
            Team.objects.create(name=f"T{i}", manager=admin)
    with count_queries() as more:
        assert len(client.get(url).json()["results"]) == 6
    assert len(few.app_queries) == len(more.app_queries)


def test_teams_stay_in_their_organisation_and_role(client, org_a, org_b, admins):
    admin, other = admins
    with tenant_context(org_a):
        ours = Team.objects.create(name="Ours")
    with tenant_context(org_b):
        theirs = Team.objects.create(name="Theirs")
    url = f"/api/v1/orgs/{org_a.slug}/teams/"
    client.force_login(make_member(org_a, "l@a.example", is_learner=True).user)
    assert client.get(url).status_code == 403
    client.force_login(admin.user)
    assert client.get(f"{url}{theirs.pk}/").status_code == 404
    foreign = client.post(url, {"name": "X", "parent": theirs.pk}, "application/json")
    assert foreign.json()["errors"][0]["field"] == "parent"
    client.force_login(other.user)
    assert client.get(url).status_code == 404
    assert client.delete(f"/api/v1/orgs/{org_b.slug}/teams/{ours.pk}/").status_code == 404
    client.logout()
    assert client.get(url, **_key(org_b, other, "read")).status_code == 404
    read_only = client.post(url, {"name": "New"}, "application/json", **_key(org_a, admin, "read"))
    assert read_only.status_code == 403
    with tenant_context(org_a):
        assert list(Team.objects.values_list("name", flat=True)) == ["Ours"]


def test_metric_values_read_back_with_filters_in_constant_queries(client, org_a, org_b, admins):
    admin, other = admins
    with tenant_context(org_a):
        teams = [Team.objects.create(name=f"T{i}") for i in range(2)]
        metric = impact.do_define_metric(
            name="Retention", unit="%", direction="up", level="business"
        )
        impact.do_enter_metric_value(metric, teams[0], dt.date(2026, 1, 1), "90", admin)
    auth = _key(org_a, admin, "read")
    url = f"/api/v1/orgs/{org_a.slug}/metrics/{metric.pk}/values/"
    client.get(url, **auth)  # the key's first use records when it was last used
    with count_queries() as few:
        first = client.get(url, **auth).json()["results"]
    assert first == [
        {
            "team": teams[0].pk,
            "team_name": "T0",
            "period": "2026-01-01",
            "value": "90.0000",
            "source": "form",
            "entered_at": first[0]["entered_at"],
        }
    ]
    with tenant_context(org_a):
        for month in range(2, 7):
            for team in teams:
                impact.do_enter_metric_value(
                    metric, team, dt.date(2026, month, 1), Decimal(80), None
                )
    with count_queries() as more:
        assert len(client.get(url, **auth).json()["results"]) == 11
    assert len(few.app_queries) == len(more.app_queries)
    window = client.get(url, {"since": "2026-03", "until": "2026-04", "team": teams[1].pk}, **auth)
    assert [(v["period"], v["team"]) for v in window.json()["results"]] == [
        ("2026-04-01", teams[1].pk),
        ("2026-03-01", teams[1].pk),
    ]
    bad = client.get(url, {"since": "March"}, **auth)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "since"
    client.force_login(other.user)
    assert client.get(url).status_code == 404
    assert client.get(f"/api/v1/orgs/{org_b.slug}/metrics/{metric.pk}/values/").status_code == 404
