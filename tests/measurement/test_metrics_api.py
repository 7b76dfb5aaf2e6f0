"""Metric values pushed through the API: all or nothing with an error per row, idempotent,
admins and keys only, and another organisation's metric or team reads as not found."""

from __future__ import annotations

from decimal import Decimal

import pytest

from measurement import impact
from measurement.models import MetricValue
from organizations.api_keys.services import do_create_key
from organizations.models import Team
from organizations.tenancy import tenant_context
from tests.conftest import make_member


@pytest.fixture
def world(org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    with tenant_context(org_a):
        teams = [Team.objects.create(name=f"T{i}") for i in range(2)]
        metric = impact.do_define_metric(
            name="Retention", unit="%", direction="up", level="business"
        )
        key = do_create_key(admin, "HRIS", "read_write").plaintext
    with tenant_context(org_b):
        foreign_team = Team.objects.create(name="Other")
    return admin, teams, metric, key, foreign_team


def test_it_pushes_values_idempotently(client, org_a, org_b, world):
    admin, teams, metric, key, _ = world
    url = f"/api/v1/orgs/{org_a.slug}/metrics/{metric.pk}/values/"
    body = {"values": [{"team": t.pk, "period": "2026-03", "value": "91.5"} for t in teams]}
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    first = client.post(url, body, content_type="application/json", **auth)
    assert first.status_code == 200, first.json()
    assert first.json() == {"created": 2, "updated": 0}
    again = client.post(url, body, content_type="application/json", **auth)
    assert again.json() == {"created": 0, "updated": 2}
    with tenant_context(org_a):
        assert (
            sorted(MetricValue.objects.values_list("value", "source"))
            == [(Decimal("91.5"), "api")] * 2
        )
    listed = client.get(f"/api/v1/orgs/{org_a.slug}/metrics/", **auth).json()
    assert [m["name"] for m in listed["results"]] == ["Retention"]


def test_one_bad_row_refuses_the_request_with_an_error_per_row(client, org_a, org_b, world):
    admin, teams, metric, key, foreign_team = world
    client.force_login(admin.user)
    url = f"/api/v1/orgs/{org_a.slug}/metrics/{metric.pk}/values/"
    body = {
        "values": [
            {"team": teams[0].pk, "period": "2026-03", "value": "90"},
            {"team": teams[1].pk, "period": "2026-03", "value": "120"},
            {"team": foreign_team.pk, "period": "2026-03", "value": "90"},
            {"team": teams[0].pk, "period": "2026-03-09", "value": "91"},
        ]
    }
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"values[1].value", "values[2].team", "values[3].period"} <= fields
    with tenant_context(org_a):
        assert not MetricValue.objects.exists()


def test_others_get_404_or_403(client, org_a, org_b, world):
    admin, teams, metric, key, _ = world
    body = {"values": [{"team": teams[0].pk, "period": "2026-03", "value": "90"}]}
    outsider = make_member(org_b, "admin@b.example", is_admin=True)
    client.force_login(outsider.user)
    assert client.get(f"/api/v1/orgs/{org_a.slug}/metrics/").status_code == 404
    response = client.post(
        f"/api/v1/orgs/{org_b.slug}/metrics/{metric.pk}/values/",
        body,
        content_type="application/json",
    )
    assert response.status_code == 404
    learner = make_member(org_a, "learner@a.example", is_learner=True)
    client.force_login(learner.user)
    response = client.post(
        f"/api/v1/orgs/{org_a.slug}/metrics/{metric.pk}/values/",
        body,
        content_type="application/json",
    )
    assert response.status_code in (403, 404)
    with tenant_context(org_a):
        assert not MetricValue.objects.exists()
